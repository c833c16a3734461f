import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkNag from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { SettingsWiringError } from './lib/appSettings.js';
import { parseDockerHubImage } from './lib/pullThroughCache.js';
import type { PierStack } from './lib/stack.js';
import { ENVIRONMENTS, type EnvSettings } from './settings.js';
import { imageRegistry } from './support/template.js';

/* compute.image.source = 'registry': Docker Hub through an ECR pull-through cache, synthesized for dev. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Res = { Type: string; Properties: Record<string, any> };
const outdir = mkdtempSync(join(tmpdir(), 'pier-ptc-'));
let app: App;
let stack: PierStack;
let res: Record<string, Res>;
const IMAGE = 'acme/pier:1.4.0';

beforeAll(() => {
  const s: EnvSettings = {
    ...ENVIRONMENTS.dev,
    compute: { ...ENVIRONMENTS.dev.compute, image: { source: 'registry', image: IMAGE } },
    functions: { ...ENVIRONMENTS.dev.functions, bundle: false },
    web: { distDir: join(outdir, 'not-built') },
  };
  app = new App({ outdir, builtinCloudFormationValidation: false });
  [stack] = buildApp(app, { envs: [s], nag: false }) as [PierStack];
  res = Template.fromStack(stack).toJSON().Resources;
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(res).filter(([, r]) => r.Type === type);

describe('Docker Hub through an ECR pull-through cache', () => {
  it('parses Docker Hub references, official images under library/, and refuses other registries', () => {
    expect(parseDockerHubImage('acme/pier:1.4.0')).toEqual({ repository: 'acme/pier', tag: '1.4.0' });
    expect(parseDockerHubImage('node:24-slim')).toEqual({ repository: 'library/node', tag: '24-slim' });
    expect(parseDockerHubImage('docker.io/acme/pier:2')).toEqual({ repository: 'acme/pier', tag: '2' });
    for (const bad of ['ghcr.io/acme/pier:1', 'localhost:5000/pier:1', 'acme/pier', 'Acme/Pier:1']) {
      expect(() => parseDockerHubImage(bad), bad).toThrow(SettingsWiringError);
    }
  });

  it('creates the rule for registry-1.docker.io with an ecr-pullthroughcache/ secret, and a creation template', () => {
    const [[, rule]] = ofType('AWS::ECR::PullThroughCacheRule') as [[string, Res]];
    expect(rule.Properties).toMatchObject({ EcrRepositoryPrefix: 'pier-dev-docker-hub', UpstreamRegistry: 'docker-hub', UpstreamRegistryUrl: 'registry-1.docker.io' });
    const secretId = rule.Properties.CredentialArn.Ref as string;
    expect(res[secretId]!.Properties.Name).toBe('ecr-pullthroughcache/pier-dev-docker-hub');
    const [[, template]] = ofType('AWS::ECR::RepositoryCreationTemplate') as [[string, Res]];
    expect(template.Properties).toMatchObject({ Prefix: 'pier-dev-docker-hub', AppliedFor: ['PULL_THROUGH_CACHE'] });
    // No role reads the upstream credentials: ECR does, with its own service-linked role.
    expect(JSON.stringify(ofType('AWS::IAM::Policy'))).not.toContain(`"Ref":"${secretId}"`);
  });

  it('names the cached image URI in every task definition and nothing outside ECR', () => {
    const tds = ofType('AWS::ECS::TaskDefinition');
    expect(tds).toHaveLength(2);
    for (const [id, td] of tds) {
      for (const c of td.Properties.ContainerDefinitions) {
        expect(imageRegistry(c.Image), id).toBe(`${stack.account}.dkr.ecr.${stack.region}.<urlSuffix>`);
        expect(JSON.stringify(c.Image)).toContain('/pier-dev-docker-hub/acme/pier:1.4.0');
        expect(c.RepositoryCredentials, id).toBeUndefined();
      }
    }
  });

  it('gives the execution roles exactly the pull and pull-through actions on the cached repository', () => {
    const repoArn = `arn:${stack.partition}:ecr:${stack.region}:${stack.account}:repository/pier-dev-docker-hub/acme/pier`;
    for (const [, td] of ofType('AWS::ECS::TaskDefinition')) {
      const role = td.Properties.ExecutionRoleArn['Fn::GetAtt'][0] as string;
      const statements = ofType('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
      const ecrActions = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('ecr:')));
      const byResource = new Map<string, string[]>();
      for (const st of ecrActions) {
        const flat = (v: unknown): string =>
          typeof v === 'string' ? v : 'Fn::Join' in (v as object) ? ((v as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map(flat).join('')) : JSON.stringify(v).replace('{"Ref":"AWS::Partition"}', 'aws');
        const key = flat(st.Resource);
        byResource.set(key, [...(byResource.get(key) ?? []), ...[st.Action].flat()].sort());
      }
      expect(Object.fromEntries(byResource)).toEqual({
        '*': ['ecr:GetAuthorizationToken'],
        [repoArn.replace(/^arn:[^:]+:/, 'arn:aws:')]: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:BatchGetImage',
          'ecr:BatchImportUpstreamImage',
          'ecr:CreateRepository',
          'ecr:GetDownloadUrlForLayer',
        ],
      });
    }
  });

  it('passes cdk-nag AwsSolutions checks', () => {
    const report = new cdkNag.AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
