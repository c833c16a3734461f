/**
 * The token from an `Authorization` header value, as API Gateway's JWT authorizer reads it: an optional
 * `Bearer ` prefix (any case) is dropped. Returns undefined when there is no token.
 */
export function bearerToken(header: string | readonly string[] | undefined): string | undefined {
  const value = typeof header === 'string' ? header : header?.[0];
  if (typeof value !== 'string') return undefined;
  const token = value.replace(/^\s*bearer\s+/i, '').trim();
  return token === '' ? undefined : token;
}
