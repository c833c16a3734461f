import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DBEngineVersion } from '@aws-sdk/client-rds';
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../settings.js';
import { checkEngineVersion, EngineVersionError, PINNED_ENGINE_VERSION, usableVersions } from './engine.js';
import { REPO_ROOT } from './paths.js';

/*
 * AWS is mocked: the answers are JSON fixtures in infra/fixtures/ in the shape of RDS DescribeDBEngineVersions output
 * (hand-written from the documented shape; there is no AWS account here).
 */
const answer = (name: string): DBEngineVersion[] =>
  (JSON.parse(readFileSync(join(REPO_ROOT, 'infra', 'fixtures', name), 'utf8')) as { DBEngineVersions: DBEngineVersion[] }).DBEngineVersions;
const all = [...answer('rds-describe-db-engine-versions-all-page1.json'), ...answer('rds-describe-db-engine-versions-all-page2.json')];
const dev = { minAcu: ENVIRONMENTS.dev.data.minAcu, maxAcu: ENVIRONMENTS.dev.data.maxAcu };

describe('engine version', () => {
  it('pins 17.9 in every environment, a version aws-cdk-lib knows', () => {
    expect(PINNED_ENGINE_VERSION).toBe('17.9');
    expect(rds.AuroraPostgresEngineVersion.VER_17_9.auroraPostgresFullVersion).toBe('17.9');
    for (const s of Object.values(ENVIRONMENTS)) expect(s.data.engineVersion).toBe(PINNED_ENGINE_VERSION);
  });

  it('accepts the pinned version when RDS lists it available with Serverless v2 down to 0 ACU', () => {
    expect(() => checkEngineVersion('17.9', answer('rds-describe-db-engine-versions-17.9.json'), dev)).not.toThrow();
  });

  it('refuses a version RDS does not list, naming versions that can (newest first)', () => {
    const run = () => checkEngineVersion('17.9', answer('rds-describe-db-engine-versions-17.9-missing.json'), dev, all);
    expect(run).toThrow(EngineVersionError);
    expect(run).toThrow('Aurora PostgreSQL 17.9 (infra/lib/engine.ts, PINNED_ENGINE_VERSION) cannot be deployed: not listed by RDS in this region');
    expect(run).toThrow(/at 0–2 ACU: 17\.7, 17\.4, 16\.8, 16\.6\./);
  });

  it('refuses a deprecated version', () => {
    expect(() => checkEngineVersion('17.9', answer('rds-describe-db-engine-versions-17.9-deprecated.json'), dev, all)).toThrow(/status is deprecated, not available/);
  });

  it('takes 0.5-ACU versions only where the environment does not pause (prod)', () => {
    const prod = { minAcu: ENVIRONMENTS.prod.data.minAcu, maxAcu: ENVIRONMENTS.prod.data.maxAcu };
    expect(usableVersions(all, prod)).toEqual(['17.7', '17.4', '16.8', '16.6', '16.2', '15.4', '13.9']);
    expect(usableVersions(all, dev)).not.toContain('16.2');
  });
});
