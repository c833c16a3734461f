import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
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

  it('is multi-stage on node:22, installs production dependencies only, and runs as a non-root user', () => {
    const from = instructions.filter((l) => l.startsWith('FROM '));
    expect(from.length).toBeGreaterThanOrEqual(2);
    for (const f of from) expect(f).toMatch(/^FROM node:22[-\w.]*( AS \w+)?$/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    // The runtime stage copies node_modules only from the production-only stage.
    const runtime = instructions.slice(instructions.lastIndexOf(from.at(-1)!));
    const nodeModulesCopy = runtime.filter((l) => l.startsWith('COPY') && l.includes('node_modules'));
    expect(nodeModulesCopy).toHaveLength(1);
    const depsStage = /--from=(\w+)/.exec(nodeModulesCopy[0]!)![1]!;
    const depsStart = instructions.findIndex((l) => l.endsWith(` AS ${depsStage}`));
    const depsEnd = instructions.findIndex((l, i) => i > depsStart && l.startsWith('FROM '));
    expect(instructions.slice(depsStart, depsEnd).join('\n')).toMatch(/npm ci --omit=dev/);
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
