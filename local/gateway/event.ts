import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';

export interface EventInput {
  method: string;
  /** The request target as received: path and query, still percent-encoded. */
  url: string;
  /** Node's `rawHeaders`: name, value, name, value... */
  rawHeaders: readonly string[];
  body: Buffer | undefined;
  routeKey: string;
  pathParameters: Record<string, string> | undefined;
  sourceIp: string;
  httpVersion: string;
  requestId: string;
  /** Present on routes with a JWT authorizer. */
  jwt?: { claims: Record<string, string>; scopes: string[] | null };
  now?: Date;
}

/** The account and API id the local gateway reports (fixed: nothing locally has real ones). */
const LOCAL_ACCOUNT_ID = '000000000000';
const LOCAL_API_ID = 'local';

/**
 * Bodies API Gateway passes as text; anything else (images, octet-stream, no content type) is base64-encoded with
 * `isBase64Encoded: true`, so a handler always gets the exact bytes.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/graphql'
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');
const formatTime = (d: Date): string =>
  `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
// Second resolution: one formatting per second serves every request in it.
let lastSecond = -1;
let lastText = '';
/** API Gateway's `requestContext.time`: `12/Mar/2020:19:03:58 +0000`. */
export function requestTime(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastSecond) {
    lastText = formatTime(d);
    lastSecond = second;
  }
  return lastText;
}

/**
 * The Lambda event API Gateway's HTTP API sends with payload format 2.0. Header names are lower-cased and repeated
 * headers joined with commas; cookies leave the headers for `cookies`; repeated query parameters are joined with
 * commas; keys with nothing to say (`cookies`, `queryStringParameters`, `pathParameters`, `body`) are left out, as
 * AWS leaves them out, and so is `stageVariables` (no stage variables are configured).
 */
export function buildEventV2(input: EventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
  const q = input.url.indexOf('?');
  const rawPath = q === -1 ? input.url : input.url.slice(0, q);
  const rawQueryString = q === -1 ? '' : input.url.slice(q + 1);

  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < input.rawHeaders.length; i += 2) {
    const name = input.rawHeaders[i]!.toLowerCase();
    const value = input.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      for (const c of value.split(';')) if (c.trim()) cookies.push(c.trim());
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }

  const now = input.now ?? new Date();
  const host = headers.host ?? 'localhost';
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: input.routeKey,
    rawPath,
    rawQueryString,
  };
  if (cookies.length) event.cookies = cookies;
  event.headers = headers;
  if (rawQueryString) {
    const query: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(rawQueryString)) query[k] = k in query ? `${query[k]},${v}` : v;
    event.queryStringParameters = query;
  }
  const requestContext: Record<string, unknown> = {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: LOCAL_API_ID,
  };
  if (input.jwt) requestContext.authorizer = { jwt: { claims: input.jwt.claims, scopes: input.jwt.scopes } };
  Object.assign(requestContext, {
    domainName: host,
    domainPrefix: host.split('.')[0]!.split(':')[0],
    http: {
      method: input.method,
      path: rawPath.includes('%') ? safeDecode(rawPath) : rawPath,
      protocol: `HTTP/${input.httpVersion}`,
      sourceIp: input.sourceIp,
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: input.requestId,
    routeKey: input.routeKey,
    stage: '$default',
    time: requestTime(now),
    timeEpoch: now.getTime(),
  });
  event.requestContext = requestContext;
  if (input.body !== undefined && input.body.length > 0) {
    const text = isTextContentType(headers['content-type']);
    event.body = text ? input.body.toString('utf8') : input.body.toString('base64');
    event.isBase64Encoded = !text;
  } else {
    event.isBase64Encoded = false;
  }
  if (input.pathParameters && Object.keys(input.pathParameters).length) event.pathParameters = input.pathParameters;
  return event as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
