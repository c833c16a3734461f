/**
 * `npm run synth` and `npm run deploy`: the CDK CLI around infra/app.ts (cdk.json), with the checks that turn the
 * usual first-run failures (no credentials, no Docker, no bootstrap) into advice.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../lib/paths.js';
import { ENVIRONMENTS, envSettings, names } from '../settings.js';
import { EngineVersionError } from '../lib/engine.js';
import { ZONES_CONTEXT, ZoneSelectionError } from '../lib/zones.js';
import { credentialsConfigured, NoCredentialsError, requireCredentials } from './awsCredentials.js';
import { defaultAws, preflight, resolveRegion, type PreflightAws, type PreflightResult } from './preflight.js';

const HELP = `Usage: npm run synth  -- [--env dev|prod]
       npm run deploy -- --env dev|prod [--bootstrap] [--yes] [--skip-web-build]

synth   writes the CloudFormation templates to cdk.out/ and runs the cdk-nag checks. Works offline
        without AWS credentials (a placeholder account, the settings' region and placeholder zones
        <region>a/b are used).
deploy  checks the account first (preflight: EC2 zones whose IDs support API Gateway VPC links,
        RDS: the pinned Aurora PostgreSQL version is available for Serverless v2), builds the web
        page (web/dist), then cdk deploy: builds the Docker image from the
        Dockerfile (needs a Docker engine), publishes assets and deploys the stack Pier-<env>.
        Stack outputs are written to cdk.out/outputs-<env>.json.

Options:
  --env ENV          dev or prod (synth: default both)
  --bootstrap        run cdk bootstrap for the account/region first (once per account and region)
  --yes              do not ask before security-related changes (--require-approval never)
  --skip-web-build   deploy web/dist as it is
  -h, --help         this text
Exit codes: 0 done, 1 failed, 2 usage.`;

const cdkBin = join(REPO_ROOT, 'node_modules', '.bin', 'cdk');

function runCdk(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cdkBin, [...args, '--no-notices'], { cwd: REPO_ROOT, stdio: 'inherit', env: { CDK_DISABLE_CLI_TELEMETRY: 'true', ...env } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(1));
  });
}

/** `cdk deploy` arguments; the preflight's zones go in as context, so the template uses them. */
export function deployArgs(stack: string, context: string[], env: string, pre: PreflightResult, yes: boolean): string[] {
  return [
    'deploy',
    stack,
    ...context,
    '-c',
    `${ZONES_CONTEXT}=${pre.zones.join(',')}`,
    '--outputs-file',
    join('cdk.out', `outputs-${env}.json`),
    ...(yes ? ['--require-approval', 'never'] : []),
  ];
}

export interface CdkIo {
  out: (l: string) => void;
  err: (l: string) => void;
  env: NodeJS.ProcessEnv;
  /** Tests: answers for the preflight instead of EC2/RDS. */
  aws?: PreflightAws;
}

export async function main(argv: string[], io: CdkIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        env: { type: 'string' },
        bootstrap: { type: 'boolean' },
        yes: { type: 'boolean' },
        'skip-web-build': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  if ((command !== 'synth' && command !== 'deploy') || rest.length) {
    io.err(HELP);
    return 2;
  }
  if (v.env !== undefined && !(v.env in ENVIRONMENTS)) {
    io.err(`unknown environment "${v.env}": use one of ${Object.keys(ENVIRONMENTS).join(', ')}`);
    return 2;
  }
  const context = v.env ? ['-c', `env=${v.env}`] : [];

  if (command === 'synth') {
    const env = { ...io.env };
    io.out('Synth uses placeholder zones (<region>a, <region>b); deploy picks zones by zone ID (docs/deploy.md, "Zones").');
    if (!credentialsConfigured(io.env, existsSync(join(homedir(), '.aws')))) {
      io.out('No AWS credentials configured: synthesizing with the placeholder account 000000000000.');
      // Nothing to find on an instance-metadata endpoint; skip the CLI's wait for it.
      env.AWS_EC2_METADATA_DISABLED = 'true';
    }
    return runCdk(['synth', '--quiet', ...context], env);
  }

  if (!v.env) {
    io.err('deploy needs --env dev or --env prod');
    return 2;
  }
  const s = envSettings(v.env);
  const region = await resolveRegion(io.env, s.region);
  try {
    await requireCredentials(region);
  } catch (err) {
    if (err instanceof NoCredentialsError) {
      io.err(err.message);
      return 1;
    }
    throw err;
  }
  // Before anything is built or CloudFormation starts: zones by zone ID, and the engine version.
  let pre: PreflightResult;
  const aws = io.aws ?? defaultAws(region);
  try {
    pre = await preflight(s, region, aws);
  } catch (err) {
    if (err instanceof ZoneSelectionError || err instanceof EngineVersionError) io.err(`Preflight refused the deploy: ${err.message}`);
    else io.err(`Preflight could not ask AWS (needs ec2:DescribeAvailabilityZones and rds:DescribeDBEngineVersions in ${region}): ${(err as Error).message}`);
    return 1;
  } finally {
    if (!io.aws) (aws as ReturnType<typeof defaultAws>).destroy();
  }
  io.out(`Preflight: ${region}, zones ${pre.zones.join(', ')}; Aurora PostgreSQL ${pre.engineVersion} available for Serverless v2.`);
  // The CLI deploys to the region the preflight checked.
  const cdkEnv = { ...io.env, AWS_REGION: region };
  if (s.compute.image.source === 'asset' && spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
    io.err(
      'deploy builds the image from the Dockerfile and needs a running Docker engine (docker info failed).\n' +
        "Start Docker, or set compute.image to { source: 'registry', ... } in infra/settings.ts to run a pushed image.",
    );
    return 1;
  }
  if (!v['skip-web-build']) {
    const web = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPO_ROOT, 'scripts', 'build-web.ts')], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (web.status !== 0) {
      io.err('building the web page failed; fix it or pass --skip-web-build');
      return 1;
    }
  }
  if (v.bootstrap) {
    const code = await runCdk(['bootstrap', ...context], cdkEnv);
    if (code !== 0) return code;
  }
  const stack = names(s).stack;
  const code = await runCdk(deployArgs(stack, context, s.env, pre, Boolean(v.yes)), cdkEnv);
  if (code !== 0) {
    io.err(`cdk deploy failed. First deploy to this account/region? Run: npm run deploy -- --env ${s.env} --bootstrap`);
    return 1;
  }
  io.out(`Deployed ${stack}. Next: push settings (npm run secrets -- push --aws --secret-id ${names(s).appSecret}), create a user (npm run users), open WebUrl from cdk.out/outputs-${s.env}.json.`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
  });
  process.exit(code);
}
