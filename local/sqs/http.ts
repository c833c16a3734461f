import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../src/log.js';
import type { SqsCore } from './core.js';
import { errors, SqsError } from './errors.js';

export interface SqsHttpOptions {
  core: SqsCore;
  logger: Logger;
  /** Resolves once the changes made by a request are durable; the answer waits for it. */
  commit: () => Promise<void>;
  /** Largest request body read (a 1 MiB batch can double in size when JSON-escaped). */
  maxBodyBytes?: number;
  /** True once the endpoint is stopping: answers then close their connection, so clients do not keep polling it. */
  closing?: () => boolean;
}

const TARGET_PREFIX = 'AmazonSQS.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

/**
 * The AWS JSON protocol over HTTP: `POST /` with `X-Amz-Target: AmazonSQS.<Action>` and a JSON body, answered
 * with JSON. Errors carry `__type` (the SDK's error name) and `x-amzn-query-error` (the query-protocol code).
 * Signatures are not checked: this endpoint is for loopback use.
 */
export function createSqsServer(opts: SqsHttpOptions): Server {
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      opts.logger.error({ err }, 'sqs request failed');
      if (!res.headersSent) sendError(res, randomUUID(), errors.internal());
    });
  });
  // Long polls last up to 20 s; keep idle keep-alive sockets longer than SDK clients reuse them.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    if (req.method === 'GET' && (req.url === '/' || req.url === '/health')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) {
      req.resume();
      sendError(res, requestId, errors.invalidAction(typeof target === 'string' ? target : '(none): this endpoint speaks the AWS JSON protocol (X-Amz-Target: AmazonSQS.<Action>)'));
      return;
    }
    const action = target.slice(TARGET_PREFIX.length);
    let input: Record<string, unknown>;
    try {
      const raw = await readBody(req, maxBody);
      input = raw.length === 0 ? {} : (JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
      if (!input || typeof input !== 'object' || Array.isArray(input)) throw new Error('not an object');
    } catch (err) {
      // After an oversized body the connection is not reusable: the rest of the body was not read.
      if (err instanceof SqsError) res.setHeader('connection', 'close');
      sendError(res, requestId, err instanceof SqsError ? err : errors.serialization('The request body is not a JSON object.'));
      return;
    }
    // A long poll whose client hung up must not take messages on its behalf.
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    let output: Record<string, unknown> | undefined;
    let failure: SqsError | undefined;
    try {
      output = await opts.core.handle(action, input, abort.signal);
    } catch (err) {
      if (!(err instanceof SqsError)) throw err;
      failure = err;
    }
    await opts.commit();
    if (abort.signal.aborted) return;
    if (opts.closing?.()) res.setHeader('connection', 'close');
    if (failure) {
      opts.logger.debug({ action, code: failure.code }, 'sqs error');
      sendError(res, requestId, failure);
      return;
    }
    const body = JSON.stringify(output ?? {});
    res.writeHead(200, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  return server;
}

function sendError(res: ServerResponse, requestId: string, err: SqsError): void {
  const body = JSON.stringify({ __type: `com.amazonaws.sqs#${err.code}`, message: err.message });
  res.writeHead(err.status, {
    'content-type': CONTENT_TYPE,
    'x-amzn-requestid': requestId,
    'x-amzn-query-error': `${err.queryCode};${err.fault}`,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        // Answer at once; what is still arriving is dropped and the connection closed after the answer.
        reject(errors.batchTooLong(size, max));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
