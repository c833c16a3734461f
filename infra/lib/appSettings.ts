import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { SECRET_KEYS, settings, type SettingKey } from '../../src/config/schema.js';

/**
 * The bridge from src/config/schema.ts to task and function definitions: plain settings become environment variables,
 * secret settings never do. A secret setting the stack owns (DATABASE_URL) is an ECS secret reference; a secret setting
 * the operator owns (WEBHOOK_SIGNING_KEY) lives in its own secret, readable only by the role that uses it, which the
 * config loader reads at start-up and refreshes (SECRETS_ID), so an operator's push is picked up without a redeploy and
 * a key not pushed yet does not stop anything from starting (ECS refuses to start a task whose referenced JSON key is
 * missing).
 */
export type SecretKey = (typeof SECRET_KEYS)[number];

/** Which stack-owned secret holds each stack-owned secret setting (the JSON key is the setting's name). */
export const STACK_OWNED_SECRETS = { DATABASE_URL: 'database' } as const satisfies Partial<Record<SecretKey, string>>;

export type SecretHomes = Record<(typeof STACK_OWNED_SECRETS)[keyof typeof STACK_OWNED_SECRETS], secretsmanager.ISecret>;

export class SettingsWiringError extends Error {
  readonly code = 'INFRA_SETTING_WIRING';
}

/** Environment variables for plain settings; throws on unknown keys and on secret keys (never inline a secret). */
export function plainEnvironment(values: Record<string, string>): Record<string, string> {
  for (const key of Object.keys(values)) {
    if (!(key in settings)) throw new SettingsWiringError(`${key} is not a setting in src/config/schema.ts`);
    if (settings[key as SettingKey].secret) throw new SettingsWiringError(`${key} is a secret setting: it must come from Secrets Manager, not the environment`);
  }
  return { ...values };
}

/** ECS secret references for the stack-owned secret settings. */
export function ecsSecrets(homes: SecretHomes): Record<string, ecs.Secret> {
  const out: Record<string, ecs.Secret> = {};
  for (const [key, home] of Object.entries(STACK_OWNED_SECRETS)) {
    if (!SECRET_KEYS.includes(key as SettingKey)) throw new SettingsWiringError(`${key} is not a secret setting in src/config/schema.ts`);
    out[key] = ecs.Secret.fromSecretsManager(homes[home], key);
  }
  return out;
}

/**
 * Secret settings the operator pushes, each into its own secret read only by the one role that uses it, through the
 * config loader (SECRETS_ID) so a push is picked up without a redeploy. WEBHOOK_SIGNING_KEY: the webhook-sender
 * function only (the worker hands it the payload and never sees the key; the service never sends webhooks).
 * WEBHOOK_SIGNING_KEY_PREVIOUS lives in the same secret: the rotation function writes both (src/notifications).
 */
export const OPERATOR_SECRETS = { WEBHOOK_SIGNING_KEY: 'webhookSigningKey', WEBHOOK_SIGNING_KEY_PREVIOUS: 'webhookSigningKey' } as const satisfies Partial<Record<SecretKey, string>>;

/** Every secret setting has exactly one home: stack-owned (ECS secret reference) or operator-owned (its own secret). */
export function assertEverySecretHasAHome(): void {
  for (const key of SECRET_KEYS) {
    const homes = [key in STACK_OWNED_SECRETS, key in OPERATOR_SECRETS].filter(Boolean).length;
    if (homes !== 1) throw new SettingsWiringError(`${key} must have exactly one home in infra/lib/appSettings.ts (STACK_OWNED_SECRETS or OPERATOR_SECRETS), has ${homes}`);
  }
}

/** Secret settings the operator pushes (`npm run secrets -- push`), each into its own secret. */
export const operatorSecretKeys = (): SettingKey[] => SECRET_KEYS.filter((k) => k in OPERATOR_SECRETS);
