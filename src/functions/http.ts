import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

export const badRequest = (code: string, message: string) => json(400, { message, code });

/**
 * The caller's id: the `sub` claim the JWT authorizer verified, and nothing else (never a path, query or body
 * value). Undefined only if the route was deployed without the authorizer.
 */
export function callerSub(event: APIGatewayProxyEventV2WithJWTAuthorizer): string | undefined {
  const sub = event.requestContext.authorizer?.jwt?.claims?.sub;
  return typeof sub === 'string' && sub !== '' ? sub : undefined;
}

/** A list claim as API Gateway renders it, `[a b]`, back into its items (a plain string is one item). */
export function listClaim(value: string | number | boolean | string[] | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  const s = String(value).trim();
  const inner = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  return inner.split(/[\s,]+/).filter(Boolean);
}
