/**
 * The webhook-sender Lambda function. It runs OUTSIDE the VPC (the worker's subnets have no route to the internet),
 * so it can reach users' public webhook URLs; the worker invokes it synchronously (src/notifications/lambdaSender.ts).
 * It runs the same sender as a worker without it (address checks, pinned connection, Standard Webhooks signature,
 * timeout) and returns the outcome. The signing key stays in one place: this function reads WEBHOOK_SIGNING_KEY
 * from its own secret (SECRETS_ID; no other role may read it) and refreshes it every SECRETS_REFRESH_SECONDS, so a rotation needs no redeploy.
 */
import { z } from 'zod';
import { createConfigStore, type Config, type ConfigStore } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { createLiveWebhookSender } from './liveSender.js';
import type { WebhookDeliveryOutcome } from './webhook.js';

/** What the worker sends: the WebhookSender port's arguments. */
export const webhookRequestSchema = z.object({
  url: z.string().min(1).max(2048),
  id: z.string().min(1).max(200),
  body: z.string().max(256 * 1024),
});
export type WebhookRequest = z.infer<typeof webhookRequestSchema>;

/** A malformed invocation: surfaces to the caller as the function error `WebhookRequestError`. */
export class WebhookRequestError extends Error {
  override readonly name = 'WebhookRequestError';
  readonly code = 'WEBHOOK_REQUEST_INVALID';
}

export interface WebhookFunctionDeps {
  /** The current config (a ConfigStore's `get`): read on every invocation. */
  current: () => Config;
  logger: Logger;
}

export function createWebhookFunctionHandler(source: () => Promise<WebhookFunctionDeps>) {
  return async function sendWebhook(event: unknown): Promise<WebhookDeliveryOutcome> {
    const parsed = webhookRequestSchema.safeParse(event);
    if (!parsed.success) throw new WebhookRequestError(`invalid webhook request: ${parsed.error.issues.map((i) => i.path.join('.') || 'event').join(', ')}`);
    const { current, logger } = await source();
    const { url, id, body } = parsed.data;
    const outcome = await sender(current)(url, id, body);
    // By event id and outcome only: never the body, the URL's query or the key.
    logger.info({ eventId: id, status: outcome.status, httpStatus: outcome.httpStatus, error: outcome.error }, 'webhook sent');
    return outcome;
  };
}

const senders = new WeakMap<() => Config, ReturnType<typeof createLiveWebhookSender>>();
function sender(current: () => Config) {
  let s = senders.get(current);
  if (!s) senders.set(current, (s = createLiveWebhookSender(current)));
  return s;
}

let container: Promise<WebhookFunctionDeps> | undefined;
let store: ConfigStore | undefined;
let refreshedAt = 0;

/**
 * The deps of a Lambda container: a config store (environment + the signing key's secret) built on the first invocation.
 * A frozen container's timers do not run, so the store is also refreshed on an invocation once SECRETS_REFRESH_SECONDS
 * have passed; a failed refresh keeps the last good config. A failed first load is retried by the next invocation.
 */
export function lambdaWebhookDeps(): Promise<WebhookFunctionDeps> {
  container ??= (async () => {
    const late: { logger?: Logger } = {};
    store = await createConfigStore({ onRefreshError: (err) => late.logger?.warn({ code: (err as { code?: string }).code }, 'config refresh failed; keeping the last good config') });
    refreshedAt = Date.now();
    const s = store;
    const logger = (late.logger = createLogger({ level: s.get().LOG_LEVEL, name: 'webhook-sender' }));
    return { current: () => s.get(), logger };
  })().catch((err: unknown) => {
    container = undefined;
    throw err;
  });
  return container.then(async (deps) => {
    const s = store as ConfigStore;
    if (s.get().SECRETS_ID && Date.now() - refreshedAt > s.get().SECRETS_REFRESH_SECONDS * 1000) {
      refreshedAt = Date.now();
      await s.refresh().catch((err: Error) => deps.logger.warn({ code: (err as { code?: string }).code }, 'config refresh failed; keeping the last good config'));
    }
    return deps;
  });
}

/** The Lambda entry (infra/lib/webhookSender.ts). */
export const handler = createWebhookFunctionHandler(lambdaWebhookDeps);
