import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../src/fsAtomic.js';
import { actionHandler } from '../awsJson.js';
import { AwsError, invalidParameter, invalidRequest, notFound } from './errors.js';

/** The stand-in's whole state; what `secretsmanager.json` in the data folder holds. */
interface Version {
  id: string;
  /** Exactly one of `string` / `binary` (base64, as the JSON protocol carries blobs). */
  string?: string;
  binary?: string;
  created: number;
  stages: string[];
}

/**
 * Rotation settings, as RotateSecret sets them and DescribeSecret reports them. Optional in the state file: files
 * written before rotation existed have none (RotationEnabled false).
 */
interface Rotation {
  enabled: boolean;
  lambdaArn: string;
  rules: RotationRules;
  lastRotated?: number;
  nextRotation?: number;
}

interface RotationRules {
  AutomaticallyAfterDays?: number;
  ScheduleExpression?: string;
  Duration?: string;
}

/** What the stand-in calls to run one step of a rotation function (the Lambda Invoke API, see server.ts). */
export type RotationInvoker = (functionArn: string, event: RotationStepEvent) => Promise<void>;

/**
 * The event Secrets Manager invokes a rotation function with, once per step
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda.html). `RotationToken` is only
 * sent for rotation through an assumed role or across accounts, which the stand-in does not do.
 */
export interface RotationStepEvent {
  Step: RotationStep;
  SecretId: string;
  ClientRequestToken: string;
  RotationToken?: string;
}

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/**
 * What AWS records in CloudTrail while it rotates (RotationStarted / RotationSucceeded / RotationFailed, see
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/cloudtrail_log_entries.html). RotateSecret itself only
 * starts the rotation, so a failing step is reported here, never as RotateSecret's answer. No secret value is in it.
 */
export interface RotationEvent {
  event: 'RotationStarted' | 'RotationSucceeded' | 'RotationFailed' | 'RotationAbandoned';
  arn: string;
  name: string;
  versionId: string;
  /** RotationFailed: the step that failed last and the function's error (`errorType: errorMessage`). */
  step?: RotationStep;
  error?: string;
}

export interface SecretStoreOptions {
  /** Runs a rotation function's step; without it RotateSecret is refused (InvalidRequestException). */
  invoke?: RotationInvoker;
  onRotationEvent?: (event: RotationEvent) => void;
  /** Whole-rotation attempts before RotationFailed (AWS: "retries the entire rotation process multiple times"). Default 2. */
  rotationAttempts?: number;
}

interface Secret {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  created: number;
  lastChanged: number;
  /** Set while the secret waits out its recovery window; the secret is purged once this passes. */
  deletionDate?: number;
  rotation?: Rotation;
  versions: Version[];
}

const stateSchema = z.object({ version: z.literal(1), secrets: z.array(z.any()) });

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const PENDING = 'AWSPENDING';
const DAY_MS = 86_400_000;
const MAX_SECRET_BYTES = 65_536;
const ACCOUNT = '000000000000';

// --- input schemas: what AWS documents for each action, enough to refuse what AWS refuses ---------------------------
const secretId = z.string().min(1).max(2048);
const token = z.string().min(32).max(64);
const secretString = z.string().refine((s) => Buffer.byteLength(s) <= MAX_SECRET_BYTES, `must be at most ${MAX_SECRET_BYTES} bytes`);
const secretBinary = z.string().base64();
const stage = z.string().min(1).max(256);
const tag = z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) });
const name = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9/_+=.@-]+$/, 'may contain only letters, digits and /_+=.@-');

