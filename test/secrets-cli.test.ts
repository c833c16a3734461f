import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningPart } from '../local/part.js';
import { startSecretsManager } from '../local/secretsmanager/index.js';
import { parseDotenv } from '../src/config/dotenv.js';
import { createLogger } from '../src/log.js';

/** `npm run secrets` as a child process (tsx), against the Secrets Manager stand-in over HTTP. */
// `node --import tsx` rather than the tsx binary: one process per run instead of two.
const TSX_LOADER = pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href;
const CLI = resolve('scripts/secrets.ts');

let root: string;
let dir: string;
let part: RunningPart;
let sm: SecretsManagerClient;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pier-secrets-cli-'));
  part = await startSecretsManager({ host: '127.0.0.1', port: 0, dataDir: join(root, 'sm'), region: 'us-east-1', logger: createLogger({ level: 'silent' }) });
  sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: part.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});

afterAll(async () => {
  sm.destroy();
  await part.close();
  await rm(root, { recursive: true, force: true });
});

beforeEach(async () => {
  dir = join(root, `case-${++n}`);
  await mkdir(dir);
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in `dir` with a clean environment: no AWS keys, HOME without ~/.aws, only what the test passes. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', TSX_LOADER, CLI, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const noStack = (r: Result) => expect(r.stderr).not.toMatch(/^\s+at /m);

const ENV_FILE = [
  '# Pier settings for the test',
  'LOG_LEVEL=debug',
  'DATABASE_URL="postgres://app:hunter2@db:5432/pier"',
  'WEBHOOK_SIGNING_KEY=whsec_c2VjcmV0LXNpZ25pbmcta2V5LXZhbHVl',
  'CORS_ALLOWED_ORIGINS="https://a.example,https://b.example"',
  'NOTE="multi\\nline \\"quoted\\" value"',
  'SECRETS_ID=pier/ignored-in-the-secret',
  '',
].join('\n');

// Every case spawns the CLI a few times; on two busy cores each run can take a second or more.
describe('npm run secrets', { timeout: 90_000 }, () => {
  it('round-trips .env -> push -> diff (no change) -> pull, printing names never values', async () => {
    await writeFile(join(dir, '.env'), ENV_FILE);
    const endpoint = ['--endpoint', part.url as string];

    const push = await cli(['push', '--secret-id', 'pier/rt', ...endpoint]);
    expect(push.code).toBe(0);
    expect(push.stdout).toContain('created secret pier/rt with 5 settings');
    expect(push.stdout).toContain('+ DATABASE_URL');
    expect(push.stdout).not.toContain('SECRETS_ID'); // where secrets live is not itself pushed
    expect(push.stderr).toContain('note: NOTE is not a Pier setting');

    const stored = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'pier/rt' }))).SecretString as string);
    expect(stored.DATABASE_URL).toBe('postgres://app:hunter2@db:5432/pier');
    expect(stored.NOTE).toBe('multi\nline "quoted" value');
    expect(stored.SECRETS_ID).toBeUndefined();

    const diff = await cli(['diff', '--secret-id', 'pier/rt', ...endpoint]);
    expect(diff.code).toBe(0);
    expect(diff.stdout.trim()).toBe('no changes');

    const again = await cli(['push', '--secret-id', 'pier/rt', ...endpoint]);
    expect(again.stdout).toContain('no changes; nothing pushed');

    const pull = await cli(['pull', '--secret-id', 'pier/rt', '--file', 'pulled.env', ...endpoint]);
    expect(pull.code).toBe(0);
    expect(pull.stdout).toContain('wrote 5 settings to');
    const pulled = join(dir, 'pulled.env');
    expect((await stat(pulled)).mode & 0o777).toBe(0o600);
    const { SECRETS_ID: _skipped, ...original } = parseDotenv(ENV_FILE);
    expect(parseDotenv(await readFile(pulled, 'utf8'))).toEqual(original);

    for (const r of [push, diff, again, pull]) {
      expect(r.stdout + r.stderr).not.toContain('hunter2');
      expect(r.stdout + r.stderr).not.toContain('whsec_');
    }
  });

  it('diff names added, changed and removed keys; push puts a new version (old one AWSPREVIOUS)', async () => {
    await writeFile(join(dir, '.env'), 'LOG_LEVEL=debug\nWORKER_CONCURRENCY=3\nDATABASE_POOL_MAX=4\n');
    // Defaults from SECRETS_ID and SECRETSMANAGER_ENDPOINT in the environment.
    const env = { SECRETS_ID: 'pier/diff', SECRETSMANAGER_ENDPOINT: part.url as string };
    expect((await cli(['diff'], env)).stdout).toContain('does not exist yet; a push would create it with:');
    expect((await cli(['push'], env)).code).toBe(0);

    await writeFile(join(dir, '.env'), 'LOG_LEVEL=warn\nWORKER_CONCURRENCY=3\nBODY_LIMIT_BYTES=2048\n');
    const diff = await cli(['diff'], env);
    expect(diff.stdout.trim().split('\n')).toEqual(['+ BODY_LIMIT_BYTES', '~ LOG_LEVEL', '- DATABASE_POOL_MAX']);
    expect(diff.stdout).not.toContain('warn');

    const push = await cli(['push'], env);
    expect(push.code).toBe(0);
    expect(push.stdout).toMatch(/pushed version \S+ of pier\/diff/);
    const current = await sm.send(new GetSecretValueCommand({ SecretId: 'pier/diff' }));
    const previous = await sm.send(new GetSecretValueCommand({ SecretId: 'pier/diff', VersionStage: 'AWSPREVIOUS' }));
    expect(JSON.parse(current.SecretString as string)).toEqual({ LOG_LEVEL: 'warn', WORKER_CONCURRENCY: '3', BODY_LIMIT_BYTES: '2048' });
    expect(JSON.parse(previous.SecretString as string).LOG_LEVEL).toBe('debug');
  });

  it("finds the local endpoint in .pier/endpoints.json, and SECRETS_ID in the .env it pushes", async () => {
    await mkdir(join(dir, '.pier'));
    await writeFile(join(dir, '.pier', 'endpoints.json'), JSON.stringify({ service: 'http://127.0.0.1:1', secretsmanager: part.url }));
    await writeFile(join(dir, '.env'), 'SECRETS_ID=pier/from-file\nLOG_LEVEL=error\n');
    const push = await cli(['push']);
    expect(push.code).toBe(0);
    expect(push.stderr).toContain(`Secrets Manager at ${part.url}, secret pier/from-file`);
    expect(JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'pier/from-file' }))).SecretString as string)).toEqual({ LOG_LEVEL: 'error' });
  });

  it('pull refuses to overwrite a file without --force', async () => {
    await writeFile(join(dir, '.env'), 'LOG_LEVEL=warn\n');
    const env = { SECRETS_ID: 'pier/pull', SECRETSMANAGER_ENDPOINT: part.url as string };
    await cli(['push'], env);
    await writeFile(join(dir, '.env'), 'KEEP=me\n', { mode: 0o644 });

    const refused = await cli(['pull'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('.env already exists; pass --force to overwrite it');
    expect(await readFile(join(dir, '.env'), 'utf8')).toBe('KEEP=me\n');

    const forced = await cli(['pull', '--force'], env);
    expect(forced.code).toBe(0);
    expect(parseDotenv(await readFile(join(dir, '.env'), 'utf8'))).toEqual({ LOG_LEVEL: 'warn' });
    expect((await stat(join(dir, '.env'))).mode & 0o777).toBe(0o600);
  });
});

