/**
 * Bundles each Lambda handler (FUNCTIONS in src/routes.ts) the way the CDK ships it: esbuild, platform node,
 * target node24, ESM, minified, with a source map, to dist/functions/<name>/index.mjs.
 * `npx tsx scripts/bundle-functions.ts [--out-dir DIR]`
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { FUNCTION_BUNDLE, FUNCTIONS, type FunctionName } from '../src/routes.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const DEFAULT_OUT_DIR = resolve(REPO_ROOT, 'dist/functions');

export interface BundledFunction {
  name: FunctionName;
  /** Absolute path of the bundle (`<outDir>/<name>/index.mjs`). */
  file: string;
  bytes: number;
}

export async function bundleFunctions(opts: { outDir?: string; names?: readonly FunctionName[] } = {}): Promise<BundledFunction[]> {
  const outDir = resolve(opts.outDir ?? DEFAULT_OUT_DIR);
  const names = opts.names ?? (Object.keys(FUNCTIONS) as FunctionName[]);
  const out: BundledFunction[] = [];
  for (const name of names) {
    const file = resolve(outDir, name, 'index.mjs');
    const result = await build({
      entryPoints: [resolve(REPO_ROOT, FUNCTIONS[name].entry)],
      outfile: file,
      bundle: true,
      platform: FUNCTION_BUNDLE.platform,
      target: FUNCTION_BUNDLE.target,
      format: FUNCTION_BUNDLE.format,
      minify: FUNCTION_BUNDLE.minify,
      sourcemap: FUNCTION_BUNDLE.sourcemap,
      banner: { js: FUNCTION_BUNDLE.banner },
      external: [...FUNCTION_BUNDLE.external],
      mainFields: [...FUNCTION_BUNDLE.mainFields],
      metafile: true,
      logLevel: 'warning',
    });
    const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)?.bytes ?? 0;
    out.push({ name, file, bytes });
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { 'out-dir': { type: 'string' } } });
  for (const b of await bundleFunctions({ outDir: values['out-dir'] })) {
    process.stdout.write(`${b.name}: ${b.file} (${(b.bytes / 1024).toFixed(0)} KiB)\n`);
  }
}
