import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../src/log.js';
import { actionHandler } from '../awsJson.js';
import { serverTimeoutOptions, type ServerTimeouts } from '../../src/serverTimeouts.js';
import type { RunningPart } from '../part.js';

/** A handler as Lambda calls it: the JSON event in, a JSON-serialisable result (or a thrown error) out. */
export type InvokeHandler = (event: unknown) => Promise<unknown>;

export interface LambdaInvokeOptions {
  host: string;
  port: number;
  /** Function name -> handler, run in this process. A name may also be given as the last segment of an ARN. */
  functions: Record<string, InvokeHandler>;
  logger: Logger;
  /** How long a client may take to send a request, and idle keep-alive time (defaults: `serverTimeoutOptions`). */
  timeouts?: ServerTimeouts;
}

// Lambda's synchronous payload limit.
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * A stand-in for AWS Lambda's Invoke API (REST: `POST /2015-03-31/functions/{name}/invocations`), so
 * `@aws-sdk/client-lambda` works against it unchanged with `endpoint` pointed here. It MOCKS AWS Lambda locally: the
 * handler runs in this process (no sandbox, no timeout, no concurrency limit), only `RequestResponse` invocations are
 * served, and signatures are not checked (run it on loopback only). What matches AWS: the result is the handler's
 * JSON with status 200; a thrown error is status 200 with `X-Amz-Function-Error: Unhandled` and
 * `{ errorType, errorMessage }`; an unknown function is 404 `ResourceNotFoundException`.
 */
export async function startLambdaInvoke(opts: LambdaInvokeOptions): Promise<RunningPart> {
  const { logger } = opts;
  const server = createServer(serverTimeoutOptions(opts.timeouts), (req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((err: unknown) => {
      logger.error({ err, requestId }, 'lambda: unexpected failure');
      fail(res, requestId, 500, 'ServiceException', 'An error occurred on the server side.');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const m = INVOKE_PATH.exec((req.url ?? '/').split('?')[0] as string);
    if (req.method !== 'POST' || !m) {
      req.resume();
      return fail(res, requestId, 404, 'UnknownOperationException', 'Only POST /2015-03-31/functions/{name}/invocations is served here.');
    }
    let given: string;
    try {
      given = decodeURIComponent(m[1] as string);
    } catch {
      given = m[1] as string; // not valid percent-encoding: no function has that name
    }
    const name = given.split(':').at(6) ?? given;
    // By own name only: `constructor` or `toString` is no function here, whatever Object.prototype holds.
    const fn = actionHandler(opts.functions, name) ?? actionHandler(opts.functions, given);
    if (!fn) {
      req.resume();
      return fail(res, requestId, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
    }
    const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
    if (type !== 'RequestResponse') {
      req.resume();
      return fail(res, requestId, 400, 'InvalidParameterValueException', `Only RequestResponse invocations are served here, not ${String(type)}.`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of req as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > MAX_PAYLOAD_BYTES) {
          // The rest of the payload is not read, so the connection cannot carry another request.
          res.setHeader('connection', 'close');
          return fail(res, requestId, 413, 'RequestTooLargeException', 'Request payload too large.');
        }
        chunks.push(c);
      }
    } catch {
      return; // the client went away mid-body, or was cut off by the request timeout: nobody is left to answer
    }
    let event: unknown;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      event = text === '' ? {} : JSON.parse(text);
    } catch {
      return fail(res, requestId, 400, 'InvalidRequestContentException', 'Could not parse request body into json.');
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' };
    try {
      const result = await fn(event);
      // Serialised before anything is written: a result JSON cannot hold (a cycle, a BigInt, nesting deeper than
      // the stack) is the function's error, answered as such, not a half-written answer.
      const payload = JSON.stringify(result) ?? 'null';
      logger.debug({ requestId, function: name, status: 'ok' }, 'lambda invoke');
      res.writeHead(200, headers).end(payload);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      logger.debug({ requestId, function: name, status: 'error', errorType: e.name }, 'lambda invoke');
      res.writeHead(200, { ...headers, 'x-amz-function-error': 'Unhandled' }).end(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
    }
  }

  function fail(res: ServerResponse, requestId: string, status: number, type: string, message: string): void {
    if (res.headersSent) return void res.destroy();
    res
      .writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': type })
      .end(JSON.stringify({ Type: status >= 500 ? 'Service' : 'User', message }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    name: 'lambda',
    url: `http://${host}:${port}`,
    notes: [`Lambda Invoke stand-in for ${Object.keys(opts.functions).join(', ')} (handlers run in this process)`],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
