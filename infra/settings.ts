import { PINNED_ENGINE_VERSION, type AuroraPostgresVersion } from './lib/engine.js';

/**
 * Every name, size and switch of the cloud deployment, one typed object per environment. The stacks read nothing
 * else (apart from src/routes.ts and src/config/schema.ts, the shared sources of truth), so a reviewer can see what an
 * environment costs and how it is shaped from this file alone.
 */

export type EnvName = 'dev' | 'prod';

export interface FargateSize {
  /** Fargate CPU units (256 = 0.25 vCPU). */
  cpu: 256 | 512 | 1024 | 2048 | 4096;
  /** MiB; must be a valid pairing with `cpu`. */
  memoryMiB: number;
}

export interface EnvSettings {
  env: EnvName;
  /** Prefix of every physical name (cluster, services, secrets, log groups). */
  prefix: string;
  /** Used only when no account/region comes from the CLI or the environment (offline `npm run synth`, tests). */
  region: string;
  /**
   * Offline placeholders (`<region>a`, `<region>b`), used by `npm run synth` and the tests. `npm run deploy` replaces
   * them with the account's zone names whose zone IDs support API Gateway VPC links (infra/lib/zones.ts).
   */
  availabilityZones: string[];
  network: {
    cidr: string;
    /** AZs that get interface endpoints (each endpoint costs per AZ-hour); the rest reach them cross-AZ. */
    endpointAzCount: number;
    flowLogRetentionDays: number;
  };
  data: {
    databaseName: string;
    username: string;
    /** infra/lib/engine.ts; `npm run deploy` checks it with RDS first. */
    engineVersion: AuroraPostgresVersion;
    /** Aurora Serverless v2 capacity in ACU; 0 lets the cluster pause when idle. */
    minAcu: number;
    maxAcu: number;
    /** Idle time before a 0-ACU cluster pauses. */
    autoPauseMinutes: number;
    /** Readers beside the writer (in another AZ): failover targets. */
    readers: number;
    backupRetentionDays: number;
    deletionProtection: boolean;
    /** Keep (snapshot) or destroy the cluster on `cdk destroy`. */
    retainOnDelete: boolean;
  };
  messaging: {
    queueName: string;
    dlqName: string;
    maxReceiveCount: number;
    visibilityTimeoutSeconds: number;
    retentionDays: number;
    /** Alarm when the oldest message in the main queue is older than this. */
    oldestMessageAlarmSeconds: number;
  };
  auth: {
    /** Cognito hosted-login domain prefix; must be unique in the region. Unset: `pier-<env>-<account id>`. */
    domainPrefix?: string;
    /** Extra callback/logout URLs (the CloudFront page's `/callback` and `/` are always registered). */
    callbackUrls: string[];
    logoutUrls: string[];
    /** Public client: access and ID token lifetime. */
    tokenValidityMinutes: number;
    minPasswordLength: number;
  };
  compute: {
    /**
     * `asset`: build the repository's Dockerfile into ECR at deploy time.
     * `registry`: a Docker Hub image (`owner/repo:tag`, or `repo:tag` for an official image) pulled through an ECR
     * pull-through cache the stack creates (infra/lib/pullThroughCache.ts): tasks only ever pull from this account's
     * ECR. The Docker Hub credentials go into the secret `ecr-pullthroughcache/<prefix>-docker-hub` the stack creates
     * (JSON `username`, `accessToken`); see docs/deploy.md.
     */
    image: { source: 'asset' } | { source: 'registry'; image: string };
    containerPort: number;
    logRetentionDays: number;
    /** CloudWatch Container Insights (per-task metrics, billed as custom metrics): prod on, dev off to idle cheaply. */
    containerInsights: boolean;
    service: FargateSize & { desiredCount: number };
    worker: FargateSize & {
      minCapacity: number;
      maxCapacity: number;
      /** Messages waiting or in flight per worker task: the worker runs ceil(backlog / this) tasks, within min..max. */
      backlogPerTask: number;
      /**
       * Pins the worker's count at 0 in the template (DesiredCount: 0, reapplied on every deploy) while set. Only for
       * a first deploy that must start no task, e.g. before a pull-through cache has the image (docs/deploy.md);
       * otherwise the template has no DesiredCount and autoscaling owns the count.
       */
      holdAtZero?: boolean;
    };
  };
  api: {
    throttleRatePerSecond: number;
    throttleBurst: number;
    accessLogRetentionDays: number;
    /** Origins allowed by the HTTP API's CORS (the CloudFront page URL is always added). */
    corsOrigins: string[];
  };
  functions: {
    memoryMiB: number;
    timeoutSeconds: number;
    /** Bundle the handlers with esbuild. Off only in tests that do not look at the code (it keeps them fast). */
    bundle: boolean;
    /**
     * The webhook-sender function (outside the VPC). Its timeout must exceed WEBHOOK_TIMEOUT_MS plus a cold start's
     * secret read; the worker waits WEBHOOK_TIMEOUT_MS + 10 s for it.
     */
    webhookSender: { memoryMiB: number; timeoutSeconds: number };
  };
  web: {
    /** Folder with the built page; deployed only if it exists. */
    distDir: string;
  };
  /** The alarm topic, the alarms and the dashboard (infra/lib/monitoring.ts). */
  alarms: {
    /**
     * E-mail address subscribed to the alarm topic (SNS sends it a confirmation first). Unset: the topic has no
     * subscription; subscribe by hand or through another tool.
     */
    email?: string;
    /** ECS service (HTTP) average CPU / memory utilization, percent, over 3 of 5 minutes. */
    cpuHighPercent: number;
    memoryHighPercent: number;
    /** API Gateway, ALB and target 5xx responses in one minute, over 3 of 5 minutes. */
    http5xxPerMinute: number;
  };
  /** Plain settings (src/config/schema.ts) set in every task and function environment. */
  appSettings: Record<string, string>;
}

