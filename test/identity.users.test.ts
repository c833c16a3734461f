import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PUBLIC_CLIENT, startTestIdentity, TEST_POOL_ID, type TestIdentity } from '../local/identity/testing.js';

const TSX = resolve('node_modules/.bin/tsx');
const SCRIPT = resolve('scripts/users.ts');
let dir: string;
let t: TestIdentity | undefined;

/** `npm run users -- ...` as a child process in a temp folder (no .env of the repo), pointed at a temp DATA_DIR. */
function users(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(TSX, [SCRIPT, ...args], { cwd: dir, env: { ...process.env, DATA_DIR: join(dir, 'data'), COGNITO_USER_POOL_ID: TEST_POOL_ID, COGNITO_CLIENT_ID: PUBLIC_CLIENT, PIER_ENV: 'local' }, timeout: 60_000 }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-users-'));
});
afterEach(async () => {
  await t?.close();
  t = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('npm run users', () => {
  it('adds, lists and removes users in the data folder when nothing is running', async () => {
    const added = await users('add', 'Ann@Example.com', '--password', 'Ann-password-1', '--group', 'admins');
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toMatch(/^added ann@example\.com \(sub [0-9a-f-]{36}\) to admins$/m);
    expect(added.stdout).not.toContain('Ann-password-1');

    const generated = await users('add', 'bob@example.com');
    const password = /^password: (\S+)$/m.exec(generated.stdout)?.[1];
    expect(password).toBeTruthy();

    const list = await users('list');
    expect(list.stdout).toMatch(/ann@example\.com\s+CONFIRMED\s+admins\s+[0-9a-f-]{36}/);
    expect(list.stdout).toMatch(/bob@example\.com\s+CONFIRMED\s+-/);
    // A fresh data folder also gets the demo account.
    expect(list.stdout).toContain('demo@pier.local');

    // The accounts work: both sign in, Ann with her group.
    t = await startTestIdentity({ dir: join(dir, 'data', 'identity') });
    const ann = await t.identity.pool.authenticate('ann@example.com', 'Ann-password-1');
    expect(ann.groups).toEqual(['admins']);
    expect((await t.identity.pool.authenticate('bob@example.com', password!)).status).toBe('CONFIRMED');
    await t.close();
    t = undefined;

    expect((await users('remove', 'bob@example.com')).code).toBe(0);
    expect((await users('list')).stdout).not.toContain('bob@example.com');
  });

  it('goes through the running endpoint when npm start is up', async () => {
    t = await startTestIdentity({ dir: join(dir, 'data', 'identity') });
    await mkdir(join(dir, 'data'), { recursive: true });
    await writeFile(join(dir, 'data', 'endpoints.json'), JSON.stringify({ identity: t.identity.url }));
    expect((await users('add', 'carol@example.com', '--password', 'Carol-pass-1')).code).toBe(0);
    // The running server knows the user at once: the script did not write the file behind its back.
    expect((await t.identity.pool.authenticate('carol@example.com', 'Carol-pass-1')).email).toBe('carol@example.com');
    expect((await users('disable', 'carol@example.com')).code).toBe(0);
    await expect(t.identity.pool.authenticate('carol@example.com', 'Carol-pass-1')).rejects.toMatchObject({ type: 'NotAuthorizedException', message: 'User is disabled.' });
  });

  it('refuses bad input with a clear message and changes nothing', async () => {
    const weak = await users('add', 'dan@example.com', '--password', 'weak');
    expect(weak.code).toBe(1);
    // Exactly one line: no stack, and no runtime or AWS SDK notice.
    expect(weak.stderr).toBe('users: InvalidPasswordException: Password did not conform with policy: Password not long enough\n');
    expect((await users('list')).stdout).not.toContain('dan@example.com');
    const unknown = await users('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('users: unknown command "frobnicate": expected list, add, remove, disable or enable (see --help)\n');
    const none = await users();
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('users: missing command: list, add, remove, disable or enable (see --help)\n');
    expect((await users('remove')).code).toBe(2);
    const unusable = await users('list', '--data-dir', '/dev/null/pier');
    expect(unusable.code).toBe(1);
    expect(unusable.stderr).toBe("users: ENOTDIR: not a directory, mkdir '/dev/null/pier/identity'\n");
    const missing = await users('remove', 'nobody@example.com');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^users: UserNotFoundException: User does not exist\.$/m);
  });
});
