import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpUrl } from './httpUrl.js';

/**
 * HTTP plumbing shared by the stand-ins that speak the AWS JSON protocol (SQS: JSON 1.0, Secrets Manager: JSON 1.1):
 * `POST /` with `X-Amz-Target: <service>.<Action>` and a JSON object body, answered with JSON. What an error looks
 * like differs per service, so each stand-in builds its own error bodies and headers and sends them with `sendJson`.
 */

/** The body was larger than the stand-in reads; `readBody` rejects with it as soon as the limit is passed. */
export class BodyTooLarge extends Error {
  override readonly name = 'BodyTooLarge';
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`The request body is larger than ${max} bytes.`);
  }
}

/**
 * The handler an action table holds for `name`, only when the table itself defines it as a function. Every AWS-JSON
 * stand-in dispatches the request's action name through here: a plain object also answers `table['constructor']`,
 * `table['__proto__']`, `table['toString']`... from Object.prototype, so a bare `table[name]` turned such names into
 * a 500 (calling something that is not a handler) or, for `constructor`, into `Object(input)` echoing the body.
 */
export function actionHandler<F extends (...args: never[]) => unknown>(table: Readonly<Record<string, F>>, name: string): F | undefined {
  if (!Object.hasOwn(table, name)) return undefined;
  const handler: unknown = table[name];
  return typeof handler === 'function' ? (handler as F) : undefined;
}

const nativeIsWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;

/**
 * False when `text` holds a lone UTF-16 surrogate (JSON's `\uD800` escapes can carry one), which is no Unicode
 * character: it cannot be encoded as UTF-8, so two different strings would store, hash and compare alike.
 * `String.prototype.isWellFormed` (ES2024, in Node 20 and later; this project's TypeScript lib is ES2023).
 */
export function isWellFormed(text: string): boolean {
  return nativeIsWellFormed.call(text);
}

/** `<Action>` from `X-Amz-Target: <prefix><Action>`; undefined when the header is missing or names another service. */
export function targetAction(req: IncomingMessage, prefix: string): string | undefined {
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' && target.startsWith(prefix) ? target.slice(prefix.length) : undefined;
}

/**
 * The request body, up to `max` bytes. Past that it rejects with `BodyTooLarge` at once and drops whatever still
 * arrives, so the refusal can be answered; the caller then closes the connection (the rest of the body was not read).
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
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
        reject(new BodyTooLarge(size, max));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The body as a JSON object (an empty body is `{}`); undefined when it is not valid JSON or not an object. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> | undefined {
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Answers with `body` as JSON and the request id the SDK reports in `$metadata.requestId`. */
export function sendJson(res: ServerResponse, status: number, contentType: string, requestId: string, body: object, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Starts `server` on `host:port` (port 0 picks a free one) and returns its base URL. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return httpUrl(host, (server.address() as AddressInfo).port);
}
