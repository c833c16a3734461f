/**
 * `npm start` as a user runs it (local/main.ts in a child process, from a fresh folder): the banner, Ctrl-C, and
 * the expected failures (bad option, bad setting, a port or the data folder in use) as one clear line and an exit
 * code, never a stack trace or a setting's value.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../local/main.ts', import.meta.url));
// tsx's own command line, as `npm start` runs it (`tsx local/main.ts`), from another folder than the repository's.
const TSX = createRequire(import.meta.url).resolve('tsx/cli');
const ZERO_PORTS = { GATEWAY_PORT: '0', SERVICE_PORT: '0', IDENTITY_PORT: '0', SQS_PORT: '0', SECRETSMANAGER_PORT: '0', CONSOLE_PORT: '0' };

interface Run {
  stdout: () => string;
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
  exited: Promise<number | string>;
}

function start(cwd: string, args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [TSX, MAIN, ...args], {
    cwd,
    // Only what a shell would have, so anything the runtime or the AWS SDK prints on its own would show in stderr.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DOCKER_SECRETS_DIR: join(cwd, 'no-secrets'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { stdout: () => out, stderr: () => err, kill: (s) => child.kill(s), exited };
}

async function waitFor(run: Run, text: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!run.stdout().includes(text)) {
    if (Date.now() > until) throw new Error(`timed out waiting for "${text}":\n${run.stdout()}\n${run.stderr()}`);
    const done = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r(undefined), 50))]);
    if (done !== undefined) throw new Error(`exited (${String(done)}) before "${text}":\n${run.stdout()}\n${run.stderr()}`);
  }
}

describe('npm start (local/main.ts)', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'pier-start-'));
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('refuses a bad --log-level with a usage error (exit 2), naming the option', async () => {
    const run = start(cwd, ['--log-level', 'loud'], ZERO_PORTS);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/^--log-level must be one of fatal, error, warn, info, debug, trace, silent/);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
  });

  it('stops on an invalid setting naming the key, never the value (exit 78)', async () => {
    const run = start(cwd, [], { ...ZERO_PORTS, SERVICE_PORT: 'not-a-port-value' });
    expect(await run.exited).toBe(78);
    expect(run.stderr()).toMatch(/^pier: configuration error: SERVICE_PORT /);
    expect(run.stderr()).not.toContain('not-a-port-value');
    expect(run.stderr()).not.toMatch(/\n\s+at /);
  });

  it('says in one line when the data folder cannot be made (exit 1)', async () => {
    const run = start(cwd, ['--data-dir', '/dev/null/pier'], ZERO_PORTS);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe("pier: could not start: ENOTDIR: not a directory, mkdir '/dev/null/pier'\n");
  });

  describe('with a port taken', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('says which port and which setting, in one line (exit 1)', async () => {
      const run = start(cwd, ['--data-dir', 'port-taken'], { ...ZERO_PORTS, SECRETSMANAGER_PORT: String(port) });
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toBe(
        `pier: port ${port} on 127.0.0.1 (SECRETSMANAGER_PORT) is already in use. Is another npm start running? Stop it, or choose other ports with the *_PORT settings (see npm start -- --help).\n`,
      );
    });
  });

  it('prints the banner with paths relative to the folder, refuses a second start on the same data folder, and stops cleanly on SIGINT', async () => {
    const first = start(cwd, [], ZERO_PORTS);
    try {
      await waitFor(first, 'Press Ctrl-C to stop.');
      expect(first.stdout()).toContain(`Pier is running on Node.js ${process.versions.node}:`);
      expect(first.stdout()).toMatch(/\nReady in \d+\.\d s\.\n/);
      expect(first.stdout()).toMatch(/database\s+embedded PGlite in \.pier\/pglite\n/);
      expect(first.stdout()).toContain('Endpoints for scripts: .pier/endpoints.json\n');

      // Other ports, same folder: refused before it opens the database.
      const second = start(cwd, [], ZERO_PORTS);
      expect(await second.exited).toBe(1);
      expect(second.stderr()).toMatch(/^pier: \.pier is in use by another npm start \(process \d+\)\. Stop that one/);
      expect(second.stdout()).not.toContain('Pier is running');
    } finally {
      first.kill('SIGINT');
    }
    expect(await first.exited).toBe(0);
    expect(first.stdout()).toMatch(/SIGINT: stopping\.\.\.\nstopped\.\n$/);
    // Nothing on stderr: no errors while stopping, and no runtime or AWS SDK notice.
    expect(first.stderr()).toBe('');

    // The lock went with it: the folder can be used again.
    const again = start(cwd, [], ZERO_PORTS);
    try {
      await waitFor(again, 'Press Ctrl-C to stop.');
    } finally {
      again.kill('SIGTERM');
    }
    expect(await again.exited).toBe(0);
  });
});