const inputs = {
  CreateSecret: z.object({
    Name: name,
    ClientRequestToken: token.optional(),
    Description: z.string().max(2048).optional(),
    KmsKeyId: z.string().max(2048).optional(),
    SecretString: secretString.optional(),
    SecretBinary: secretBinary.optional(),
    Tags: z.array(tag).optional(),
  }),
  PutSecretValue: z.object({
    SecretId: secretId,
    ClientRequestToken: token.optional(),
    SecretString: secretString.optional(),
    SecretBinary: secretBinary.optional(),
    VersionStages: z.array(stage).min(1).max(20).optional(),
  }),
  GetSecretValue: z.object({ SecretId: secretId, VersionId: token.optional(), VersionStage: stage.optional() }),
  DescribeSecret: z.object({ SecretId: secretId }),
  ListSecrets: z.object({
    MaxResults: z.number().int().min(1).max(100).optional(),
    NextToken: z.string().optional(),
    IncludePlannedDeletion: z.boolean().optional(),
    SortOrder: z.enum(['asc', 'desc']).optional(),
    Filters: z
      .array(z.object({ Key: z.enum(['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all']), Values: z.array(z.string()).min(1).max(10) }))
      .max(10)
      .optional(),
  }),
  DeleteSecret: z.object({
    SecretId: secretId,
    RecoveryWindowInDays: z.number().int().min(7).max(30).optional(),
    ForceDeleteWithoutRecovery: z.boolean().optional(),
  }),
  RestoreSecret: z.object({ SecretId: secretId }),
  RotateSecret: z.object({
    SecretId: secretId,
    ClientRequestToken: token.optional(),
    RotationLambdaARN: z.string().min(1).max(2048).optional(),
    RotationRules: z
      .object({
        AutomaticallyAfterDays: z.number().int().min(1).max(1000).optional(),
        ScheduleExpression: z.string().min(1).max(256).optional(),
        Duration: z.string().regex(/^[0-9h]+$/, 'must look like 3h').min(2).max(3).optional(),
      })
      .optional(),
    RotateImmediately: z.boolean().optional(),
  }),
  CancelRotateSecret: z.object({ SecretId: secretId }),
  ListSecretVersionIds: z.object({
    SecretId: secretId,
    MaxResults: z.number().int().min(1).max(100).optional(),
    NextToken: z.string().optional(),
    IncludeDeprecated: z.boolean().optional(),
  }),
  UpdateSecretVersionStage: z.object({
    SecretId: secretId,
    VersionStage: stage,
    MoveToVersionId: token.optional(),
    RemoveFromVersionId: token.optional(),
  }),
} as const;

export type Action = keyof typeof inputs;

function parse<A extends Action>(action: A, body: unknown): z.output<(typeof inputs)[A]> {
  const result = inputs[action].safeParse(body);
  if (result.success) return result.data as z.output<(typeof inputs)[A]>;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : 'request';
  // AWS names the parameter, never echoes its value (it may be the secret).
  throw invalidParameter(`Invalid parameter ${field}: ${issue?.message ?? 'invalid'}`);
}

const seconds = (ms: number) => ms / 1000;
const randomSuffix = () => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(6)].map((b) => chars[b % chars.length]).join('');
};

/**
 * Secrets Manager's data model and operations (names, ARNs, versions and staging labels, scheduled deletion),
 * persisted to one JSON file so a restart keeps every secret. Each mutating call resolves only once the file is
 * written (atomically: a temporary file renamed over the old one, mode 0600).
 */
export class SecretStore {
  readonly #file: string;
  readonly #region: string;
  readonly #opts: SecretStoreOptions;
  #secrets: Secret[] = [];
  #writes: Promise<void> = Promise.resolve();
  /** Rotations running now, by secret ARN; `cancelled` is set by CancelRotateSecret and close. */
  readonly #rotations = new Map<string, { versionId: string; cancelled: boolean; done: Promise<void> }>();

  private constructor(file: string, region: string, opts: SecretStoreOptions) {
    this.#file = file;
    this.#region = region;
    this.#opts = opts;
  }

  static async open(dataDir: string, region: string, opts: SecretStoreOptions = {}): Promise<SecretStore> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const store = new SecretStore(join(dataDir, 'secretsmanager.json'), region, opts);
    let text: string | undefined;
    try {
      text = await readFile(store.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      let parsed: z.infer<typeof stateSchema>;
      try {
        parsed = stateSchema.parse(JSON.parse(text));
      } catch {
        throw new Error(`${store.#file} is not a Secrets Manager stand-in state file; move it away to start afresh`);
      }
      store.#secrets = parsed.secrets as Secret[];
    }
    return store;
  }

  get file(): string {
    return this.#file;
  }

