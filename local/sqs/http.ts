import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../src/log.js';
import { BodyTooLarge, parseJsonObject, readBody, sendJson, targetAction } from '../awsJson.js';
import { serverTimeoutOptions, type ServerTimeouts } from '../../src/serverTimeouts.js';
import type { SqsCore } from './core.js';
import { errors, SqsError } from './errors.js';

export interface SqsHttpOptions {
  core: SqsCore;
  logger: Logger;
  /** Resolves once the changes made by a request are durable; the answer waits for it. */
  commit: () => Promise<void>;
  /** True once the endpoint is stopping: answers then close their connection, so clients do not keep polling it. */
  closing?: () => boolean;
  /** How long a client may take to send a request, and idle keep-alive time (defaults: `serverTimeoutOptions`). */
  timeouts?: ServerTimeouts;
}

const TARGET_PREFIX = 'AmazonSQS.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Largest request body read (a 1 MiB batch can double in size when JSON-escaped). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * The AWS JSON protocol over HTTP: `POST /` with `X-Amz-Target: AmazonSQS.<Action>` and a JSON body, answered
 * with JSON. Errors carry `__type` (the SDK's error name) and `x-amzn-query-error` (the query-protocol code).
 * Signatures are not checked: this endpoint is for loopback use.
 */
export function createSqsServer(opts: SqsHttpOptions): Server {
  // The request timeout covers receiving a request only, so a long poll (up to 20 s) is never cut by it; idle
  // keep-alive sockets stay open longer than SDK clients reuse them.
  const server = createServer(serverTimeoutOptions(opts.timeouts), (req, res) => {
    void handle(req, res).catch((err: unknown) => {
      opts.logger.error({ err }, 'sqs request failed');
      if (!res.headersSent) sendError(res, randomUUID(), errors.internal());
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    if (req.method === 'GET' && (req.url === '/' || req.url === '/health')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    const action = targetAction(req, TARGET_PREFIX);
    if (req.method !== 'POST' || action === undefined) {
      req.resume();
      const target = req.headers['x-amz-target'];
      sendError(res, requestId, errors.invalidAction(typeof target === 'string' ? target : '(none): this endpoint speaks the AWS JSON protocol (X-Amz-Target: AmazonSQS.<Action>)'));
      return;
    }
    let input: Record<string, unknown> | undefined;
    try {
      input = parseJsonObject(await readBody(req, MAX_BODY_BYTES));
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        // After an oversized body the connection is not reusable: the rest of the body was not read.
        res.setHeader('connection', 'close');
        sendError(res, requestId, errors.batchTooLong(err.size, err.max));
      }
      // Otherwise the client went away mid-body, or was cut off by the request timeout: nobody is left to answer.
      return;
    }
    if (!input) {
      sendError(res, requestId, errors.serialization('The request body is not a JSON object.'));
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
    sendJson(res, 200, CONTENT_TYPE, requestId, output ?? {});
  }

  return server;
}

function sendError(res: ServerResponse, requestId: string, err: SqsError): void {
  sendJson(res, err.status, CONTENT_TYPE, requestId, { __type: `com.amazonaws.sqs#${err.code}`, message: err.message }, { 'x-amzn-query-error': `${err.queryCode};${err.fault}` });
}
