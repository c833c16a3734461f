import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';
import { lambdaDeps, resolveDeps, type DepsSource } from './deps.js';
import { callerSub, json, listClaim } from './http.js';
import { userCounts } from './userCounts.js';

export interface MeResponse {
  sub: string;
  username: string;
  email?: string;
  groups: string[];
  scopes: string[];
  tokenUse: string;
  counts: { orders: number; notifications: number };
}

/**
 * GET /me: the caller's profile from the verified claims, with counts of their own orders and notifications.
 * Works with access tokens (`username`, `scope`) and ID tokens (`cognito:username`, `email`).
 */
export function createMeHandler(source: DepsSource) {
  return async function me(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyResultV2> {
    const sub = callerSub(event);
    if (sub === undefined) return json(401, { message: 'Unauthorized' });
    const { db } = await resolveDeps(source);
    const claims = event.requestContext.authorizer.jwt.claims;
    const counts = await userCounts(db, sub);
    const email = claims.email;
    const body: MeResponse = {
      sub,
      username: String(claims['cognito:username'] ?? claims.username ?? sub),
      ...(email !== undefined ? { email: String(email) } : {}),
      groups: listClaim(claims['cognito:groups']),
      scopes: listClaim(claims.scope).filter((s) => s.includes('/')),
      tokenUse: String(claims.token_use ?? ''),
      counts,
    };
    return json(200, body);
  };
}

/** The Lambda entry (FUNCTIONS.me): deps built once per container from config. */
export const handler = createMeHandler(lambdaDeps);
