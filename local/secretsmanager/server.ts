import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../src/log.js';
import type { RunningPart } from '../part.js';
import { AwsError } from './errors.js';
import { ACTIONS, SecretStore, type Action } from './store.js';

export interface SecretsManagerOptions {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  logger: Logger;
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

  const server = createServer((req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((err: unknown) => {
      logger.error({ err, requestId }, 'secretsmanager: unexpected failure');
      send(res, requestId, 500, { __type: 'InternalServiceError', message: 'An error occurred on the server side.' }, 'InternalServiceError');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') {
      req.resume();
      return fail(res, requestId, new AwsError('UnknownOperationException', 'Only POST / with an X-Amz-Target header is served here.', 404));
    }
    const action = typeof target === 'string' && target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : undefined;
    if (!action || !(ACTIONS as string[]).includes(action)) {
      req.resume();
      return fail(res, requestId, new AwsError('UnknownOperationException', `Unknown or unsupported operation${action ? ` ${action}` : ''}.`));
    }
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      return fail(res, requestId, err instanceof AwsError ? err : new AwsError('SerializationException', 'The request body is not valid JSON.'));
    }
    try {
      const out = await store.run(action as Action, body);
      logger.debug({ requestId, action, status: 200 }, 'secretsmanager request');
      send(res, requestId, 200, out);
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      logger.debug({ requestId, action, status: err.status, error: err.type }, 'secretsmanager request refused');
      fail(res, requestId, err);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}`;
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

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new AwsError('InvalidRequestException', `The request body is larger than ${MAX_BODY_BYTES} bytes.`, 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      try {
        const parsed: unknown = text === '' ? {} : JSON.parse(text);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        resolve(parsed);
      } catch {
        reject(new AwsError('SerializationException', 'The request body is not a JSON object.'));
      }
    });
  });
}

function fail(res: ServerResponse, requestId: string, err: AwsError): void {
  send(res, requestId, err.status, { __type: err.type, message: err.message }, err.type);
}

function send(res: ServerResponse, requestId: string, status: number, body: object, errorType?: string): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(text);
}
