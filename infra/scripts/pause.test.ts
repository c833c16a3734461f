import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../lib/paths.js';
import { ENVIRONMENTS } from '../settings.js';

/*
 * The real CLI in a child process, against a small ECS stand-in speaking the AWS JSON 1.1 protocol over HTTP
 * (UpdateService only): what goes over the wire is what AWS would receive.
 */
interface Call {
  target: string;
  body: { cluster: string; service: string; desiredCount: number };
}
const calls: Call[] = [];
/** Answer like an account where the stack was never deployed. */
let notDeployed = false;
let server: Server;
let endpoint: string;
const home = mkdtempSync(join(tmpdir(), 'pier-pause-home-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as Call['body'];
      calls.push({ target: String(req.headers['x-amz-target']), body });
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (notDeployed) {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ClusterNotFoundException', message: 'Cluster not found.' }));
        return;
      }
      res.end(JSON.stringify({ service: { serviceName: body.service, clusterArn: `arn:aws:ecs:us-east-1:000000000000:cluster/${body.cluster}`, desiredCount: body.desiredCount } }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(home, { recursive: true, force: true });
});
beforeEach(() => {
  calls.length = 0;
  notDeployed = false;
});

/** A clean environment: no inherited AWS settings, no ~/.aws, no instance metadata. */
const baseEnv = { PATH: process.env.PATH, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none') };
const withCreds = { ...baseEnv, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret' };

function cli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['infra/scripts/pause.ts', ...args], { cwd: REPO_ROOT, env }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run pause / resume', () => {
  it('pause sets the service and the worker of an environment to 0', async () => {
    const r = await cli(['pause', '--env', 'dev', '--endpoint', endpoint], withCreds);
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(0);
    expect(calls.map((c) => c.target)).toEqual(Array(2).fill('AmazonEC2ContainerServiceV20141113.UpdateService'));
    expect(calls.map((c) => c.body)).toEqual([
      { cluster: 'pier-dev', service: 'pier-dev-service', desiredCount: 0 },
      { cluster: 'pier-dev', service: 'pier-dev-worker', desiredCount: 0 },
    ]);
    expect(r.stdout).toContain('pause: pier-dev/pier-dev-service desired count 0');
  });

  it('resume restores the counts from the settings, and ECS_ENDPOINT works like --endpoint', async () => {
    const r = await cli(['resume', '--env', 'prod'], { ...withCreds, ECS_ENDPOINT: endpoint });
    expect(r.code).toBe(0);
    expect(calls.map((c) => c.body)).toEqual([
      { cluster: 'pier-prod', service: 'pier-prod-service', desiredCount: ENVIRONMENTS.prod.compute.service.desiredCount },
      { cluster: 'pier-prod', service: 'pier-prod-worker', desiredCount: ENVIRONMENTS.prod.compute.worker.minCapacity },
    ]);
  });

  it('says what to do when there are no AWS credentials, without calling AWS', async () => {
    const r = await cli(['pause', '--env', 'dev', '--endpoint', endpoint], baseEnv);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No AWS credentials found');
    expect(r.stderr).toContain('docs/deploy.md');
    expect(calls).toEqual([]);
  });

  it('points to npm run deploy when the cluster does not exist', async () => {
    notDeployed = true;
    const r = await cli(['pause', '--env', 'dev', '--endpoint', endpoint], withCreds);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ClusterNotFoundException');
    expect(r.stderr).toContain('npm run deploy -- --env dev');
    expect(calls).toHaveLength(1);
  });

  it('prints help, and refuses an unknown environment or action with exit 2', async () => {
    const help = await cli(['pause', '--help'], baseEnv);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('npm run resume');
    expect((await cli(['pause', '--env', 'staging'], baseEnv)).code).toBe(2);
    expect((await cli(['stop'], baseEnv)).code).toBe(2);
  });
});