  // The actions by name, dispatched through `actionHandler` (own properties only, so `constructor` is no action).
  static readonly #actions: Record<Action, (store: SecretStore, body: unknown) => object | Promise<object>> = {
    CreateSecret: (s, body) => s.#create(parse('CreateSecret', body)),
    PutSecretValue: (s, body) => s.#put(parse('PutSecretValue', body)),
    GetSecretValue: (s, body) => s.#get(parse('GetSecretValue', body)),
    DescribeSecret: (s, body) => s.#describe(s.#find(parse('DescribeSecret', body).SecretId)),
    ListSecrets: (s, body) => s.#list(parse('ListSecrets', body)),
    DeleteSecret: (s, body) => s.#delete(parse('DeleteSecret', body)),
    RestoreSecret: (s, body) => s.#restore(parse('RestoreSecret', body)),
    RotateSecret: (s, body) => s.#rotateSecret(parse('RotateSecret', body)),
    CancelRotateSecret: (s, body) => s.#cancelRotate(parse('CancelRotateSecret', body)),
    ListSecretVersionIds: (s, body) => s.#listVersions(parse('ListSecretVersionIds', body)),
    UpdateSecretVersionStage: (s, body) => s.#updateStage(parse('UpdateSecretVersionStage', body)),
  };

  /** True when `name` is an action this stand-in serves. */
  static serves(name: string): name is Action {
    return actionHandler(SecretStore.#actions, name) !== undefined;
  }

  /** Runs one action. Returns the response body; throws AwsError for anything AWS would refuse. */
  async run(action: string, body: unknown): Promise<object> {
    const handler = actionHandler(SecretStore.#actions, action);
    if (!handler) throw new AwsError('UnknownOperationException', `Unknown or unsupported operation ${action}.`);
    this.#purgeExpired();
    return handler(this, body);
  }

  /** Resolves once every write started so far is on disk. */
  flush(): Promise<void> {
    return this.#writes;
  }

  /** Resolves once every rotation running now has finished (succeeded, failed or been cancelled). */
  async rotationsSettled(): Promise<void> {
    while (this.#rotations.size > 0) await Promise.all([...this.#rotations.values()].map((r) => r.done));
  }

  /** Stops running rotations after their current step (as CancelRotateSecret does) and waits for them. */
  async close(): Promise<void> {
    for (const r of this.#rotations.values()) r.cancelled = true;
    await this.rotationsSettled();
    await this.flush();
  }

  // --- actions --------------------------------------------------------------------------------------------------

  async #create(input: z.output<typeof inputs.CreateSecret>) {
    const value = secretValue(input);
    const existing = this.#secrets.find((s) => s.name === input.Name);
    if (existing) {
      // The SDK retries with the same ClientRequestToken; a retry of a create that landed is not a conflict.
      const same = input.ClientRequestToken && existing.versions.find((v) => v.id === input.ClientRequestToken);
      if (same && sameValue(same, value)) return { ARN: existing.arn, Name: existing.name, VersionId: same.id };
      if (existing.deletionDate !== undefined) {
        throw invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.");
      }
      throw new AwsError('ResourceExistsException', `The operation failed because the secret ${input.Name} already exists.`);
    }
    const now = Date.now();
    const secret: Secret = {
      arn: `arn:aws:secretsmanager:${this.#region}:${ACCOUNT}:secret:${input.Name}-${randomSuffix()}`,
      name: input.Name,
      ...(input.Description !== undefined ? { description: input.Description } : {}),
      ...(input.KmsKeyId !== undefined ? { kmsKeyId: input.KmsKeyId } : {}),
      tags: input.Tags ?? [],
      created: now,
      lastChanged: now,
      versions: [],
    };
    let versionId: string | undefined;
    if (value) {
      versionId = input.ClientRequestToken ?? randomUUID();
      secret.versions.push({ id: versionId, ...value, created: now, stages: [CURRENT] });
    }
    this.#secrets.push(secret);
    await this.#persist();
    return { ARN: secret.arn, Name: secret.name, ...(versionId ? { VersionId: versionId } : {}) };
  }

  async #put(input: z.output<typeof inputs.PutSecretValue>) {
    const secret = this.#live(input.SecretId);
    const value = secretValue(input);
    if (!value) throw invalidRequest('You must provide either SecretString or SecretBinary.');
    const stages = input.VersionStages ?? [CURRENT];
    const id = input.ClientRequestToken ?? randomUUID();
    const existing = secret.versions.find((v) => v.id === id);
    // RotateSecret creates the AWSPENDING version with no value yet; the rotation function's createSecret step fills
    // it with PutSecretValue under the same ClientRequestToken. Any other existing version is history.
    const empty = existing && existing.string === undefined && existing.binary === undefined;
    if (existing && !empty) {
      // Idempotent retry: same token, same value. Anything else would rewrite history, which AWS forbids.
      if (!sameValue(existing, value)) throw new AwsError('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");
      return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: existing.stages };
    }
    const now = Date.now();
    const oldCurrent = secret.versions.find((v) => v.stages.includes(CURRENT));
    for (const v of secret.versions) if (v !== existing) v.stages = v.stages.filter((s) => !stages.includes(s));
    if (stages.includes(CURRENT) && oldCurrent && oldCurrent !== existing) {
      for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== PREVIOUS);
      oldCurrent.stages.push(PREVIOUS);
    }
    if (existing) {
      Object.assign(existing, value);
      existing.stages = [...new Set([...existing.stages, ...stages])];
    } else {
      secret.versions.push({ id, ...value, created: now, stages: [...stages] });
    }
    // A version with no label left is deprecated in AWS; the stand-in simply drops it.
    secret.versions = secret.versions.filter((v) => v.stages.length > 0);
    secret.lastChanged = now;
    await this.#persist();
    return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: existing ? existing.stages : stages };
  }

  #get(input: z.output<typeof inputs.GetSecretValue>) {
    const secret = this.#live(input.SecretId);
    const label = input.VersionStage ?? (input.VersionId ? undefined : CURRENT);
    const version = secret.versions.find((v) => (!input.VersionId || v.id === input.VersionId) && (!label || v.stages.includes(label)));
    // A version with no value (the AWSPENDING version RotateSecret made, before createSecret fills it) is not found.
    if (!version || (version.string === undefined && version.binary === undefined)) {
      const what = input.VersionId ? `VersionId: ${input.VersionId}` : `staging label: ${label}`;
      throw new AwsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${what}`);
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      ...(version.string !== undefined ? { SecretString: version.string } : { SecretBinary: version.binary }),
      VersionStages: version.stages,
      CreatedDate: seconds(version.created),
    };
  }

  #describe(secret: Secret) {
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description !== undefined ? { Description: secret.description } : {}),
      ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
      RotationEnabled: secret.rotation?.enabled ?? false,
      ...(secret.rotation
        ? {
            RotationLambdaARN: secret.rotation.lambdaArn,
            RotationRules: secret.rotation.rules,
            ...(secret.rotation.lastRotated !== undefined ? { LastRotatedDate: seconds(secret.rotation.lastRotated) } : {}),
            ...(secret.rotation.enabled && secret.rotation.nextRotation !== undefined ? { NextRotationDate: seconds(secret.rotation.nextRotation) } : {}),
          }
        : {}),
      CreatedDate: seconds(secret.created),
      LastChangedDate: seconds(secret.lastChanged),
      ...(secret.deletionDate !== undefined ? { DeletedDate: seconds(secret.deletionDate) } : {}),
      Tags: secret.tags,
      VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.id, v.stages])),
    };
  }

  #list(input: z.output<typeof inputs.ListSecrets>) {
    const matches = (secret: Secret, key: string, value: string) => {
      const v = value.toLowerCase();
      const starts = (s: string | undefined) => s !== undefined && s.toLowerCase().startsWith(v);
      switch (key) {
        case 'name':
          return starts(secret.name);
        case 'description':
          return starts(secret.description);
        case 'tag-key':
          return secret.tags.some((t) => starts(t.Key));
        case 'tag-value':
          return secret.tags.some((t) => starts(t.Value));
        case 'all':
          return starts(secret.name) || starts(secret.description) || secret.tags.some((t) => starts(t.Key) || starts(t.Value));
        default:
          return false;
      }
    };
    let list = this.#secrets.filter((s) => input.IncludePlannedDeletion || s.deletionDate === undefined);
    // Filters are ANDed; the values of one filter are ORed (as AWS documents).
    for (const f of input.Filters ?? []) list = list.filter((s) => f.Values.some((v) => matches(s, f.Key, v)));
    list.sort((a, b) => a.created - b.created || a.name.localeCompare(b.name));
    if (input.SortOrder === 'desc') list.reverse();

    const start = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
    const max = input.MaxResults ?? 100;
    const page = list.slice(start, start + max);
    const next = start + max < list.length ? Buffer.from(JSON.stringify({ o: start + max })).toString('base64') : undefined;
    return {
      SecretList: page.map((s) => {
        const { VersionIdsToStages, DeletedDate, ...rest } = this.#describe(s);
        return { ...rest, ...(DeletedDate !== undefined ? { DeletedDate } : {}), SecretVersionsToStages: VersionIdsToStages };
      }),
      ...(next ? { NextToken: next } : {}),
    };
  }

  async #delete(input: z.output<typeof inputs.DeleteSecret>) {
    if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) {
      throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    const secret = this.#find(input.SecretId);
    let deletionDate: number;
    if (input.ForceDeleteWithoutRecovery) {
      deletionDate = Date.now();
      this.#secrets = this.#secrets.filter((s) => s !== secret);
    } else {
      if (secret.deletionDate !== undefined) throw invalidRequest("You can't perform this operation on the secret because it was already scheduled for deletion.");
      deletionDate = Date.now() + (input.RecoveryWindowInDays ?? 30) * 86_400_000;
      secret.deletionDate = deletionDate;
    }
    await this.#persist();
    return { ARN: secret.arn, Name: secret.name, DeletionDate: seconds(deletionDate) };
  }

  async #restore(input: z.output<typeof inputs.RestoreSecret>) {
    const secret = this.#find(input.SecretId);
    delete secret.deletionDate;
    await this.#persist();
    return { ARN: secret.arn, Name: secret.name };
  }

  // --- rotation -------------------------------------------------------------------------------------------------
  // RotateSecret: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
  // The four steps: https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html

  async #rotateSecret(input: z.output<typeof inputs.RotateSecret>) {
    const secret = this.#live(input.SecretId);
    const rules = input.RotationRules;
    if (rules?.AutomaticallyAfterDays !== undefined && rules.ScheduleExpression !== undefined) {
      throw invalidParameter('You can specify either AutomaticallyAfterDays or ScheduleExpression in RotationRules, but not both.');
    }
    if (rules?.ScheduleExpression !== undefined && !/^(rate\(\d+ (hours?|days?)\)|cron\(.+\))$/.test(rules.ScheduleExpression)) {
      throw invalidParameter('Invalid parameter RotationRules.ScheduleExpression: must be rate(N hours|days) or cron(...)');
    }
    const lambdaArn = input.RotationLambdaARN ?? secret.rotation?.lambdaArn;
    if (!lambdaArn) throw invalidRequest('No Lambda rotation function ARN is associated with this secret.');
    if (!this.#opts.invoke) throw invalidRequest('This Secrets Manager stand-in has no Lambda endpoint to invoke rotation functions through.');

    const token = input.ClientRequestToken ?? randomUUID();
    const running = this.#rotations.get(secret.arn);
    // A retry of a RotateSecret that already started (or finished): the token is the version's id, so it names the
    // same rotation, not a second one.
    if (running?.versionId === token || secret.versions.some((v) => v.id === token)) {
      return { ARN: secret.arn, Name: secret.name, VersionId: token };
    }
    // "If the AWSPENDING staging label is present but not attached to the same version as AWSCURRENT, then any later
    // invocation of RotateSecret assumes that a previous rotation request is still in progress and returns an error."
    const pending = secret.versions.find((v) => v.stages.includes(PENDING) && !v.stages.includes(CURRENT));
    if (running || pending) throw invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");

    const now = Date.now();
    secret.rotation = {
      ...secret.rotation,
      enabled: true,
      lambdaArn,
      rules: rules ? stripUndefined(rules) : (secret.rotation?.rules ?? {}),
    };
    secret.rotation.nextRotation = nextRotation(secret.rotation, secret.rotation.lastRotated ?? now);
    if (input.RotateImmediately === false) {
      // AWS would run the function's testSecret step here to check the configuration; the stand-in only schedules.
      await this.#persist();
      return { ARN: secret.arn, Name: secret.name };
    }
    // "During rotation, Secrets Manager creates an AWSPENDING version ID before creating the new secret version": the
    // version exists (no value yet) before createSecret runs, as the rotation template checks VersionIdsToStages.
    for (const v of secret.versions) v.stages = v.stages.filter((st) => st !== PENDING);
    secret.versions.push({ id: token, created: now, stages: [PENDING] });
    secret.lastChanged = now;
    await this.#persist();
    const state = { versionId: token, cancelled: false, done: Promise.resolve() };
    state.done = this.#runRotation(secret, lambdaArn, state).finally(() => this.#rotations.delete(secret.arn));
    this.#rotations.set(secret.arn, state);
    return { ARN: secret.arn, Name: secret.name, VersionId: token };
  }

  /** The rotation itself, after RotateSecret has answered: the four steps in order, the whole run retried on failure. */
  async #runRotation(secret: Secret, lambdaArn: string, state: { versionId: string; cancelled: boolean }): Promise<void> {
    // Let RotateSecret's answer go out first, as AWS's rotation is asynchronous.
    await new Promise((r) => setImmediate(r));
    const invoke = this.#opts.invoke as RotationInvoker;
    const base = { arn: secret.arn, name: secret.name, versionId: state.versionId };
    this.#emit({ event: 'RotationStarted', ...base });
    const attempts = this.#opts.rotationAttempts ?? 2;
    let failure: { step: RotationStep; error: string } | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      failure = undefined;
      for (const step of ROTATION_STEPS) {
        if (state.cancelled) return this.#emit({ event: 'RotationAbandoned', ...base });
        try {
          await invoke(lambdaArn, { Step: step, SecretId: secret.arn, ClientRequestToken: state.versionId });
        } catch (err) {
          failure = { step, error: err instanceof Error ? err.message : String(err) };
          break;
        }
      }
      // The contract's end state: AWSCURRENT on the new version (AWSPENDING there too, or nowhere).
      const version = secret.versions.find((v) => v.id === state.versionId);
      if (!failure && !version?.stages.includes(CURRENT)) failure = { step: 'finishSecret', error: 'the rotation function did not move AWSCURRENT to the new version' };
      if (!failure) break;
    }
    if (failure) {
      // The AWSPENDING version stays, so the next RotateSecret is refused until it is removed (or finished).
      return this.#emit({ event: 'RotationFailed', ...base, ...failure });
    }
    const now = Date.now();
    if (secret.rotation) {
      secret.rotation.lastRotated = now;
      secret.rotation.nextRotation = nextRotation(secret.rotation, now);
    }
    await this.#persist();
    this.#emit({ event: 'RotationSucceeded', ...base });
  }

  #emit(event: RotationEvent): void {
    try {
      this.#opts.onRotationEvent?.(event);
    } catch {
      // A listener's failure is not the rotation's.
    }
  }

  async #cancelRotate(input: z.output<typeof inputs.CancelRotateSecret>) {
    const secret = this.#live(input.SecretId);
    if (!secret.rotation?.enabled) throw invalidRequest('Secret is not enabled for rotation.');
    const running = this.#rotations.get(secret.arn);
    if (running) running.cancelled = true;
    secret.rotation.enabled = false;
    delete secret.rotation.nextRotation;
    await this.#persist();
    // AWS leaves the labels as they are; the caller removes AWSPENDING (UpdateSecretVersionStage) if it wants to.
    const pending = secret.versions.find((v) => v.stages.includes(PENDING) && !v.stages.includes(CURRENT));
    return { ARN: secret.arn, Name: secret.name, ...(pending ? { VersionId: pending.id } : {}) };
  }

  #listVersions(input: z.output<typeof inputs.ListSecretVersionIds>) {
    const secret = this.#live(input.SecretId);
    // Versions without labels are dropped by the stand-in, so IncludeDeprecated finds none.
    const all = [...secret.versions].sort((a, b) => b.created - a.created);
    const start = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
    const max = input.MaxResults ?? 100;
    const next = start + max < all.length ? Buffer.from(JSON.stringify({ o: start + max })).toString('base64') : undefined;
    return {
      ARN: secret.arn,
      Name: secret.name,
      Versions: all.slice(start, start + max).map((v) => ({ VersionId: v.id, VersionStages: v.stages, CreatedDate: seconds(v.created) })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  /**
   * UpdateSecretVersionStage (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html):
   * a label is on at most one version; moving one that is attached elsewhere needs RemoveFromVersionId naming that
   * version; "whenever you move AWSCURRENT, Secrets Manager automatically moves the label AWSPREVIOUS to the version
   * that AWSCURRENT was removed from". A version left with no label is deprecated (the stand-in drops it).
   */
  async #updateStage(input: z.output<typeof inputs.UpdateSecretVersionStage>) {
    const secret = this.#live(input.SecretId);
    const label = input.VersionStage;
    const byId = (id: string) => {
      const v = secret.versions.find((x) => x.id === id);
      if (!v) throw new AwsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${id}`);
      return v;
    };
    const to = input.MoveToVersionId === undefined ? undefined : byId(input.MoveToVersionId);
    const from = input.RemoveFromVersionId === undefined ? undefined : byId(input.RemoveFromVersionId);
    const holder = secret.versions.find((v) => v.stages.includes(label));
    if (!to && !from) throw invalidParameter('You must specify MoveToVersionId, RemoveFromVersionId, or both.');
    if (from && !from.stages.includes(label)) {
      throw invalidParameter(`The staging label ${label} is not attached to version ${from.id}.`);
    }
    if (to && holder && holder !== to && holder !== from) {
      throw invalidParameter(`The staging label ${label} is currently attached to version ${holder.id}; specify it as RemoveFromVersionId.`);
    }
    if (!to && label === CURRENT) throw invalidParameter('You can only move AWSCURRENT to another version, not remove it.');
    if (to && holder === to) return { ARN: secret.arn, Name: secret.name };
    if (holder) holder.stages = holder.stages.filter((s) => s !== label);
    if (to) {
      to.stages.push(label);
      if (label === CURRENT && holder) {
        for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== PREVIOUS);
        holder.stages.push(PREVIOUS);
      }
    }
    secret.versions = secret.versions.filter((v) => v.stages.length > 0);
    secret.lastChanged = Date.now();
    await this.#persist();
    return { ARN: secret.arn, Name: secret.name };
  }

  // --- helpers --------------------------------------------------------------------------------------------------

  /** By name, full ARN, or partial ARN (the ARN without its random 6-character suffix), as AWS accepts. */
  #find(id: string): Secret {
    const secret = this.#secrets.find((s) => s.name === id || s.arn === id || (id.startsWith('arn:') && s.arn.slice(0, -7) === id));
    if (!secret) throw notFound();
    return secret;
  }

  /** A secret that is not waiting to be deleted: the only kind values can be read from or written to. */
  #live(id: string): Secret {
    const secret = this.#find(id);
    if (secret.deletionDate !== undefined) throw invalidRequest("You can't perform this operation on the secret because it was marked for deletion.");
    return secret;
  }

  #purgeExpired(): void {
    const now = Date.now();
    const before = this.#secrets.length;
    this.#secrets = this.#secrets.filter((s) => s.deletionDate === undefined || s.deletionDate > now);
    if (this.#secrets.length !== before) void this.#persist();
  }

  #persist(): Promise<void> {
    const text = JSON.stringify({ version: 1, secrets: this.#secrets }, null, 2) + '\n';
    // Writes are chained so an older state can never be renamed over a newer one.
    const write = this.#writes.then(() => writeFileAtomic(this.#file, text));
    this.#writes = write.catch(() => undefined);
    return write;
  }
}

