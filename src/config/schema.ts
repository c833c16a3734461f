import { z } from 'zod';
import type { Redacted } from './redacted.js';

/**
 * The one list of Pier's settings. Every value arrives as a string (environment, Docker secret file, a key of the
 * Secrets Manager JSON secret, or `.env`) and is parsed by its schema. The loader, README's configuration reference
 * (checked by a test) and the CDK stacks (which wire environment variables and secret references) all read this.
 */
export interface SettingSpec<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** Used when no source has the key; parsed by `schema` like any other value. */
  default?: string;
  /** Secret values become `Redacted` and are never logged; in AWS they come from Secrets Manager. */
  secret: boolean;
  /** Who reads it: `bootstrap` settings are read before the secret stores are reached. */
  doc: string;
}

const setting = <S extends z.ZodType>(spec: Omit<SettingSpec<S>, 'secret'>) => ({ ...spec, secret: false as const });
const secret = <S extends z.ZodType>(spec: Omit<SettingSpec<S>, 'secret'>) => ({ ...spec, secret: true as const });

/** A whole number in a range, with a message that says so (zod's default for `abc` would only say "NaN"). */
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  const error = `must be a whole number ${range}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const port = integer(0, 65535);
const positiveInt = integer(1);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const url = z.url({ protocol: /^https?$/ });
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

export const settings = {
  // --- runtime -------------------------------------------------------------------------------------------------
  PIER_ENV: setting({
    schema: z.enum(['local', 'test', 'dev', 'prod']),
    default: 'local',
    doc: 'Where Pier runs. `.env` is read only for `local` and `test`; `dev` and `prod` are AWS environments.',
  }),
  LOG_LEVEL: setting({
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    doc: 'pino log level.',
  }),
  AWS_REGION: setting({ schema: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/), default: 'us-east-1', doc: 'AWS region.' }),
  DATA_DIR: setting({ schema: z.string().min(1), default: '.pier', doc: 'Folder for all local state (database, queues, keys, users).' }),

  // --- secret sources (bootstrap: read from the environment, Docker secrets and .env only) ------------------------
  ENV_FILE: setting({ schema: z.string().min(1), default: '.env', doc: 'The `.env` file read outside AWS.' }),
  DOCKER_SECRETS_DIR: setting({ schema: z.string().min(1), default: '/run/secrets', doc: 'Docker secrets folder: one file per key, named as the key.' }),
  SECRETS_ID: setting({ schema: z.string().min(1).optional(), doc: 'Name or ARN of the JSON secret in Secrets Manager whose keys are settings. Unset: no Secrets Manager.' }),
  SECRETS_REFRESH_SECONDS: setting({ schema: positiveInt, default: '300', doc: 'How often the Secrets Manager secret is fetched again, so a rotated value is used without a restart.' }),
  SECRETSMANAGER_ENDPOINT: setting({ schema: url.optional(), doc: 'Secrets Manager endpoint override (the local stand-in). Unset: AWS.' }),

  // --- service ----------------------------------------------------------------------------------------------------
  SERVICE_HOST: setting({ schema: z.string().min(1), default: '127.0.0.1', doc: 'Interface the service listens on (`0.0.0.0` in a container).' }),
  SERVICE_PORT: setting({ schema: port, default: '4001', doc: 'Service HTTP port.' }),
  BODY_LIMIT_BYTES: setting({ schema: positiveInt, default: '1048576', doc: 'Largest request body the gateway and the service accept.' }),

  // --- identity ---------------------------------------------------------------------------------------------------
  COGNITO_USER_POOL_ID: setting({ schema: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/), default: 'us-east-1_PierLocal1', doc: 'Cognito user pool whose tokens are trusted.' }),
  COGNITO_CLIENT_ID: setting({ schema: z.string().min(1), default: 'pier-web-local', doc: "The web page's app client id (public client, PKCE); tokens must be issued to it." }),
  COGNITO_DOMAIN: setting({ schema: url.optional(), doc: 'Hosted login base URL (the local identity endpoint, or the Cognito domain).' }),
  COGNITO_JWKS_URL: setting({ schema: url.optional(), doc: "Where the JWKS is fetched from. Unset: the pool's own https JWKS in AWS." }),
  COGNITO_ISSUER: setting({
    schema: url.optional(),
    doc: "The token issuer (`iss`) trusted instead of Cognito's, ending with `/<COGNITO_USER_POOL_ID>`: `npm start` sets it to the identity stand-in's URL (`http://127.0.0.1:4002/<pool>`), which its discovery document and tokens name. Unset (AWS): Cognito's own `https://cognito-idp.<region>.amazonaws.com/<pool>`.",
  }),
  COGNITO_EXTRA_CLIENT_IDS: setting({ schema: list, default: '', doc: 'Comma-separated further app client ids whose tokens are accepted (besides COGNITO_CLIENT_ID).' }),
  AUTH_TOKEN_CACHE_SIZE: setting({ schema: integer(0), default: '0', doc: 'Verified tokens kept in memory (LRU, each until its `exp`); 0 turns the cache off.' }),

  // --- database ---------------------------------------------------------------------------------------------------
  DATABASE_URL: secret({ schema: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(), doc: 'PostgreSQL connection URL. Unset: embedded PGlite in DATA_DIR.' }),
  DATABASE_POOL_MAX: setting({ schema: positiveInt, default: '10', doc: 'pg pool size per process.' }),

  // --- messaging --------------------------------------------------------------------------------------------------
  SQS_ENDPOINT: setting({ schema: url.optional(), doc: 'SQS endpoint override (the local stand-in). Unset: AWS.' }),
  ORDER_EVENTS_QUEUE_URL: setting({ schema: url.optional(), doc: 'URL of the order-events queue (required by the service and the worker).' }),
  OUTBOX_SWEEP_SECONDS: setting({
    schema: integer(1, 604800),
    default: '21600',
    doc: "How often the service's outbox relay sweeps for unsent rows it was not woken for (a task that died between commit and send). It sends each order right after its commit and runs no statement between sweeps, so this must exceed Aurora's auto-pause delay (dev: 600 s) for an idle database to pause; each sweep resumes a paused one.",
  }),
  ORDER_EVENTS_DLQ_URL: setting({ schema: url.optional(), doc: 'URL of its dead-letter queue (used by `npm run dlq`).' }),
  ORDER_EVENTS_MAX_RECEIVE_COUNT: setting({ schema: integer(1, 1000), default: '5', doc: "Receives of an order event before SQS moves it to the dead-letter queue (the queue's RedrivePolicy maxReceiveCount)." }),
  WORKER_CONCURRENCY: setting({ schema: positiveInt, default: '10', doc: 'Messages the worker handles at once.' }),
  WORKER_VISIBILITY_TIMEOUT_SECONDS: setting({ schema: integer(2, 43200), default: '30', doc: 'Seconds a received order event stays hidden; the worker extends it every third of that while a batch is still running.' }),
  WORKER_WAIT_TIME_SECONDS: setting({ schema: integer(0).max(20), default: '20', doc: "The worker's long-poll wait (SQS allows 0-20)." }),

  // --- webhooks ---------------------------------------------------------------------------------------------------
  WEBHOOK_SIGNING_KEY: secret({ schema: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must look like whsec_<base64>').optional(), doc: 'Standard Webhooks signing key (`whsec_...`); required by the worker. Local runs generate one in DATA_DIR.' }),
  WEBHOOK_SIGNING_KEY_PREVIOUS: secret({
    schema: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must look like whsec_<base64>').optional(),
    doc: 'The signing key before the last rotation. Set by the rotation function (`src/notifications/rotateSigningKey.ts`); while set, webhooks carry a second signature made with it, so receivers that still hold it keep verifying.',
  }),
  WEBHOOK_ALLOW_LOOPBACK: setting({ schema: bool, default: 'false', doc: "Let webhooks reach loopback addresses, the only ones they may call over plain http (local runs only). `npm start` turns it on unless it is set. Private and link-local addresses stay refused, and so do the ports of `npm start`'s own parts." }),
  WEBHOOK_TIMEOUT_MS: setting({ schema: positiveInt, default: '5000', doc: 'Webhook request timeout.' }),
  WEBHOOK_SENDER_FUNCTION: setting({
    schema: z.string().min(1).optional(),
    doc: 'Name or ARN of the Lambda function that sends webhooks from outside the VPC (the worker invokes it). Unset: the worker sends them itself.',
  }),
  LAMBDA_ENDPOINT: setting({ schema: url.optional(), doc: 'Lambda endpoint override (a local Invoke-compatible stand-in). Unset: AWS.' }),

  // --- local runtime (npm start) ----------------------------------------------------------------------------------
  LOCAL_HOST: setting({ schema: z.string().min(1), default: '127.0.0.1', doc: 'Interface the local stand-ins listen on.' }),
  GATEWAY_PORT: setting({ schema: port, default: '4000', doc: 'Local API gateway (and web page) port.' }),
  IDENTITY_PORT: setting({ schema: port, default: '4002', doc: 'Local Cognito-compatible identity port.' }),
  SQS_PORT: setting({ schema: port, default: '4003', doc: 'Local SQS-compatible endpoint port.' }),
  SECRETSMANAGER_PORT: setting({ schema: port, default: '4004', doc: 'Local Secrets-Manager-compatible endpoint port.' }),
  CONSOLE_PORT: setting({ schema: port, default: '4005', doc: 'Local console port (parts, queues, the DLQ and its redrive, users, secret names; loopback only).' }),
  CORS_ALLOWED_ORIGINS: setting({ schema: list, default: '', doc: 'Comma-separated origins the API allows (the gateway adds its own).' }),
  LAMBDA_TIMEOUT_MS: setting({ schema: positiveInt, default: '10000', doc: "Local gateway: a Lambda handler still running after this is failed with 500, as the function's timeout does in AWS." }),
  GATEWAY_INTEGRATION_TIMEOUT_MS: setting({ schema: positiveInt, default: '30000', doc: 'Local gateway: how long it waits for the service before answering 504, like the HTTP API integration timeout.' }),
} satisfies Record<string, SettingSpec>;

export type Settings = typeof settings;
export type SettingKey = keyof Settings;

type Parsed<K extends SettingKey> = z.output<Settings[K]['schema']>;

/** The typed, frozen configuration object: secrets arrive as `Redacted`. */
export type Config = {
  readonly [K in SettingKey]: Settings[K]['secret'] extends true ? Redacted<Exclude<Parsed<K>, undefined>> | Extract<Parsed<K>, undefined> : Parsed<K>;
};

/** Settings read before the secret stores are reached (they say where those stores are). */
export const BOOTSTRAP_KEYS = ['PIER_ENV', 'ENV_FILE', 'DOCKER_SECRETS_DIR', 'SECRETS_ID', 'SECRETSMANAGER_ENDPOINT', 'AWS_REGION'] as const satisfies readonly SettingKey[];

export const SECRET_KEYS = (Object.keys(settings) as SettingKey[]).filter((k) => settings[k].secret);
