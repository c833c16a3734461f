import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { TokenVerifier } from '../auth/index.js';
import type { Db } from '../db/index.js';
import { ApiError, authHook, caller, fastifyPath, openApiSchema as json, openApiSecurity, parseInput, serviceRoute } from '../http.js';
import { resolveWebhookTarget, WebhookTargetError } from './address.js';
import { putWebhook } from './webhooks.js';

export const webhookInput = z.strictObject({
  url: z.string().max(2048),
  enabled: z.boolean(),
});

export interface WebhookRoutesDeps {
  db: Db;
  verifier: TokenVerifier;
  /** Local runs allow loopback targets (and http:// to them only); elsewhere only https to public addresses. */
  allowLoopback: boolean;
}

export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRoutesDeps): void {
  const route = serviceRoute('PUT', '/me/webhook');
  app.put(
    fastifyPath(route.path),
    {
      onRequest: authHook(route, deps.verifier),
      schema: {
        summary: 'Set your webhook',
        description:
          'Order events are POSTed to this URL, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). ' +
          'The host must resolve only to public addresses.',
        body: json(webhookInput),
        response: { 200: json(z.object({ url: z.string(), enabled: z.boolean(), updatedAt: z.string() })) },
        security: openApiSecurity(route),
      },
    },
    async (req) => {
      const user = caller(req);
      const input = parseInput(webhookInput, req.body, 'webhook');
      // Checked now for a clear 400, and again by the worker at every delivery (DNS answers change).
      try {
        await resolveWebhookTarget(input.url, { allowLoopback: deps.allowLoopback });
      } catch (err) {
        if (err instanceof WebhookTargetError) throw new ApiError(400, err.code, err.message);
        throw err;
      }
      return putWebhook(deps.db, user.sub, new URL(input.url).toString(), input.enabled);
    },
  );
}
