/**
 * Builds the web page (web/ -> web/dist) when its sources changed since the last build. `npm start` runs this first
 * (`prestart`), and the browser test calls `ensureWebBuilt()` in its setup, so a fresh clone shows the page without
 * a separate build step. Staleness is a hash of the page's sources (not file times, which a clone does not keep).
 *
 *   npx tsx scripts/build-web.ts            build if stale
 *   npx tsx scripts/build-web.ts --force    build anyway
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const WEB_ROOT = join(REPO, 'web');
export const WEB_DIST = join(WEB_ROOT, 'dist');
/** Beside node_modules' other caches: same filesystem as web/dist (for the atomic swap), ignored by git and eslint. */
const WORK_DIR = join(REPO, 'node_modules', '.cache', 'pier-web');
const STAMP = '.build-stamp';
const LOCK_STALE_MS = 120_000;

type Log = (line: string) => void;

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Hash of everything that goes into the build: index.html, src/ (not tests), public/, and the Vite version. */
export async function webSourceHash(root = WEB_ROOT): Promise<string> {
  const files = [join(root, 'index.html'), ...(await listFiles(join(root, 'src'))), ...(await listFiles(join(root, 'public')))]
    .filter((f) => !f.endsWith('.test.ts'))
    .sort();
  const h = createHash('sha256');
  const vite = JSON.parse(await readFile(createRequire(import.meta.url).resolve('vite/package.json'), 'utf8')) as { version: string };
  h.update(`vite ${vite.version}\n`);
  for (const f of files) {
    h.update(relative(root, f).split(sep).join('/'));
    h.update('\0');
    h.update(await readFile(f));
    h.update('\0');
  }
  return h.digest('hex');
}

export async function isWebBuildCurrent(dist = WEB_DIST): Promise<boolean> {
  try {
    await stat(join(dist, 'index.html'));
    return (await readFile(join(dist, STAMP), 'utf8')).trim() === (await webSourceHash());
  } catch {
    return false;
  }
}

/** A lock folder, so two processes (a test and `npm start`) never build into web/dist at once. */
async function withLock<T>(fn: () => Promise<T>, log: Log): Promise<T> {
  await mkdir(WORK_DIR, { recursive: true });
  const lock = join(WORK_DIR, 'build.lock');
  const deadline = Date.now() + LOCK_STALE_MS;
  let told = false;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > LOCK_STALE_MS || Date.now() > deadline) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (!told) log('web: another build is running; waiting for it');
      told = true;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function runVite(outDir: string): Promise<void> {
  const viteBin = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [viteBin, 'build', WEB_ROOT, '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`vite build failed (exit ${code}):\n${output.trim()}`))));
  });
}

/** Builds into a temporary folder and swaps it in, so web/dist is never half-written. Call under the lock. */
async function buildUnlocked(log: Log): Promise<void> {
  const started = Date.now();
  log('web: building the page (web/ -> web/dist)...');
  const hash = await webSourceHash();
  const tmp = join(WORK_DIR, `dist-${process.pid}-${Date.now()}`);
  try {
    await runVite(tmp);
    await writeFile(join(tmp, STAMP), `${hash}\n`);
    const old = join(WORK_DIR, `old-${process.pid}-${Date.now()}`);
    await rename(WEB_DIST, old).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rename(tmp, WEB_DIST);
    await rm(old, { recursive: true, force: true });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  log(`web: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function buildWeb(log: Log = () => {}): Promise<void> {
  await withLock(() => buildUnlocked(log), log);
}

/** Builds only if web/dist is missing or older than the sources. Returns whether it built. */
export async function ensureWebBuilt(log: Log = () => {}): Promise<boolean> {
  if (await isWebBuildCurrent()) return false;
  return withLock(async () => {
    // Re-checked under the lock: a concurrent caller may have just built it.
    if (await isWebBuildCurrent()) return false;
    await buildUnlocked(log);
    return true;
  }, log);
}

const HELP = `Usage: npm run build:web          build the web page (web/ -> web/dist) now
       npx tsx scripts/build-web.ts   build it only if its sources changed (npm start and npm test run this)

Options:
  --force     build even if web/dist is up to date (npm run build:web passes it)
  -h, --help  this text

Exit codes: 0 built or up to date, 1 the build failed, 2 usage error.
`;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let force = false;
  try {
    const { values } = parseArgs({ options: { force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      process.stdout.write(HELP);
      process.exit(0);
    }
    force = values.force ?? false;
  } catch (err) {
    process.stderr.write(`build-web: ${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  try {
    if (force) await buildWeb(log);
    else if (!(await ensureWebBuilt(log))) log('web: the page in web/dist is up to date');
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
