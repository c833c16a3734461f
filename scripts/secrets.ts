/**
 * `npm run secrets -- push|pull|diff`: moves settings between a `.env` file and one JSON secret in Secrets Manager
 * (AWS, or the local stand-in that `npm start` runs). Prints key names, never values.
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDotenv, parseDotenv } from '../src/config/dotenv.js';
import { ConfigError } from '../src/config/errors.js';
import { BOOTSTRAP_KEYS, settings } from '../src/config/schema.js';
import { localCredentials } from '../src/config/localCredentials.js';
import { endpointString, readLocalEndpoints } from './localEndpoints.js';

const HELP = `Usage: npm run secrets -- <push|diff|pull> [options]

Moves settings between a .env file and one JSON secret in AWS Secrets Manager (or the local
stand-in run by npm start). Only key names are printed, never values.

Commands:
  push   put the .env file's settings into the secret: creates it, or puts a new version
         (AWSCURRENT; the old one stays readable as AWSPREVIOUS)
  diff   show which keys a push would add (+), change (~) or remove (-)
  pull   write the secret's settings to the .env file (mode 0600); refuses to overwrite an
         existing file unless --force

Options:
  --secret-id NAME  secret name or ARN (default: SECRETS_ID from the environment or the file)
  --file PATH       the .env file (default .env)
  --endpoint URL    Secrets Manager endpoint (default: SECRETSMANAGER_ENDPOINT, else the local
                    stand-in in .pier/endpoints.json if npm start has written one, else AWS)
  --aws             talk to AWS even if a local endpoint is known
  --region REGION   AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, or us-east-1)
  --force           pull: overwrite the file; push: push invalid values, or replace a secret
                    that is not a JSON object
  -h, --help        this text

Settings that say where secrets are (${BOOTSTRAP_KEYS.join(', ')}) are not pushed:
they stay in the environment. Exit codes: 0 done, 1 failed, 2 usage error.
`;

/** An expected failure: printed as one line, no stack trace. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

const usage = (message: string) => new CliError(`${message} (see --help)`, 2);

interface Options {
  command: 'push' | 'diff' | 'pull';
  secretId: string;
  file: string;
  endpoint: string | undefined;
  region: string;
  force: boolean;
}

async function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Promise<Options | 'help'> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'secret-id': { type: 'string' },
        file: { type: 'string' },
        endpoint: { type: 'string' },
        aws: { type: 'boolean' },
        region: { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...extra] = positionals;
  if (!command) throw usage('missing command: push, diff or pull');
  if (command !== 'push' && command !== 'diff' && command !== 'pull') throw usage(`unknown command "${command}": expected push, diff or pull`);
  if (extra.length) throw usage(`unexpected argument "${extra[0]}"`);
  if (values.aws && values.endpoint) throw usage('--aws and --endpoint contradict each other');

  const file = resolve(values.file ?? '.env');
  const secretId = values['secret-id'] || env.SECRETS_ID || (command !== 'pull' ? await fileSetting(file, 'SECRETS_ID') : undefined);
  if (!secretId) throw usage('no secret named: pass --secret-id NAME or set SECRETS_ID');

  let endpoint = values.aws ? undefined : values.endpoint || env.SECRETSMANAGER_ENDPOINT || endpointString(await readLocalEndpoints(env.DATA_DIR || '.pier'), 'secretsmanager');
  if (endpoint !== undefined && !settings.SECRETSMANAGER_ENDPOINT.schema.safeParse(endpoint).success) {
    throw usage(`--endpoint must be an http(s) URL`);
  }
  endpoint = endpoint?.replace(/\/+$/, '');
  const region = values.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  if (!settings.AWS_REGION.schema.safeParse(region).success) throw usage(`--region must look like us-east-1`);
  return { command, secretId, file, endpoint, region, force: !!values.force };
}

/** SECRETS_ID written in the .env itself, so `npm run secrets -- push` works with no flags on a set-up laptop. */
async function fileSetting(file: string, key: string): Promise<string | undefined> {
  try {
    return parseDotenv(await readFile(file, 'utf8'), file)[key] || undefined;
  } catch {
    return undefined; // the command itself reports an unreadable file
  }
}