describe('npm run secrets: usage and failures', { timeout: 90_000 }, () => {
  it('prints help with -h and exits 0', async () => {
    const r = await cli(['-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm run secrets -- <push\|diff\|pull>/);
  });

  it.each([
    [[], 'missing command'],
    [['rotate'], 'unknown command "rotate"'],
    [['push', '--nope'], "Unknown option '--nope'"],
    [['push'], 'no secret named'],
    [['push', '--secret-id', 'x', '--endpoint', 'ftp://x'], '--endpoint must be an http(s) URL'],
    [['push', '--secret-id', 'x', '--aws', '--endpoint', 'http://127.0.0.1:1'], 'contradict'],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('see --help');
    noStack(r);
  });

  it('a .env with a malformed line: exit 1, file and line named, content not shown', async () => {
    await writeFile(join(dir, '.env'), 'LOG_LEVEL=debug\nDATABASE_URL postgres://app:hunter2@db\n');
    const r = await cli(['push', '--secret-id', 'pier/bad', '--endpoint', part.url as string]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`secrets: ${join(dir, '.env')} line 2: expected KEY=value`);
    expect(r.stderr).not.toContain('hunter2');
    noStack(r);
  });

  it('a missing .env, a missing secret and a non-JSON secret: exit 1 with one clear line', async () => {
    const env = { SECRETSMANAGER_ENDPOINT: part.url as string };
    const noFile = await cli(['push', '--secret-id', 'pier/x'], env);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toContain('.env does not exist');

    const noSecret = await cli(['pull', '--secret-id', 'pier/absent'], env);
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toContain('secret pier/absent does not exist');

    await writeFile(join(dir, '.env'), 'LOG_LEVEL=warn\n');
    await cli(['push', '--secret-id', 'pier/text'], env);
    await sm.send(new PutSecretValueCommand({ SecretId: 'pier/text', SecretString: 'plain hunter2' }));
    await writeFile(join(dir, 'other.env'), 'LOG_LEVEL=error\n');
    const runs = [
      await cli(['pull', '--secret-id', 'pier/text', '--file', 'new.env'], env),
      await cli(['diff', '--secret-id', 'pier/text', '--file', 'other.env'], env),
      await cli(['push', '--secret-id', 'pier/text', '--file', 'other.env'], env),
    ];
    for (const r of runs) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('secrets: secret pier/text does not hold a JSON object of setting names to strings');
      expect(r.stderr).not.toContain('hunter2');
      noStack(r);
    }
    expect(runs[2]?.stderr).toContain('; use --force to replace it');
    const forced = await cli(['push', '--secret-id', 'pier/text', '--file', 'other.env', '--force'], env);
    expect(forced.code).toBe(0);
    for (const r of [noFile, noSecret]) noStack(r);
  });

  it('push refuses a value that would stop start-up, naming the key only', async () => {
    await writeFile(join(dir, '.env'), 'LOG_LEVEL=warn\nDATABASE_URL=mysql://app:hunter2@db\nSERVICE_PORT=http\n');
    const env = { SECRETSMANAGER_ENDPOINT: part.url as string };
    const refused = await cli(['push', '--secret-id', 'pier/invalid'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('invalid value for DATABASE_URL, SERVICE_PORT');
    expect(refused.stderr).not.toContain('hunter2');
    noStack(refused);
    const diff = await cli(['diff', '--secret-id', 'pier/invalid'], env);
    expect(diff.code).toBe(0);
    expect(diff.stderr).toContain('note: the value of DATABASE_URL is not valid');
    const forced = await cli(['push', '--secret-id', 'pier/invalid', '--force'], env);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('created secret pier/invalid with 3 settings');
  });

  it('an endpoint that is not listening: exit 1 with a hint', async () => {
    await writeFile(join(dir, '.env'), 'LOG_LEVEL=warn\n');
    const r = await cli(['push', '--secret-id', 'pier/x', '--endpoint', 'http://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach http://127.0.0.1:1 (ECONNREFUSED); is npm start running?');
    noStack(r);
  });
});
