import { InvokeCommand, LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import { LOCAL_CREDENTIALS } from '../config/localCredentials.js';
import type { WebhookDeliveryOutcome, WebhookSender } from './webhook.js';

/** How long the worker waits for the function beyond the webhook's own timeout (cold start, invoke overhead). */
export const INVOKE_MARGIN_MS = 10_000;

/**
 * The Lambda client for the webhook sender: AWS (through the VPC's `lambda` interface endpoint) by default, or a local
 * Invoke-compatible stand-in at LAMBDA_ENDPOINT (dummy credentials: the stand-in checks no signatures). One attempt
 * plus one retry: the SDK retries only throttling and transient errors.
 */
export function lambdaClientFromConfig(config: Pick<Config, 'AWS_REGION' | 'LAMBDA_ENDPOINT' | 'WEBHOOK_TIMEOUT_MS'>, extra: Partial<LambdaClientConfig> = {}): LambdaClient {
  return new LambdaClient({
    region: config.AWS_REGION,
    maxAttempts: 2,
    requestHandler: { requestTimeout: config.WEBHOOK_TIMEOUT_MS + INVOKE_MARGIN_MS, connectionTimeout: 5_000 },
    ...(config.LAMBDA_ENDPOINT ? { endpoint: config.LAMBDA_ENDPOINT, credentials: LOCAL_CREDENTIALS } : {}),
    ...extra,
  });
}

const outcomeSchema = z.object({
  status: z.enum(['delivered', 'failed', 'refused']),
  httpStatus: z.number().int().optional(),
  error: z.string().max(200).optional(),
});

/**
 * The WebhookSender port over a synchronous Lambda invoke of the webhook-sender function
 * (src/notifications/webhookFunction.ts), which sends from outside the VPC and signs with the key it holds. The
 * function's outcome is returned as is. When the function cannot be reached or fails, the delivery is `failed` with a
 * short reason (`WEBHOOK_SENDER_UNAVAILABLE` / `WEBHOOK_SENDER_ERROR` and the error's name), like a network error on a
 * direct send: the notification is never held back.
 */
export function createLambdaWebhookSender(opts: { client: LambdaClient; functionName: string }): WebhookSender {
  return async (url, id, body) => {
    let out;
    try {
      out = await opts.client.send(
        new InvokeCommand({ FunctionName: opts.functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify({ url, id, body })) }),
      );
    } catch (err) {
      return { status: 'failed', error: `WEBHOOK_SENDER_UNAVAILABLE: ${(err as Error).name}` };
    }
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) {
      // The payload is { errorType, errorMessage, trace }: only the type is kept (a message could quote input).
      let type = out.FunctionError;
      try {
        type = String((JSON.parse(text) as { errorType?: unknown }).errorType ?? type);
      } catch {
        /* not JSON: keep Lambda's Handled/Unhandled */
      }
      return { status: 'failed', error: `WEBHOOK_SENDER_ERROR: ${type}`.slice(0, 200) };
    }
    let parsed;
    try {
      parsed = outcomeSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) return { status: 'failed', error: 'WEBHOOK_SENDER_ERROR: unreadable reply' };
    return parsed.data as WebhookDeliveryOutcome;
  };
}