async function readEnvFile(file: string): Promise<Record<string, string>> {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file} (${code ?? 'unknown error'})`);
  }
  const values = parseDotenv(text, file);
  const pushed: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if ((BOOTSTRAP_KEYS as readonly string[]).includes(key) || value === '') continue;
    pushed[key] = value;
  }
  return pushed;
}

type Remote = { exists: false } | { exists: true; values: Record<string, string> } | { exists: true; values: undefined };

async function readSecret(client: SecretsManagerClient, secretId: string): Promise<Remote> {
  let out;
  try {
    out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  } catch (err) {
    // A secret created without a value has no AWSCURRENT version: to a push, that is a secret to put one into.
    if ((err as Error).name === 'ResourceNotFoundException') {
      return /value/.test((err as Error).message) ? { exists: true, values: {} } : { exists: false };
    }
    throw err;
  }
  if (out.SecretString === undefined) return { exists: true, values: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.SecretString);
  } catch {
    return { exists: true, values: undefined };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { exists: true, values: undefined };
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[key] = String(value);
    else return { exists: true, values: undefined };
  }
  return { exists: true, values };
}

function diff(local: Record<string, string>, remote: Record<string, string>) {
  const added = Object.keys(local).filter((k) => !(k in remote));
  const changed = Object.keys(local).filter((k) => k in remote && remote[k] !== local[k]);
  const removed = Object.keys(remote).filter((k) => !(k in local));
  return { added: added.sort(), changed: changed.sort(), removed: removed.sort() };
}

function describeDiff(d: ReturnType<typeof diff>): string[] {
  return [...d.added.map((k) => `+ ${k}`), ...d.changed.map((k) => `~ ${k}`), ...d.removed.map((k) => `- ${k}`)];
}

const notJson = (secretId: string) =>
  `secret ${secretId} does not hold a JSON object of setting names to strings`;

async function run(opts: Options, out: (line: string) => void, warn: (line: string) => void): Promise<void> {
  const client = new SecretsManagerClient({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint, maxAttempts: 2 } : {}),
    ...localCredentials(opts.endpoint),
  });
  warn(`secrets: ${opts.endpoint ? `Secrets Manager at ${opts.endpoint}` : `AWS Secrets Manager in ${opts.region}`}, secret ${opts.secretId}`);
  try {
    if (opts.command === 'pull') {
      const remote = await readSecret(client, opts.secretId);
      if (!remote.exists) throw new CliError(`secret ${opts.secretId} does not exist`);
      if (!remote.values) throw new CliError(notJson(opts.secretId));
      await writeEnvFile(opts.file, formatDotenv(remote.values), opts.force);
      out(`wrote ${Object.keys(remote.values).length} settings to ${opts.file}`);
      return;
    }

    const local = await readEnvFile(opts.file);
    const invalid: string[] = [];
    for (const [key, value] of Object.entries(local)) {
      if (!Object.hasOwn(settings, key)) warn(`note: ${key} is not a Pier setting; Pier will ignore it`);
      else if (!settings[key as keyof typeof settings].schema.safeParse(value).success) invalid.push(key);
    }
    // A value that would stop every start-up is better refused here, before it reaches the running services.
    if (invalid.length && opts.command === 'push' && !opts.force) {
      throw new CliError(`${opts.file}: invalid value for ${invalid.join(', ')} (see README's configuration table); use --force to push anyway`);
    }
    for (const key of invalid) warn(`note: the value of ${key} is not valid for that setting`);
    const remote = await readSecret(client, opts.secretId);
    if (remote.exists && !remote.values && !(opts.command === 'push' && opts.force)) {
      throw new CliError(`${notJson(opts.secretId)}${opts.command === 'push' ? '; use --force to replace it' : ''}`);
    }
    const d = diff(local, remote.exists && remote.values ? remote.values : {});
    const lines = describeDiff(d);

    if (opts.command === 'diff') {
      if (!remote.exists) out(`secret ${opts.secretId} does not exist yet; a push would create it with:`);
      for (const line of lines) out(line);
      if (!lines.length) out('no changes');
      return;
    }

    if (remote.exists && remote.values && !lines.length) {
      out('no changes; nothing pushed');
      return;
    }
    const secretString = JSON.stringify(local);
    if (!remote.exists) {
      await client.send(new CreateSecretCommand({ Name: opts.secretId, SecretString: secretString, Description: 'Pier settings (npm run secrets)' }));
      out(`created secret ${opts.secretId} with ${Object.keys(local).length} settings`);
    } else {
      const put = await client.send(new PutSecretValueCommand({ SecretId: opts.secretId, SecretString: secretString }));
      out(`pushed version ${put.VersionId} of ${opts.secretId}`);
    }
    for (const line of lines) out(line);
  } finally {
    client.destroy();
  }
}

/** Never leaves a half-written file, and the file is 0600 whether it is new or replaced. */
async function writeEnvFile(file: string, text: string, force: boolean): Promise<void> {
  if (!force) {
    try {
      await writeFile(file, text, { mode: 0o600, flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${file} already exists; pass --force to overwrite it`);
      throw new CliError(`cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? 'unknown error'})`);
    }
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, file);
  } catch (err) {
    throw new CliError(`cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
}

/** Turns what can be expected to go wrong (AWS refusals, no credentials, nothing listening) into one clear line. */
function explain(err: unknown, opts: Options | undefined): CliError | undefined {
  if (err instanceof CliError) return err;
  if (err instanceof ConfigError) return new CliError(err.message);
  const e = err as Error & { code?: string; $metadata?: unknown; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (code && ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code)) {
    const where = opts?.endpoint ?? 'AWS Secrets Manager';
    return new CliError(`cannot reach ${where} (${code})${opts?.endpoint ? '; is npm start running? (or pass --endpoint / --aws)' : ''}`);
  }
  if (e.name === 'CredentialsProviderError') return new CliError(`no AWS credentials found: ${e.message}`);
  if (e.$metadata) return new CliError(`Secrets Manager refused: ${e.name}: ${e.message}`);
  return undefined;
}

async function main(): Promise<void> {
  let opts: Options | undefined;
  try {
    const parsed = await parseOptions(process.argv.slice(2), process.env);
    if (parsed === 'help') {
      process.stdout.write(HELP);
      return;
    }
    opts = parsed;
    await run(
      opts,
      (line) => process.stdout.write(`${line}\n`),
      (line) => process.stderr.write(`${line}\n`),
    );
  } catch (err) {
    const known = explain(err, opts);
    if (!known) throw err;
    process.stderr.write(`secrets: ${known.message}\n`);
    process.exitCode = known.exitCode;
  }
}

await main();
