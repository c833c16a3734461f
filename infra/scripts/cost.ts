/**
 * `npm run cost`: the idle monthly cost of each environment, computed from its synthesized template
 * (infra/lib/idleCost.ts), as the markdown table docs/deploy.md carries. Offline; no credentials.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { settings as configSettings } from '../../src/config/schema.js';
import { buildApp } from '../app.js';
import { costTable, idleCost, type CostLine } from '../lib/idleCost.js';
import { ENVIRONMENTS } from '../settings.js';

/** Synthesizes every environment (functions not bundled: code does not change the price) and prices it. */
export function idleCosts(): Record<string, CostLine[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'pier-cost-'));
  try {
    const app = new App({ outdir });
    const envs = Object.values(ENVIRONMENTS).map((s) => ({ ...s, functions: { ...s.functions, bundle: false } }));
    const stacks = buildApp(app, { envs, nag: false });
    const sweepDefault = Number(configSettings.OUTBOX_SWEEP_SECONDS.default);
    return Object.fromEntries(stacks.map((st) => [st.settings.env, idleCost(Template.fromStack(st).toJSON() as never, sweepDefault)]));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(costTable(idleCosts()) + '\n');
}
