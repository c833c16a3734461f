/**
 * The CDK app: `cdk synth|deploy -c env=dev|prod` (npm run synth / deploy). Without an AWS account in the environment
 * (offline synth, tests) the stack is given the settings' region and a placeholder account, so nothing is looked up.
 * Zones: `-c zones=us-east-1b,us-east-1c` (set by `npm run deploy` from the account's zone IDs, infra/lib/zones.ts);
 * without it, the placeholders `<region>a`/`<region>b`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import { ENVIRONMENTS, envSettings, names, type EnvSettings } from './settings.js';
import { REPO_ROOT } from './lib/paths.js';
import { PierStack } from './lib/stack.js';
import { parseZonesContext, placeholderZones, ZONES_CONTEXT } from './lib/zones.js';

export const PLACEHOLDER_ACCOUNT = '000000000000';

export interface BuildOptions {
  /** Environments to build (default: the `env` context, or every environment). */
  envs?: EnvSettings[];
  /** Run cdk-nag's AwsSolutions checks (default on). */
  nag?: boolean;
  outdir?: string;
}

/**
 * The feature flags in cdk.json's context. The CDK CLI passes them to `cdk synth|deploy`; an App built in a test does
 * not read cdk.json, so buildApp sets any that are missing, and tests synthesize what the CLI would.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const json = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return json.context ?? {};
}

export function buildApp(app: App, opts: BuildOptions = {}): PierStack[] {
  for (const [key, value] of Object.entries(cdkJsonContext())) {
    if (app.node.tryGetContext(key) === undefined) app.node.setContext(key, value);
  }
  const only = app.node.tryGetContext('env') as string | undefined;
  const envs = opts.envs ?? (only ? [envSettings(only)] : Object.values(ENVIRONMENTS));
  const resolved = envs.map((base) => {
    const region = process.env.CDK_DEFAULT_REGION ?? base.region;
    const account = process.env.CDK_DEFAULT_ACCOUNT ?? PLACEHOLDER_ACCOUNT;
    // AZs are listed rather than looked up: the zones context (chosen by deploy's preflight), else placeholders.
    const chosen = parseZonesContext(app.node.tryGetContext(ZONES_CONTEXT), region);
    const zones = chosen ?? (region === base.region ? base.availabilityZones : placeholderZones(region));
    const s = { ...base, region, availabilityZones: zones };
    // The VPC checks its AZs against the account's; answering that lookup here keeps synth offline and credential-free.
    app.node.setContext(`availability-zones:account=${account}:region=${region}`, s.availabilityZones);
    return { s, account, region };
  });
  const stacks = resolved.map(
    ({ s, account, region }) =>
      new PierStack(app, names(s).stack, {
        settings: s,
        env: { account, region },
        description: `Pier (${s.env}): a TypeScript backend on ECS Fargate, Lambda, SQS, Cognito and Aurora`,
        tags: { app: 'pier', env: s.env },
      }),
  );
  // cdk-nag 3 runs as a policy-validation plugin: `cdk synth` fails on any finding not acknowledged in lib/nag.ts.
  if (opts.nag ?? true) Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));
  return stacks;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = new App();
  buildApp(app);
  app.synth();
}
