/**
 * Claims as API Gateway's JWT authorizer hands them to a Lambda (payload format 2.0): every value a string.
 * Numbers print as their digits (`"exp": "1612061676"`), booleans as `true`/`false`, and arrays and objects the way
 * API Gateway's Go runtime prints them: `cognito:groups` `["admin","ops"]` arrives as `"[admin ops]"`.
 */
export function claimsForEvent(payload: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (value === undefined) continue;
    out[key] = render(value);
  }
  return out;
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(render).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${render(v)}`).join(' ')}]`;
  }
  return String(value);
}

/** The payload of a JWT whose signature has already been verified (never call this on an unverified token). */
export function decodeVerifiedPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
