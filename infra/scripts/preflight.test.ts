import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { DescribeDBEngineVersionsCommand } from '@aws-sdk/client-rds';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../app.js';
import { REPO_ROOT } from '../lib/paths.js';
import { ENVIRONMENTS } from '../settings.js';
import { deployArgs, main } from './cdk.js';
import { preflight, sdkAws, type Sender } from './preflight.js';

/*
 * AWS is mocked throughout: fake EC2/RDS clients answer with JSON fixtures from infra/fixtures/ (hand-written in the
 * documented response shapes; there is no AWS account here) and record the requests they were sent.
 */
const fixture = (name: string) => JSON.parse(readFileSync(join(REPO_ROOT, 'infra', 'fixtures', name), 'utf8')) as Record<string, unknown>;

function fakeAws(zones: string, engine: string) {
  const sent: object[] = [];
  const ec2: Sender = {
    send: async (cmd) => {
      sent.push(cmd);
      if (!(cmd instanceof DescribeAvailabilityZonesCommand)) throw new Error('unexpected EC2 call');
      return fixture(zones);
    },
  };
  const rds: Sender = {
    send: async (cmd) => {
      sent.push(cmd);
      if (!(cmd instanceof DescribeDBEngineVersionsCommand)) throw new Error('unexpected RDS call');
      if (cmd.input.EngineVersion) return fixture(engine);
      return fixture(cmd.input.Marker === 'page-2' ? 'rds-describe-db-engine-versions-all-page2.json' : 'rds-describe-db-engine-versions-all-page1.json');
    },
  };
  return { aws: sdkAws({ ec2, rds }), sent };
}

const inputs = (sent: object[]) => sent.map((c) => (c as { input: unknown }).input);

describe('deploy preflight', () => {
  it('asks EC2 for available, no-opt-in zones and RDS for the pinned version; picks zones by ID', async () => {
    const { aws, sent } = fakeAws('ec2-describe-availability-zones-us-east-1-az3-first.json', 'rds-describe-db-engine-versions-17.9.json');
    const r = await preflight(ENVIRONMENTS.dev, 'us-east-1', aws);
    expect(r).toEqual({ region: 'us-east-1', zones: ['us-east-1b', 'us-east-1c'], engineVersion: '17.9' });
    expect(inputs(sent)).toEqual([
      {
        Filters: [
          { Name: 'state', Values: ['available'] },
          { Name: 'opt-in-status', Values: ['opt-in-not-required'] },
          { Name: 'zone-type', Values: ['availability-zone'] },
        ],
      },
      { Engine: 'aurora-postgresql', EngineVersion: '17.9', MaxRecords: 100, Marker: undefined },
    ]);
    expect(deployArgs('Pier-dev', ['-c', 'env=dev'], 'dev', r, false)).toEqual([
      'deploy', 'Pier-dev', '-c', 'env=dev', '-c', 'zones=us-east-1b,us-east-1c', '--outputs-file', join('cdk.out', 'outputs-dev.json'),
    ]);
  });

  it('lists every page of engine versions only to explain a refusal', async () => {
    const { aws, sent } = fakeAws('ec2-describe-availability-zones-us-east-1-plain.json', 'rds-describe-db-engine-versions-17.9-missing.json');
    await expect(preflight(ENVIRONMENTS.dev, 'us-east-1', aws)).rejects.toThrow(/not listed by RDS .*17\.7, 17\.4, 16\.8, 16\.6/);
    expect(inputs(sent).slice(2)).toEqual([
      { Engine: 'aurora-postgresql', MaxRecords: 100, Marker: undefined },
      { Engine: 'aurora-postgresql', MaxRecords: 100, Marker: 'page-2' },
    ]);
  });

  it('the chosen zones reach the synthesized template', () => {
    const app = new App({ context: { zones: 'us-east-1b,us-east-1c' } });
    const s = { ...ENVIRONMENTS.dev, functions: { ...ENVIRONMENTS.dev.functions, bundle: false }, web: { distDir: '/nonexistent' } };
    const [stack] = buildApp(app, { envs: [s], nag: false });
    const subnets = Object.values(Template.fromStack(stack!).findResources('AWS::EC2::Subnet')) as { Properties: { AvailabilityZone: string } }[];
    expect([...new Set(subnets.map((r) => r.Properties.AvailabilityZone))].sort()).toEqual(['us-east-1b', 'us-east-1c']);
  });
});

describe('npm run deploy refuses before CloudFormation', () => {
  // Static example keys satisfy the SDK's credentials check (it reads process.env) without a network call; EC2 and RDS
  // are the fakes above.
  const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example', AWS_EC2_METADATA_DISABLED: 'true' };
  beforeEach(() => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv('AWS_PROFILE', undefined);
  });
  afterEach(() => vi.unstubAllEnvs());
  const run = async (zones: string, engine: string, region = 'us-east-1') => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['deploy', '--env', 'dev', '--skip-web-build'], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: { ...env, AWS_REGION: region },
      aws: fakeAws(zones, engine).aws,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('for a region without a zone table entry, naming the region', async () => {
    const r = await run('ec2-describe-availability-zones-us-east-1-plain.json', 'rds-describe-db-engine-versions-17.9.json', 'eu-west-1');
    expect(r.code).toBe(1);
    expect(r.err).toContain('Preflight refused the deploy: Region eu-west-1 has no entry');
    expect(r.out).not.toContain('Deployed');
  });

  it('for an engine version RDS lists as deprecated, naming versions that can', async () => {
    const r = await run('ec2-describe-availability-zones-us-east-1-az3-first.json', 'rds-describe-db-engine-versions-17.9-deprecated.json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Preflight refused the deploy: Aurora PostgreSQL 17\.9 .*status is deprecated.*17\.7, 17\.4/);
  });
});
