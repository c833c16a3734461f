import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { localCredentials } from '../../src/config/localCredentials.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../../src/log.js';
import { BodyTooLarge, listen, parseJsonObject, readBody, sendJson, targetAction } from '../awsJson.js';
import { serverTimeoutOptions, type ServerTimeouts } from '../../src/serverTimeouts.js';
import type { RunningPart } from '../part.js';
import { AwsError } from './errors.js';
import { SecretStore, type RotationEvent, type RotationInvoker } from './store.js';

export interface SecretsManagerOptions {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  logger: Logger;
  /** How long a client may take to send a request, and idle keep-alive time (defaults: `serverTimeoutOptions`). */
  timeouts?: ServerTimeouts;
  /**
   * Where rotation functions are invoked (`RotateSecret`): a Lambda Invoke API endpoint such as `local/lambda`'s URL,
   * reached through @aws-sdk/client-lambda as Secrets Manager reaches Lambda. Unset: RotateSecret is refused.
   */
  lambdaEndpoint?: string;
  /** Instead of `lambdaEndpoint`: runs one rotation step (tests). */
  invokeRotation?: RotationInvoker;
  /** Rotation progress, as AWS records it in CloudTrail (RotationStarted/Succeeded/Failed/Abandoned); also logged. */
  onRotationEvent?: (event: RotationEvent) => void;
  /** Whole-rotation attempts before RotationFailed (default 2). */
  rotationAttempts?: number;
}

/**
 * Invokes a rotation function through the Lambda Invoke API. A function error (`FunctionError` set) is the step's
 * failure, reported as `errorType: errorMessage`, as Lambda returns it.
 */
export function lambdaRotationInvoker(endpoint: string, region: string): { invoke: RotationInvoker; close(): void } {
  const client = new LambdaClient({ region, endpoint, ...localCredentials(endpoint), maxAttempts: 1 });
  return {
    async invoke(functionArn, event) {
      const out = await client.send(new InvokeCommand({ FunctionName: functionArn, Payload: Buffer.from(JSON.stringify(event)) }));
      if (out.FunctionError) {
        let detail = out.FunctionError;
        try {
          const e = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8')) as { errorType?: string; errorMessage?: string };
          detail = `${e.errorType ?? out.FunctionError}: ${e.errorMessage ?? ''}`;
        } catch {
          // not JSON: the bare FunctionError says enough
        }
        throw new Error(detail);
      }
    },
    close: () => client.destroy(),
  };
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
  const logger = opts.logger;
  const lambda = !opts.invokeRotation && opts.lambdaEndpoint ? lambdaRotationInvoker(opts.lambdaEndpoint, opts.region) : undefined;
  const invoke = opts.invokeRotation ?? lambda?.invoke;
  const store = await SecretStore.open(opts.dataDir, opts.region, {
    ...(invoke ? { invoke } : {}),
    ...(opts.rotationAttempts !== undefined ? { rotationAttempts: opts.rotationAttempts } : {}),
    onRotationEvent: (e) => {
      // Names, version ids and the function's error only: never a secret value.
      if (e.event === 'RotationFailed') logger.warn(e, 'secretsmanager: rotation failed');
      else logger.info(e, `secretsmanager: ${e.event}`);
      opts.onRotationEvent?.(e);
    },
  });

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
      // Running rotations first: their function calls back into this endpoint. They stop after their current step.
      await store.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections alive; without this close() would wait for them to time out.
        server.closeIdleConnections();
      });
      await store.flush();
      lambda?.close();
    },
  };
}

function fail(res: ServerResponse, requestId: string, err: AwsError): void {
  sendJson(res, err.status, CONTENT_TYPE, requestId, { __type: err.type, message: err.message }, { 'x-amzn-errortype': err.type });
}
