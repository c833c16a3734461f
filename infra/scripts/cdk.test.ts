import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../lib/paths.js';

/* The synth itself is covered by infra/stack.test.ts; these check the wrapper's guidance paths. */
const home = mkdtempSync(join(tmpdir(), 'pier-cdk-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const env = { PATH: process.env.PATH, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none') };

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['infra/scripts/cdk.ts', ...args], { cwd: REPO_ROOT, env }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run synth / deploy', () => {
  it('deploy without AWS credentials explains how to log in and exits 1 before building anything', async () => {
    const r = await cli(['deploy', '--env', 'dev']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No AWS credentials found');
    expect(r.stderr).toContain('AWS_PROFILE');
    expect(r.stdout).not.toContain('Bundling');
  });

  it('prints help; refuses unknown environments and a deploy without --env', async () => {
    const help = await cli(['synth', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Works offline');
    expect((await cli(['synth', '--env', 'staging'])).code).toBe(2);
    const noEnv = await cli(['deploy']);
    expect(noEnv.code).toBe(2);
    expect(noEnv.stderr).toContain('--env dev');
  });
});
