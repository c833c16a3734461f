import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';
import { InvalidCursorError, MAX_PAGE_LIMIT } from '../db/index.js';
import { listNotifications } from '../notifications/repository.js';
import { lambdaDeps, resolveDeps, type DepsSource } from './deps.js';
import { badRequest, callerSub, json } from './http.js';

/**
 * GET /me/notifications?limit=&cursor=: the caller's notifications, newest first, a page at a time. `limit` is
 * 1..100 (default 20); `cursor` is a previous page's `nextCursor`. Anything else is a 400 naming the parameter.
 */
export function createNotificationsHandler(source: DepsSource) {
  return async function notifications(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyResultV2> {
    const sub = callerSub(event);
    if (sub === undefined) return json(401, { message: 'Unauthorized' });
    const q = event.queryStringParameters ?? {};
    let limit: number | undefined;
    if (q.limit !== undefined) {
      if (!/^\d{1,3}$/.test(q.limit) || Number(q.limit) < 1 || Number(q.limit) > MAX_PAGE_LIMIT) {
        return badRequest('LIMIT_INVALID', `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
      }
      limit = Number(q.limit);
    }
    const { db } = await resolveDeps(source);
    try {
      const page = await listNotifications(db, sub, { ...(limit !== undefined ? { limit } : {}), ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) });
      return json(200, page);
    } catch (err) {
      if (err instanceof InvalidCursorError) return badRequest(err.code, err.message);
      throw err;
    }
  };
}

/** The Lambda entry (FUNCTIONS.notifications): deps built once per container from config. */
export const handler = createNotificationsHandler(lambdaDeps);
