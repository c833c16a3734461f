/**
 * `npm run pause` / `npm run resume`: scale an environment's ECS service and worker to zero, and back.
 * Names come from infra/settings.ts (the stack gives the cluster and services those physical names).
 */
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { envSettings, names, type EnvSettings } from '../settings.js';
import { isCredentialsError, NO_CREDENTIALS_HELP } from './awsCredentials.js';

const HELP = `Usage: npm run pause  -- [--env dev|prod] [--region REGION]
       npm run resume -- [--env dev|prod] [--region REGION]

pause   sets the desired count of the environment's ECS service and worker to 0: no Fargate
        charges while paused (the ALB, VPC endpoints and the database keep their idle cost).
resume  sets the service back to its desired count and the worker to its minimum capacity
        (from infra/settings.ts); worker autoscaling on queue backlog takes it from there.

Options:
  --env ENV        dev (default) or prod
  --region REGION  AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, or the environment's)
  --endpoint URL   ECS endpoint override (tests; default: AWS, or ECS_ENDPOINT)
  -h, --help       this text

Needs AWS credentials allowed to call ecs:UpdateService. Exit codes: 0 done, 1 failed, 2 usage.
Note: where the worker's minimum capacity is above 0 (prod), autoscaling may start it again.`;

export type Action = 'pause' | 'resume';

/** The desired counts each action sets. */
export function targets(action: Action, s: EnvSettings): { service: string; desiredCount: number }[] {
  const n = names(s);
  return [
    { service: n.service, desiredCount: action === 'pause' ? 0 : s.compute.service.desiredCount },
    { service: n.worker, desiredCount: action === 'pause' ? 0 : s.compute.worker.minCapacity },
  ];
}

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { env: { type: 'string' }, region: { type: 'string' }, endpoint: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const [action, ...rest] = parsed.positionals;
  if (parsed.values.help) {
    io.out(HELP);
    return 0;
  }
  if ((action !== 'pause' && action !== 'resume') || rest.length) {
    io.err(HELP);
    return 2;
  }
  let s: EnvSettings;
  try {
    s = envSettings(parsed.values.env);
  } catch (err) {
    io.err((err as Error).message);
    return 2;
  }
  const region = parsed.values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? s.region;
  const endpoint = parsed.values.endpoint ?? io.env.ECS_ENDPOINT;
  const client = new ECSClient({ region, ...(endpoint ? { endpoint } : {}) });
  const cluster = names(s).cluster;
  try {
    for (const t of targets(action, s)) {
      const res = await client.send(new UpdateServiceCommand({ cluster, service: t.service, desiredCount: t.desiredCount }));
      io.out(`${action}: ${cluster}/${t.service} desired count ${res.service?.desiredCount ?? t.desiredCount}`);
    }
    if (action === 'pause' && s.compute.worker.minCapacity > 0) {
      io.out(`note: the worker's minimum capacity in ${s.env} is ${s.compute.worker.minCapacity}; autoscaling may start it again.`);
    }
    return 0;
  } catch (err) {
    const e = err as Error;
    if (isCredentialsError(e)) io.err(NO_CREDENTIALS_HELP);
    else if (['ClusterNotFoundException', 'ServiceNotFoundException'].includes(e.name)) {
      io.err(`${action}: ${e.name}: is ${s.env} deployed in ${region}? (npm run deploy -- --env ${s.env})`);
    } else io.err(`${action} failed: ${e.name}: ${e.message}`);
    return 1;
  } finally {
    client.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
  });
  process.exit(code);
}
