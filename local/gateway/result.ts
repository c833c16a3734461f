/** What the gateway writes back to the client for one Lambda result. */
export interface MappedResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

function addHeader(headers: Record<string, string | string[]>, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const key = name.toLowerCase();
  const v = String(value);
  const prior = headers[key];
  headers[key] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
}

export class MalformedResultError extends Error {
  override readonly name = 'MalformedResultError';
  readonly code = 'LAMBDA_RESULT_MALFORMED';
}

/**
 * Maps a handler's result back as API Gateway does for payload format 2.0: a result without `statusCode` (a bare
 * object, string, number...) becomes a 200 whose JSON body is the result (a string is sent as it is) with
 * `content-type: application/json`; a structured result has its `statusCode`, `headers`, `multiValueHeaders`,
 * `cookies` (one `set-cookie` each), `body` and `isBase64Encoded` honoured. A result that cannot be a response
 * (a non-numeric status, a non-string body) is an integration failure: the caller answers 500.
 */
export function mapResultV2(result: unknown): MappedResponse {
  const json = { 'content-type': 'application/json' };
  if (result === undefined) return { statusCode: 200, headers: json, body: Buffer.from('null') };
  if (typeof result === 'string') return { statusCode: 200, headers: json, body: Buffer.from(result, 'utf8') };
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    return { statusCode: 200, headers: json, body: Buffer.from(JSON.stringify(result) ?? 'null', 'utf8') };
  }
  const r = result as Record<string, unknown>;
  const statusCode = typeof r.statusCode === 'string' && /^\d+$/.test(r.statusCode) ? Number(r.statusCode) : r.statusCode;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    throw new MalformedResultError('statusCode must be an integer from 100 to 599');
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') {
    throw new MalformedResultError('body must be a string');
  }
  const headers: Record<string, string | string[]> = {};
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object') throw new MalformedResultError('headers must be an object');
    for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) addHeader(headers, k, v);
  }
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object') throw new MalformedResultError('multiValueHeaders must be an object');
    for (const [k, vs] of Object.entries(r.multiValueHeaders as Record<string, unknown>)) {
      for (const v of Array.isArray(vs) ? vs : [vs]) addHeader(headers, k, v);
    }
  }
  if (r.cookies !== undefined && r.cookies !== null) {
    if (!Array.isArray(r.cookies)) throw new MalformedResultError('cookies must be an array');
    for (const c of r.cookies) addHeader(headers, 'set-cookie', c);
  }
  const text = (r.body as string | undefined | null) ?? '';
  const body = r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  // Lambda said nothing about the type: the gateway's choice, the same as for an inferred response.
  if (headers['content-type'] === undefined && body.length > 0) headers['content-type'] = 'application/json';
  return { statusCode, headers, body };
}
