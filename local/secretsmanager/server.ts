import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../../src/log.js';
import { BodyTooLarge, listen, parseJsonObject, readBody, sendJson, targetAction } from '../awsJson.js';
import { serverTimeoutOptions, type ServerTimeouts } from '../../src/serverTimeouts.js';
import type { RunningPart } from '../part.js';
import { AwsError } from './errors.js';
import { SecretStore } from './store.js';

export interface SecretsManagerOptions {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  logger: Logger;
  /** How long a client may take to send a request, and idle keep-alive time (defaults: `serverTimeoutOptions`). */
  timeouts?: ServerTimeouts;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
// Secrets are at most 64 KiB; the JSON envelope (and base64 for binary) needs some room on top.
const MAX_BODY_BYTES = 256 * 1024;

/**
 * A Secrets-Manager-compatible endpoint speaking AWS JSON 1.1 (`POST /`, `X-Amz-Target: secretsmanager.<Action>`),
 * so `@aws-sdk/client-secrets-manager` works against it unchanged with `endpoint` pointed here. Signatures are not
 * checked (nothing here is worth protecting from other users of the loopback interface that AWS's SigV4 would stop;
 * run it on loopback only). Requests are logged by action and outcome, never with their bodies.
 */
export async function startSecretsManager(opts: SecretsManagerOptions): Promise<RunningPart> {
  const store = await SecretStore.open(opts.dataDir, opts.region);
  const logger = opts.logger;

  const server = createServer(serverTimeoutOptions(opts.timeouts), (req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((err: unknown) => {
      logger.error({ err, requestId }, 'secretsmanager: unexpected failure');
      fail(res, requestId, new AwsError('InternalServiceError', 'An error occurred on the server side.', 500));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') {
      req.resume();
      return fail(res, requestId, new AwsError('UnknownOperationException', 'Only POST / with an X-Amz-Target header is served here.', 404));
    }
    const action = targetAction(req, 'secretsmanager.');
    if (!action || !SecretStore.serves(action)) {
      req.resume();
      return fail(res, requestId, new AwsError('UnknownOperationException', `Unknown or unsupported operation${action ? ` ${action}` : ''}.`));
    }
    let body: Record<string, unknown> | undefined;
    try {
      body = parseJsonObject(await readBody(req, MAX_BODY_BYTES));
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        // The rest of the body was not read, so the connection cannot carry another request.
        res.setHeader('connection', 'close');
        return fail(res, requestId, new AwsError('InvalidRequestException', err.message, 413));
      }
      // The client went away mid-body, or was cut off by the request timeout: nobody is left to answer.
      return;
    }
    if (!body) return fail(res, requestId, new AwsError('SerializationException', 'The request body is not a JSON object.'));
    try {
      const out = await store.run(action, body);
      logger.debug({ requestId, action, status: 200 }, 'secretsmanager request');
      sendJson(res, 200, CONTENT_TYPE, requestId, out);
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      logger.debug({ requestId, action, status: err.status, error: err.type }, 'secretsmanager request refused');
      fail(res, requestId, err);
    }
  }

  const url = await listen(server, opts.port, opts.host);
  logger.debug({ url, file: store.file }, 'secretsmanager stand-in listening');

  return {
    name: 'secretsmanager',
    url,
    notes: ['Secrets Manager stand-in: npm run secrets -- push|pull|diff (see docs/secrets.md)'],
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections alive; without this close() would wait for them to time out.
        server.closeIdleConnections();
      });
      await store.flush();
    },
  };
}

function fail(res: ServerResponse, requestId: string, err: AwsError): void {
  sendJson(res, err.status, CONTENT_TYPE, requestId, { __type: err.type, message: err.message }, { 'x-amzn-errortype': err.type });
}
