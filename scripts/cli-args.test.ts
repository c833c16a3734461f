import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');
const run = (script: string, args: string[]) =>
  spawnSync(tsx, [join(import.meta.dirname, script), ...args], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } });

// --help and a bad argument only: neither builds nor prints the table, so these stay fast.
describe.each([
  ['build-web.ts', 'Usage: npm run build:web', '--bogus', /^build-web: Unknown option '--bogus'/],
  ['config-doc.ts', 'Usage: npm run -s config-doc', 'extra', /^config-doc: unexpected argument "extra"/],
])('scripts/%s', (script, usage, bad, message) => {
  it('prints its usage for --help and exits 0', () => {
    const r = run(script, ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith(usage)).toBe(true);
    expect(r.stderr).toBe('');
  });

  it('refuses an unknown argument with a usage error (exit 2), without doing the work', () => {
    const r = run(script, [bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(usage);
    expect(r.stdout).toBe('');
  });
});
