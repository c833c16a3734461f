import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AuthError, authErrorStatus, bearerToken, type TokenVerifier, type User } from './auth/index.js';
import { ROUTES, type Route } from './routes.js';

/** An error the service answers with `{ message, code }` and its status; `details` for validation. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Parses with zod; failures become 400 VALIDATION_FAILED listing each field's problem (never its value). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ApiError(
    400,
    'VALIDATION_FAILED',
    `the ${what} is invalid`,
    parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );
}

/** The route table's entry for a service route: the single source of its auth rule. */
export function serviceRoute(method: Route['method'], path: string): Route {
  const route = ROUTES.find((r) => r.method === method && r.path === path && r.target.kind === 'service');
  if (!route) throw new Error(`${method} ${path} is not a service route in src/routes.ts`);
  return route;
}

/** Fastify's path syntax for an API Gateway path: `/orders/{id}` -> `/orders/:id`. */
export const fastifyPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

/** A zod schema as a route's OpenAPI JSON schema: documentation only, handlers validate with `parseInput`. */
export const openApiSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' });

/** A route's OpenAPI security requirement: the bearer token with the scopes the route table asks for. */
export const openApiSecurity = (route: Route) => [{ bearerAuth: route.auth.type === 'jwt' ? [...route.auth.scopes] : [] }];

declare module 'fastify' {
  interface FastifyRequest {
    user?: User;
  }
}

/** The verified caller, set by the route's auth hook. */
export function caller(req: FastifyRequest): User {
  if (!req.user) throw new ApiError(401, 'TOKEN_MISSING', 'no token was presented');
  return req.user;
}

/**
 * The service checks the JWT itself even behind API Gateway's authorizer (defence in depth): a missing or bad token
 * is 401 with `WWW-Authenticate`, a token without the route's scope 403, an unreachable JWKS 503.
 */
export function authHook(route: Route, verifier: TokenVerifier) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (route.auth.type === 'none') return;
    const token = bearerToken(req.headers.authorization);
    try {
      if (!token) throw new AuthError('TOKEN_MISSING', 'no token was presented');
      req.user = await verifier.verify(token, { tokenUse: 'any', scopes: route.auth.scopes });
    } catch (err) {
      const e = err instanceof AuthError ? err : new AuthError('TOKEN_MALFORMED', 'the token could not be verified');
      const status = authErrorStatus(e.code);
      if (status === 403) reply.header('www-authenticate', `Bearer error="insufficient_scope", scope="${route.auth.scopes.join(' ')}"`);
      if (status === 401) reply.header('www-authenticate', token ? 'Bearer error="invalid_token"' : 'Bearer');
      throw new ApiError(status, e.code, e.message);
    }
  };
}
