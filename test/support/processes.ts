/** Pier roles as child processes (`src/main.ts <role>` through tsx), configured by environment only. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RoleProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once it has exited. */
  exited: Promise<number | string>;
}

export function spawnRole(role: 'service' | 'worker', env: Record<string, string>): RoleProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', role], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PIER_ENV: 'test',
      ENV_FILE: '/nonexistent/.env',
      DOCKER_SECRETS_DIR: '/nonexistent/secrets',
      LOG_LEVEL: 'info',
      NODE_NO_WARNINGS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, output: () => out, exited };
}

/** Waits until the child has written `text` (e.g. "service started"). */
export async function waitForOutput(p: RoleProcess, text: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!p.output().includes(text)) {
    if (p.child.exitCode !== null) throw new Error(`process exited before "${text}":\n${p.output()}`);
    if (Date.now() > until) throw new Error(`timed out waiting for "${text}":\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