const base = (env: EnvName) => ({
  env,
  prefix: `pier-${env}`,
  region: 'us-east-1',
  availabilityZones: ['us-east-1a', 'us-east-1b'],
});

export const ENVIRONMENTS: Record<EnvName, EnvSettings> = {
  dev: {
    ...base('dev'),
    network: { cidr: '10.40.0.0/16', endpointAzCount: 1, flowLogRetentionDays: 7 },
    data: {
      databaseName: 'pier',
      username: 'pier',
      engineVersion: PINNED_ENGINE_VERSION,
      minAcu: 0,
      maxAcu: 2,
      autoPauseMinutes: 10,
      readers: 0,
      backupRetentionDays: 1,
      deletionProtection: false,
      retainOnDelete: false,
    },
    messaging: {
      queueName: 'pier-dev-order-events',
      dlqName: 'pier-dev-order-events-dlq',
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 60,
      retentionDays: 4,
      oldestMessageAlarmSeconds: 900,
    },
    auth: {
      // The page served by `npm start`, signing in against the dev pool.
      callbackUrls: ['http://localhost:4000/callback'],
      logoutUrls: ['http://localhost:4000/'],
      tokenValidityMinutes: 60,
      minPasswordLength: 12,
    },
    compute: {
      image: { source: 'asset' },
      containerPort: 8080,
      logRetentionDays: 14,
      containerInsights: false,
      service: { cpu: 256, memoryMiB: 512, desiredCount: 1 },
      worker: { cpu: 256, memoryMiB: 512, minCapacity: 0, maxCapacity: 2, backlogPerTask: 100 },
    },
    api: { throttleRatePerSecond: 20, throttleBurst: 40, accessLogRetentionDays: 14, corsOrigins: ['http://localhost:4000'] },
    functions: { memoryMiB: 512, timeoutSeconds: 30, bundle: true, webhookSender: { memoryMiB: 256, timeoutSeconds: 15 } },
    web: { distDir: 'web/dist' },
    alarms: { cpuHighPercent: 80, memoryHighPercent: 80, http5xxPerMinute: 5 },
    appSettings: { LOG_LEVEL: 'info' },
  },
  prod: {
    ...base('prod'),
    network: { cidr: '10.41.0.0/16', endpointAzCount: 2, flowLogRetentionDays: 90 },
    data: {
      databaseName: 'pier',
      username: 'pier',
      engineVersion: PINNED_ENGINE_VERSION,
      minAcu: 0.5,
      maxAcu: 8,
      autoPauseMinutes: 0,
      readers: 1,
      backupRetentionDays: 14,
      deletionProtection: true,
      retainOnDelete: true,
    },
    messaging: {
      queueName: 'pier-prod-order-events',
      dlqName: 'pier-prod-order-events-dlq',
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 60,
      retentionDays: 14,
      oldestMessageAlarmSeconds: 300,
    },
    auth: { callbackUrls: [], logoutUrls: [], tokenValidityMinutes: 60, minPasswordLength: 12 },
    compute: {
      image: { source: 'asset' },
      containerPort: 8080,
      logRetentionDays: 90,
      containerInsights: true,
      service: { cpu: 512, memoryMiB: 1024, desiredCount: 2 },
      worker: { cpu: 256, memoryMiB: 512, minCapacity: 1, maxCapacity: 10, backlogPerTask: 100 },
    },
    api: { throttleRatePerSecond: 200, throttleBurst: 400, accessLogRetentionDays: 90, corsOrigins: [] },
    functions: { memoryMiB: 512, timeoutSeconds: 30, bundle: true, webhookSender: { memoryMiB: 256, timeoutSeconds: 15 } },
    web: { distDir: 'web/dist' },
    alarms: { cpuHighPercent: 80, memoryHighPercent: 80, http5xxPerMinute: 5 },
    appSettings: { LOG_LEVEL: 'info' },
  },
};

export function envSettings(name: string | undefined): EnvSettings {
  const key = (name ?? 'dev') as EnvName;
  const found = ENVIRONMENTS[key];
  if (!found) throw new Error(`unknown environment "${name}": use one of ${Object.keys(ENVIRONMENTS).join(', ')}`);
  return found;
}

/** Physical names the pause/resume script and the docs share with the stack. */
export const names = (s: EnvSettings) => ({
  stack: `Pier-${s.env}`,
  cluster: s.prefix,
  service: `${s.prefix}-service`,
  worker: `${s.prefix}-worker`,
  /** The webhook signing key's own secret: read by the webhook-sender function only (`npm run secrets -- push`). */
  webhookSigningKeySecret: `${s.prefix}/webhook-signing-key`,
  /** @deprecated There is no shared app secret any more; the one operator-pushed secret is webhookSigningKeySecret. */
  appSecret: `${s.prefix}/webhook-signing-key`,
  databaseUrlSecret: `${s.prefix}/database-url`,
  alarmTopic: `${s.prefix}-alarms`,
  dashboard: `${s.prefix}-flow`,
});
