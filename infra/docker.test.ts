import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROLE_COMMANDS } from './lib/compute.js';
import { REPO_ROOT } from './lib/paths.js';

const run = promisify(execFile);
const bin = (name: string) => join(REPO_ROOT, 'node_modules', '.bin', name);
const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
/** Instructions with their continuation lines joined. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const jsonArg = (instruction: string) => JSON.parse(instruction.replace(/^\w+\s+/, '').replace(/^(--\S+\s+)*CMD\s+/, '')) as string[];

describe('Dockerfile', () => {
  it('passes dockerfilelint', async () => {
    const { stdout } = await run(bin('dockerfilelint'), ['-j', 'Dockerfile'], { cwd: REPO_ROOT }).catch((err: { stdout: string }) => err);
    const report = JSON.parse(stdout) as { totalIssues: number; files: { issues: unknown[] }[] };
    expect(report.files[0]!.issues).toEqual([]);
    expect(report.totalIssues).toBe(0);
  });

  it('is multi-stage on node:24, installs production dependencies only, and runs as a non-root user', () => {
    const from = instructions.filter((l) => l.startsWith('FROM '));
    expect(from.length).toBeGreaterThanOrEqual(2);
    for (const f of from) expect(f).toMatch(/^FROM node:24(\.\d+)*-[-\w.]*(@sha256:[0-9a-f]{64})?( AS \w+)?$/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    // The runtime stage copies node_modules only from the production-only stage.
    const runtime = instructions.slice(instructions.lastIndexOf(from.at(-1)!));
    const nodeModulesCopy = runtime.filter((l) => l.startsWith('COPY') && l.includes('node_modules'));
    expect(nodeModulesCopy).toHaveLength(1);
    const depsStage = /--from=(\w+)/.exec(nodeModulesCopy[0]!)![1]!;
    const depsStart = instructions.findIndex((l) => l.endsWith(` AS ${depsStage}`));
    const depsEnd = instructions.findIndex((l, i) => i > depsStart && l.startsWith('FROM '));
    // Production dependencies only, and no second Node (the optional node-linux-* packages) beside the image's own.
    expect(instructions.slice(depsStart, depsEnd).join('\n')).toMatch(/npm ci --omit=dev --omit=optional /);
    const user = runtime.filter((l) => l.startsWith('USER '));
    expect(user).toEqual(['USER node']);
    expect(runtime.findIndex((l) => l.startsWith('USER '))).toBeLessThan(runtime.findIndex((l) => l.startsWith('CMD ')));
  });

  it('checks /healthz with node (no curl in the slim image)', () => {
    const hc = instructions.find((l) => l.startsWith('HEALTHCHECK '));
    expect(hc).toBeDefined();
    const cmd = jsonArg(hc!);
    expect(cmd.slice(0, 2)).toEqual(['node', '-e']);
    expect(cmd[2]).toContain('/healthz');
  });

  it("runs the roles that src/main.ts knows: CMD is the service, the worker task overrides it", async () => {
    const cmd = instructions.filter((l) => l.startsWith('CMD '));
    expect(cmd).toHaveLength(1);
    expect(jsonArg(cmd[0]!)).toEqual([...ROLE_COMMANDS.service]);
    // The entry point lists its roles when called without one (and exits 2): the image's commands must be among them.
    const result = await run(bin('tsx'), ['src/main.ts'], { cwd: REPO_ROOT }).catch((err: { code: number; stderr: string }) => err);
    expect('code' in result && result.code).toBe(2);
    const roles = /usage: main <([^>]+)>/.exec(result.stderr)![1]!.split('|');
    for (const command of Object.values(ROLE_COMMANDS)) {
      expect(command.slice(0, 2)).toEqual(['node', 'dist/main.js']);
      expect(roles).toContain(command[2]);
    }
    // dist/main.js is what the build stage produces from src/main.ts.
    expect(dockerfile).toMatch(/esbuild src\/main\.ts [^\n]*--outfile=dist\/main\.js/);
  });
});

describe("the image's build and start, without Docker", () => {
  const work = mkdtempSync(join(tmpdir(), 'pier-image-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it("the build stage's commands produce a dist/main.js that serves /healthz and passes the HEALTHCHECK", async () => {
    // The build stage's context, with the repository's node_modules standing in for `npm ci`.
    for (const f of ['package.json', 'tsconfig.json', 'src', 'node_modules']) symlinkSync(join(REPO_ROOT, f), join(work, f));
    const buildStart = instructions.findIndex((l) => l === 'COPY src ./src');
    const buildEnd = instructions.findIndex((l, i) => i > buildStart && l.startsWith('FROM '));
    const runs = instructions.slice(buildStart + 1, buildEnd).filter((l) => l.startsWith('RUN '));
    expect(runs.length).toBeGreaterThan(0);
    for (const r of runs) await run('sh', ['-c', r.slice(4)], { cwd: work });
    expect(existsSync(join(work, 'dist', 'main.js'))).toBe(true);

    const env = {
      PATH: process.env.PATH,
      PIER_ENV: 'dev',
      DATA_DIR: join(work, 'data'),
      SERVICE_HOST: '127.0.0.1',
      SERVICE_PORT: '0',
      ORDER_EVENTS_QUEUE_URL: 'http://127.0.0.1:9/queue/order-events',
      LOG_LEVEL: 'info',
    };
    child = spawn(process.execPath, jsonArg(instructions.find((l) => l.startsWith('CMD '))!).slice(1), { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 40 s: ${log}`)), 40_000);
      child!.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const started = /"url":"(http:[^"]+)","msg":"service started"/.exec(log);
        if (started) {
          clearTimeout(timer);
          resolve(started[1]!);
        }
      });
      child!.on('exit', (code) => reject(new Error(`exited ${code}: ${log}`)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // The Dockerfile's own HEALTHCHECK command, pointed at this port.
    const hc = jsonArg(instructions.find((l) => l.startsWith('HEALTHCHECK '))!);
    await expect(run(process.execPath, hc.slice(1), { env: { ...env, SERVICE_PORT: new URL(url).port } })).resolves.toBeDefined();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    child = undefined;
  }, 60_000);
});

describe('.dockerignore', () => {
  const lines = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('keeps dependencies, local state, secrets and build output out of the context', () => {
    for (const p of ['**/node_modules', '**/.pier', '**/.env', '**/test-output', '**/cdk.out']) expect(lines).toContain(p);
    // Deny by default: only what the Dockerfile copies is let in.
    expect(lines[0]).toBe('*');
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    const copied = instructions
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.replace(/^COPY\s+(--\S+\s+)*/, '').split(/\s+/).slice(0, -1));
    expect(new Set(copied)).toEqual(new Set(allowed));
  });
});
