export interface CorsPolicy {
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
  maxAgeSeconds: number;
  allowCredentials: boolean;
}

/**
 * CORS as an HTTP API with a CORS configuration applies it: the gateway answers preflight OPTIONS itself (no
 * authorizer, no integration), and on every other response it sets the CORS headers for an allowed origin,
 * replacing whatever the integration sent.
 */
export function createCors(policy: CorsPolicy, allowedOrigins: () => ReadonlySet<string>) {
  const allowed = (origin: string | undefined): origin is string => origin !== undefined && (allowedOrigins().has(origin) || allowedOrigins().has('*'));
  return {
    /** Headers for a preflight's 204; none when the origin is not allowed (the browser then refuses). */
    preflight(origin: string | undefined): Record<string, string> {
      if (!allowed(origin)) return {};
      const h: Record<string, string> = {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': policy.allowMethods.join(','),
        'access-control-allow-headers': policy.allowHeaders.join(','),
        'access-control-max-age': String(policy.maxAgeSeconds),
        vary: 'Origin',
      };
      if (policy.allowCredentials) h['access-control-allow-credentials'] = 'true';
      return h;
    },
    /** Headers for an actual response to `origin`. */
    response(origin: string | undefined): Record<string, string> {
      if (!allowed(origin)) return {};
      const h: Record<string, string> = { 'access-control-allow-origin': origin, vary: 'Origin' };
      if (policy.exposeHeaders.length) h['access-control-expose-headers'] = policy.exposeHeaders.join(',');
      if (policy.allowCredentials) h['access-control-allow-credentials'] = 'true';
      return h;
    },
  };
}
