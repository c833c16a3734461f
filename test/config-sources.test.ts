import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { configError } from './support/configError.js';

/** loadConfig against real files in a temp folder, with an environment of our own (never the test runner's). */
let dir: string;
let secretsDir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-config-'));
  secretsDir = join(dir, 'secrets');
  await mkdir(secretsDir);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const load = (env: Record<string, string>) => loadConfig({ cwd: dir, env: { DOCKER_SECRETS_DIR: secretsDir, ...env } });

describe('loadConfig sources', () => {
  it('prefers the environment over Docker secrets over .env', async () => {
    await writeFile(join(dir, '.env'), 'LOG_LEVEL=debug\nSERVICE_PORT=5001\nWORKER_CONCURRENCY=3\n');
    await writeFile(join(secretsDir, 'SERVICE_PORT'), '5002\n');
    await writeFile(join(secretsDir, 'WORKER_CONCURRENCY'), '4');
    const c = await load({ WORKER_CONCURRENCY: '5' });
    expect(c.LOG_LEVEL).toBe('debug'); // only in .env
    expect(c.SERVICE_PORT).toBe(5002); // Docker secret beats .env (trailing newline dropped)
    expect(c.WORKER_CONCURRENCY).toBe(5); // environment beats both
    expect(c.BODY_LIMIT_BYTES).toBe(1048576); // default
  });

  it('reads a Docker secret as a secret value, not just as text', async () => {
    await writeFile(join(secretsDir, 'DATABASE_URL'), 'postgres://app:hunter2@db/pier\n');
    await writeFile(join(secretsDir, 'constructor'), 'not a setting');
    await writeFile(join(secretsDir, 'README'), 'ignored');
    const c = await load({});
    expect(c.DATABASE_URL?.reveal()).toBe('postgres://app:hunter2@db/pier');
    expect(JSON.stringify(c)).not.toContain('hunter2');
  });

  it.each(['dev', 'prod'])('ignores .env when PIER_ENV is %s', async (pierEnv) => {
    await writeFile(join(dir, '.env'), 'LOG_LEVEL=debug\n');
    const c = await load({ PIER_ENV: pierEnv });
    expect(c.PIER_ENV).toBe(pierEnv);
    expect(c.LOG_LEVEL).toBe('info');
    // Not even a broken .env stops a production start.
    await writeFile(join(dir, '.env'), 'this is not a setting\n');
    await expect(load({ PIER_ENV: pierEnv })).resolves.toBeTruthy();
  });

  it('reads .env for local and test, and cannot switch production on from inside it', async () => {
    await writeFile(join(dir, '.env'), 'PIER_ENV=test\nLOG_LEVEL=warn\n');
    expect((await load({ PIER_ENV: 'test' })).LOG_LEVEL).toBe('warn');
    expect((await load({})).LOG_LEVEL).toBe('warn');
    await writeFile(join(dir, 'other.env'), 'LOG_LEVEL=error\n');
    expect((await load({ ENV_FILE: 'other.env' })).LOG_LEVEL).toBe('error');
  });

  it('runs without .env or a secrets folder', async () => {
    const c = await loadConfig({ cwd: dir, env: { DOCKER_SECRETS_DIR: join(dir, 'nowhere') } });
    expect(c.LOG_LEVEL).toBe('info');
  });
});

describe('loadConfig refuses bad input with a clear error', () => {
  it('a .env with a malformed line: names the file and line, not the content', async () => {
    await writeFile(join(dir, '.env'), 'LOG_LEVEL=debug\nDATABASE_URL postgres://app:hunter2@db\n');
    const err = await configError(load({}));
    expect(err.code).toBe('CONFIG_DOTENV_MALFORMED');
    expect(err.message).toBe(`${join(dir, '.env')} line 2: expected KEY=value (keys are letters, digits and _, not starting with a digit)`);
    expect(err.message).not.toContain('hunter2');
  });

  it('an invalid value in each source names the key and that source', async () => {
    await writeFile(join(dir, '.env'), 'SERVICE_PORT=http\n');
    let err = await configError(load({}));
    expect(err.issues[0]).toMatchObject({ code: 'CONFIG_INVALID', key: 'SERVICE_PORT', source: join(dir, '.env') });

    await writeFile(join(secretsDir, 'DATABASE_URL'), 'mysql://app:hunter2@db');
    err = await configError(load({ LOG_LEVEL: 'chatty' }));
    expect(err.issues.map((i) => [i.key, i.source])).toEqual([
      ['LOG_LEVEL', 'environment'],
      ['SERVICE_PORT', join(dir, '.env')],
      ['DATABASE_URL', `Docker secrets in ${secretsDir}`],
    ]);
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('chatty');
  });

  it('an invalid bootstrap setting stops before it is used', async () => {
    const err = await configError(load({ PIER_ENV: 'production' }));
    expect(err.issues[0]).toMatchObject({ code: 'CONFIG_INVALID', key: 'PIER_ENV', source: 'environment' });
    expect(err.message).not.toContain('production');
    const endpoint = await configError(load({ SECRETS_ID: 'pier/dev', SECRETSMANAGER_ENDPOINT: 'not a url' }));
    expect(endpoint.issues[0]).toMatchObject({ key: 'SECRETSMANAGER_ENDPOINT', source: 'environment' });
  });

  it('a secrets "folder" that is a file cannot be read', async () => {
    const file = join(dir, 'secrets-file');
    await writeFile(file, 'x');
    const err = await configError(load({ DOCKER_SECRETS_DIR: file }));
    expect(err.code).toBe('CONFIG_SECRETS_DIR_UNREADABLE');
    expect(err.message).toBe(`cannot read ${file} (ENOTDIR)`);
  });

  // As root (how these tests usually run) chmod blocks nothing, so this only runs for other users (CI as non-root).
  it.skipIf(process.getuid?.() === 0)('a secrets folder without read permission cannot be read', async () => {
    await chmod(secretsDir, 0o000);
    try {
      const err = await configError(load({}));
      expect(err.code).toBe('CONFIG_SECRETS_DIR_UNREADABLE');
      expect(err.message).toBe(`cannot read ${secretsDir} (EACCES)`);
    } finally {
      await chmod(secretsDir, 0o700);
    }
  });

  it('a Docker secret that cannot be read names its key', async () => {
    // Tests run as root, where chmod 000 blocks nothing; a dangling link gives a real read error instead.
    await symlink(join(dir, 'missing-target'), join(secretsDir, 'DATABASE_URL'));
    const err = await configError(load({}));
    expect(err.code).toBe('CONFIG_SECRETS_DIR_UNREADABLE');
    expect(err.issues[0]?.key).toBe('DATABASE_URL');
    expect(err.message).toContain(`cannot read DATABASE_URL from ${join(secretsDir, 'DATABASE_URL')}`);
  });

  it('a .env that is a folder cannot be read', async () => {
    await mkdir(join(dir, '.env'));
    const err = await configError(load({}));
    expect(err.code).toBe('CONFIG_DOTENV_UNREADABLE');
    expect(err.message).toBe(`cannot read ${join(dir, '.env')} (EISDIR)`);
  });
});