function secretValue(input: { SecretString?: string | undefined; SecretBinary?: string | undefined }): Pick<Version, 'string' | 'binary'> | undefined {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
    throw invalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  if (input.SecretBinary !== undefined && Buffer.from(input.SecretBinary, 'base64').length > MAX_SECRET_BYTES) {
    throw invalidParameter(`Invalid parameter SecretBinary: must be at most ${MAX_SECRET_BYTES} bytes`);
  }
  if (input.SecretString !== undefined) return { string: input.SecretString };
  if (input.SecretBinary !== undefined) return { binary: input.SecretBinary };
  return undefined;
}

function sameValue(a: Pick<Version, 'string' | 'binary'>, b: Pick<Version, 'string' | 'binary'> | undefined): boolean {
  return !!b && a.string === b.string && a.binary === b.binary;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * When the next scheduled rotation is due, from `from` (the last rotation, or now): AutomaticallyAfterDays or a
 * `rate(N hours|days)` expression. A `cron(...)` schedule has no date here (the stand-in does not evaluate cron).
 */
function nextRotation(rotation: Rotation, from: number): number | undefined {
  if (!rotation.enabled) return undefined;
  if (rotation.rules.AutomaticallyAfterDays !== undefined) return from + rotation.rules.AutomaticallyAfterDays * DAY_MS;
  const m = /^rate\((\d+) (hours?|days?)\)$/.exec(rotation.rules.ScheduleExpression ?? '');
  if (m) return from + Number(m[1]) * (m[2]!.startsWith('hour') ? 3_600_000 : DAY_MS);
  return undefined;
}

function decodeToken(tokenText: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(tokenText, 'base64').toString('utf8')) as { o: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // fall through
  }
  throw new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.');
}
