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
  versions: Version[];
}

const stateSchema = z.object({ version: z.literal(1), secrets: z.array(z.any()) });

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
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
  #secrets: Secret[] = [];
  #writes: Promise<void> = Promise.resolve();

  private constructor(file: string, region: string) {
    this.#file = file;
    this.#region = region;
  }

  static async open(dataDir: string, region: string): Promise<SecretStore> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const store = new SecretStore(join(dataDir, 'secretsmanager.json'), region);
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
    if (existing) {
      // Idempotent retry: same token, same value. Anything else would rewrite history, which AWS forbids.
      if (!sameValue(existing, value)) throw new AwsError('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");
      return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: existing.stages };
    }
    const now = Date.now();
    const oldCurrent = secret.versions.find((v) => v.stages.includes(CURRENT));
    for (const v of secret.versions) v.stages = v.stages.filter((s) => !stages.includes(s));
    if (stages.includes(CURRENT) && oldCurrent) {
      for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== PREVIOUS);
      oldCurrent.stages.push(PREVIOUS);
    }
    secret.versions.push({ id, ...value, created: now, stages: [...stages] });
    // A version with no label left is deprecated in AWS; the stand-in simply drops it.
    secret.versions = secret.versions.filter((v) => v.stages.length > 0);
    secret.lastChanged = now;
    await this.#persist();
    return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: stages };
  }

  #get(input: z.output<typeof inputs.GetSecretValue>) {
    const secret = this.#live(input.SecretId);
    const label = input.VersionStage ?? (input.VersionId ? undefined : CURRENT);
    const version = secret.versions.find((v) => (!input.VersionId || v.id === input.VersionId) && (!label || v.stages.includes(label)));
    if (!version) {
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
      RotationEnabled: false,
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

function decodeToken(tokenText: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(tokenText, 'base64').toString('utf8')) as { o: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // fall through
  }
  throw new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.');
}
