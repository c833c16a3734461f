/**
 * `npm run bench [-- name ...]`: runs the benchmarks one after another (never in parallel: they share two cores).
 * Each module in bench/ exports `run()`, prints its own table and compares against a baseline it measures in the
 * same run. Not part of `npm test`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ALL = ['auth', 'gateway', 'sqs', 'orders'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !ALL.includes(w));
if (unknown.length) {
  process.stderr.write(`unknown benchmark: ${unknown.join(', ')} (have: ${ALL.join(', ')})\n`);
  process.exit(2);
}

for (const name of wanted.length ? wanted : ALL) {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  if (!existsSync(file)) {
    process.stdout.write(`\n== ${name}: not built yet\n`);
    continue;
  }
  process.stdout.write(`\n== ${name} (${new Date().toISOString()})\n`);
  const mod = (await import(file)) as { run: () => Promise<unknown> };
  await mod.run();
}
