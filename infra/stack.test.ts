import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import cdkNag from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_KEYS, settings as configSettings } from '../src/config/schema.js';
import { API_SCOPES, FUNCTION_BUNDLE, FUNCTIONS, RESOURCE_SERVER_ID, ROUTES, routeKey } from '../src/routes.js';
import { buildApp } from './app.js';
import { ROLE_COMMANDS } from './lib/compute.js';
import { LAMBDA_RUNTIME } from './lib/functions.js';
import { INTERFACE_ENDPOINTS } from './lib/network.js';
import { imageRegistry } from './support/template.js';
import type { PierStack } from './lib/stack.js';
import { ENVIRONMENTS, type EnvSettings } from './settings.js';

/*
 * One synth of both environments for the whole file. Bundling is off here (the functions get placeholder code);
 * infra/bundle.test.ts proves the real bundle. cdk-nag runs once per stack in its own test.
 */
// Synthesized CloudFormation is untyped JSON; the assertions below are what give it shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Res = { Type: string; Properties: Record<string, any>; DependsOn?: unknown };
type Built = { s: EnvSettings; stack: PierStack; t: Template; res: Record<string, Res> };

const outdir = mkdtempSync(join(tmpdir(), 'pier-cdk-'));
const built: Record<string, Built> = {};
let app: App;

// dev gets a built page (a temp folder with an index.html), prod none: both paths of Web.deployIfBuilt are covered.
const pageDir = join(outdir, 'page');
const forTest = (s: EnvSettings, distDir: string): EnvSettings => ({ ...s, functions: { ...s.functions, bundle: false }, web: { distDir } });

beforeAll(() => {
  mkdirSync(pageDir);
  writeFileSync(join(pageDir, 'index.html'), '<!doctype html><title>Pier</title>');
  app = new App({ outdir, builtinCloudFormationValidation: false });
  const stacks = buildApp(app, { envs: [forTest(ENVIRONMENTS.dev, pageDir), forTest(ENVIRONMENTS.prod, join(outdir, 'not-built'))], nag: false });
  for (const stack of stacks) {
    const t = Template.fromStack(stack);
    built[stack.settings.env] = { s: stack.settings, stack, t, res: t.toJSON().Resources };
  }
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const ofType = (b: Built, type: string) => Object.entries(b.res).filter(([, r]) => r.Type === type);
const ref = (id: string) => ({ Ref: id });
const isolatedSubnetIds = (b: Built) =>
  ofType(b, 'AWS::EC2::Subnet')
    .filter(([, r]) => (r.Properties.Tags as { Key: string; Value: string }[]).some((tag) => tag.Key === 'aws-cdk:subnet-type' && tag.Value === 'Isolated'))
    .map(([id]) => id);
/** A secret's logical id, also through a SecretTargetAttachment (whose Ref is the secret's ARN). */
const secretBehind = (b: Built, id: string): string => {
  const r = b.res[id];
  return r?.Type === 'AWS::SecretsManager::SecretTargetAttachment' ? (r.Properties.SecretId as { Ref: string }).Ref : id;
};
const IAM_STAR_RESOURCE_ALLOWED: Record<string, string> = {
  'ecr:GetAuthorizationToken': 'no resource-level permissions (AWS requires *)',
  'ec2:CreateNetworkInterface': 'Lambda VPC ENIs',
  'ec2:DescribeNetworkInterfaces': 'Describe* takes no resource',
  'ec2:DeleteNetworkInterface': 'Lambda VPC ENIs',
  'ec2:AssignPrivateIpAddresses': 'Lambda VPC ENIs',
  'ec2:UnassignPrivateIpAddresses': 'Lambda VPC ENIs',
  'cloudfront:GetInvalidation': 'BucketDeployment provider (aws-cdk-lib); CloudFront invalidation actions',
  'cloudfront:CreateInvalidation': 'BucketDeployment provider (aws-cdk-lib); CloudFront invalidation actions',
  'ec2:DescribeManagedPrefixLists': 'reads the S3 prefix list id at deploy (AwsCustomResource); no resource-level permissions',
};

describe.each(['dev', 'prod'])('Pier-%s stack', (env) => {
  const b = () => built[env]!;

  it('has no NAT gateway, no internet gateway and no route out of the VPC', () => {
    b().t.resourceCountIs('AWS::EC2::NatGateway', 0);
    b().t.resourceCountIs('AWS::EC2::InternetGateway', 0);
    b().t.resourceCountIs('AWS::EC2::Route', 0);
    for (const [, subnet] of ofType(b(), 'AWS::EC2::Subnet')) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    expect(isolatedSubnetIds(b())).toHaveLength(2);
    b().t.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  it('runs every task in the isolated subnets without a public IP', () => {
    const services = ofType(b(), 'AWS::ECS::Service');
    expect(services).toHaveLength(2);
    const subnets = isolatedSubnetIds(b()).map(ref);
    for (const [, svc] of services) {
      const vpc = svc.Properties.NetworkConfiguration.AwsvpcConfiguration;
      expect(vpc.AssignPublicIp).toBe('DISABLED');
      expect(vpc.Subnets).toEqual(expect.arrayContaining(subnets));
      expect(vpc.Subnets).toHaveLength(subnets.length);
      expect(svc.Properties.DeploymentConfiguration.DeploymentCircuitBreaker).toEqual({ Enable: true, Rollback: true });
    }
  });

  it('runs every Node.js function on nodejs24.x, the Node major the bundles target', () => {
    expect(LAMBDA_RUNTIME.name).toBe('nodejs24.x');
    expect(FUNCTION_BUNDLE.target).toBe(LAMBDA_RUNTIME.name.replace(/^nodejs(\d+)\.x$/, 'node$1'));
    // Pier's own functions and the ones aws-cdk-lib adds (custom-resource provider, BucketDeployment) alike.
    const runtimes = ofType(b(), 'AWS::Lambda::Function').map(([id, f]): [string, string] => [id, f.Properties.Runtime]);
    expect(runtimes.length).toBeGreaterThanOrEqual(Object.keys(FUNCTIONS).length + 2);
    for (const [id, runtime] of runtimes) if (runtime.startsWith('nodejs')) expect({ id, runtime }).toEqual({ id, runtime: 'nodejs24.x' });
  });

  it('puts every API function in the isolated subnets', () => {
    const subnets = isolatedSubnetIds(b()).map(ref);
    const fns = ofType(b(), 'AWS::Lambda::Function').filter(([, f]) => Object.keys(FUNCTIONS).some((n) => f.Properties.FunctionName === `${b().s.prefix}-${n}`));
    expect(fns).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const [, fn] of fns) {
      expect(fn.Properties.VpcConfig.SubnetIds).toEqual(expect.arrayContaining(subnets));
      expect(fn.Properties.VpcConfig.SubnetIds).toHaveLength(subnets.length);
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
    }
  });

  it('has every VPC endpoint: interface endpoints with private DNS in the configured AZs, and the S3 gateway', () => {
    const endpoints = ofType(b(), 'AWS::EC2::VPCEndpoint');
    const names = endpoints.map(([, e]) => JSON.stringify(e.Properties.ServiceName));
    for (const svc of ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'sqs', 'lambda']) {
      const found = endpoints.find(([, e]) => JSON.stringify(e.Properties.ServiceName).includes(`.${svc}"`));
      expect(found, `endpoint ${svc} in ${names.join(' ')}`).toBeDefined();
      expect(found![1].Properties.VpcEndpointType).toBe('Interface');
      expect(found![1].Properties.PrivateDnsEnabled).toBe(true);
      expect(found![1].Properties.SubnetIds).toHaveLength(b().s.network.endpointAzCount);
    }
    const s3 = endpoints.filter(([, e]) => e.Properties.VpcEndpointType === 'Gateway');
    expect(s3).toHaveLength(1);
    expect(JSON.stringify(s3[0]![1].Properties.ServiceName)).toContain('.s3');
    expect(endpoints).toHaveLength(Object.keys(INTERFACE_ENDPOINTS).length + 1);
  });

  it('references secret settings from Secrets Manager and never puts one in an environment', () => {
    expect(SECRET_KEYS).toContain('DATABASE_URL');
    for (const [id, td] of ofType(b(), 'AWS::ECS::TaskDefinition')) {
      for (const c of td.Properties.ContainerDefinitions) {
        const envNames: string[] = c.Environment.map((e: { Name: string }) => e.Name);
        for (const key of SECRET_KEYS) expect(envNames, `${id} environment`).not.toContain(key);
        for (const name of envNames) expect(configSettings, `${name} is a setting`).toHaveProperty(name);
        expect(c.Secrets).toEqual([
          {
            Name: 'DATABASE_URL',
            ValueFrom: { 'Fn::Join': ['', [ref(b().stack.getLogicalId(b().stack.data.databaseUrlSecret.node.defaultChild as never)), ':DATABASE_URL::']] },
          },
        ]);
        // The tasks read no secret through the config loader: DATABASE_URL is injected, the signing key is not theirs.
        expect(envNames).not.toContain('SECRETS_ID');
      }
    }
    for (const [id, fn] of ofType(b(), 'AWS::Lambda::Function')) {
      const vars = Object.keys(fn.Properties.Environment?.Variables ?? {});
      for (const key of SECRET_KEYS) expect(vars, `${id} environment`).not.toContain(key);
    }
    // The URL secret holds dynamic references only, never a literal password.
    const [, urlSecret] = ofType(b(), 'AWS::SecretsManager::Secret').find(([, r]) => r.Properties.Name === `${b().s.prefix}/database-url`)!;
    const text = JSON.stringify(urlSecret.Properties.SecretString);
    expect(text).toContain('{{resolve:secretsmanager:');
    expect(text).toContain(':SecretString:password::}}');
  });

  it('runs tasks as a non-root user with a read-only root filesystem, logging to CloudWatch, with the image roles', () => {
    const commands: string[][] = [];
    for (const [, td] of ofType(b(), 'AWS::ECS::TaskDefinition')) {
      for (const c of td.Properties.ContainerDefinitions) {
        expect(c.User).toMatch(/^[1-9]\d*(:\d+)?$/);
        expect(c.ReadonlyRootFilesystem).toBe(true);
        expect(c.LogConfiguration.LogDriver).toBe('awslogs');
        commands.push(c.Command);
      }
    }
    expect(commands).toEqual(expect.arrayContaining([[...ROLE_COMMANDS.service], [...ROLE_COMMANDS.worker]]));
    b().t.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: b().s.compute.containerInsights ? 'enabled' : 'disabled' }],
    });
  });

  it('checks /healthz on the internal ALB', () => {
    b().t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
    b().t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/healthz', TargetType: 'ip' });
  });

  it('has a JWT authorizer whose issuer and audience are the user pool and the web client', () => {
    const pool = b().stack.getLogicalId(b().stack.auth.userPool.node.defaultChild as never);
    const client = b().stack.getLogicalId(b().stack.auth.client.node.defaultChild as never);
    b().t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [ref(client)],
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', ref(pool)]] },
      },
    });
    const [[, poolRes]] = ofType(b(), 'AWS::Cognito::UserPool') as [[string, Res]];
    expect(poolRes.Properties.UsernameAttributes).toEqual(['email']);
    expect(poolRes.Properties.MfaConfiguration).toBe('OPTIONAL');
    b().t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: Match.arrayWith(Object.keys(API_SCOPES).map((sc) => `${RESOURCE_SERVER_ID}/${sc}`)),
    });
    b().t.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: RESOURCE_SERVER_ID,
      Scopes: Object.entries(API_SCOPES).map(([ScopeName, ScopeDescription]) => ({ ScopeName, ScopeDescription })),
    });
    b().t.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
  });

  it("mirrors the pool's JWKS into a bucket only the VPC's S3 endpoint can read, and points the tasks at it", () => {
    const st = b().stack;
    const bucket = st.getLogicalId(st.jwks.bucket.node.defaultChild as never);
    const endpoint = st.getLogicalId(st.network.s3Endpoint.node.defaultChild as never);
    const pool = st.getLogicalId(st.auth.userPool.node.defaultChild as never);
    b().t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(bucket),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: 's3:GetObject',
            Condition: { StringEquals: { 'aws:SourceVpce': ref(endpoint) } },
          }),
        ]),
      },
    });
    b().t.hasResourceProperties('Custom::PierJwksMirror', {
      Url: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', ref(pool), '/.well-known/jwks.json']] },
      Bucket: ref(bucket),
      Key: 'jwks.json',
    });
    for (const [, td] of ofType(b(), 'AWS::ECS::TaskDefinition')) {
      const env = td.Properties.ContainerDefinitions[0].Environment as { Name: string; Value: unknown }[];
      expect(env.find((e) => e.Name === 'COGNITO_JWKS_URL')!.Value).toEqual({
        'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [bucket, 'RegionalDomainName'] }, '/jwks.json']],
      });
    }
  });

  it('creates every route of src/routes.ts with its integration, authorization and scopes', () => {
    const routes = ofType(b(), 'AWS::ApiGatewayV2::Route');
    expect(routes).toHaveLength(ROUTES.length);
    const authorizer = ofType(b(), 'AWS::ApiGatewayV2::Authorizer')[0]![0];
    for (const r of ROUTES) {
      const found = routes.find(([, x]) => x.Properties.RouteKey === routeKey(r));
      expect(found, routeKey(r)).toBeDefined();
      const p = found![1].Properties;
      if (r.auth.type === 'jwt') {
        expect(p.AuthorizationType).toBe('JWT');
        expect(p.AuthorizerId).toEqual(ref(authorizer));
        expect(p.AuthorizationScopes ?? []).toEqual(r.auth.scopes);
      } else {
        expect(p.AuthorizationType ?? 'NONE').toBe('NONE');
        expect(p.AuthorizerId).toBeUndefined();
      }
      const integrationId = p.Target['Fn::Join'][1][1].Ref as string;
      const integration = b().res[integrationId]!.Properties;
      if (r.target.kind === 'function') {
        expect(integration.IntegrationType).toBe('AWS_PROXY');
        const fnId = integration.IntegrationUri['Fn::GetAtt'][0] as string;
        expect(b().res[fnId]!.Properties.FunctionName).toBe(`${b().s.prefix}-${r.target.name}`);
      } else {
        expect(integration.IntegrationType).toBe('HTTP_PROXY');
        expect(integration.ConnectionType).toBe('VPC_LINK');
        expect(integration.IntegrationUri).toEqual(ref(b().stack.getLogicalId(b().stack.compute.listener.node.defaultChild as never)));
      }
    }
  });

  it('throttles the API stage and writes access logs', () => {
    b().t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: b().s.api.throttleRatePerSecond, ThrottlingBurstLimit: b().s.api.throttleBurst },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('sends failed order events to the DLQ after maxReceiveCount, encrypted, with alarms', () => {
    const dlq = b().stack.getLogicalId(b().stack.messaging.dlq.node.defaultChild as never);
    b().t.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: b().s.messaging.queueName,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: b().s.messaging.maxReceiveCount },
    });
    b().t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }] });
    b().t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: b().s.messaging.oldestMessageAlarmSeconds });
    // The worker is told the same receive count and visibility timeout the queue has.
    for (const [, td] of ofType(b(), 'AWS::ECS::TaskDefinition')) {
      const env = Object.fromEntries(td.Properties.ContainerDefinitions[0].Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
      expect(env.ORDER_EVENTS_MAX_RECEIVE_COUNT).toBe(String(b().s.messaging.maxReceiveCount));
      expect(env.WORKER_VISIBILITY_TIMEOUT_SECONDS).toBe(String(b().s.messaging.visibilityTimeoutSeconds));
    }
  });

  it('keeps the database encrypted in the isolated subnets, with prod protections', () => {
    const d = b().s.data;
    b().t.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      StorageEncrypted: true,
      DeletionProtection: d.deletionProtection,
      BackupRetentionPeriod: d.backupRetentionDays,
      ServerlessV2ScalingConfiguration: Match.objectLike({ MinCapacity: d.minAcu, MaxCapacity: d.maxAcu }),
    });
    b().t.resourceCountIs('AWS::RDS::DBInstance', 1 + d.readers);
    const [[, group]] = ofType(b(), 'AWS::RDS::DBSubnetGroup') as [[string, Res]];
    expect(group.Properties.SubnetIds).toEqual(isolatedSubnetIds(b()).map(ref));
    if (env === 'prod') expect(d.deletionProtection && d.backupRetentionDays >= 7).toBe(true);
  });

  it('serves the web page from a private bucket through CloudFront with origin access control', () => {
    b().t.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    b().t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue(), S3OriginConfig: { OriginAccessIdentity: '' } })],
      }),
    });
  });

  it('registers the page callback with the app client and deploys the built page with its config.json', () => {
    const dist = b().stack.getLogicalId(b().stack.web.distribution.node.defaultChild as never);
    const pageUrl = (path: string) => ({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [dist, 'DomainName'] }, path]] });
    b().t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: Match.arrayWith([pageUrl('/callback')]),
      LogoutURLs: Match.arrayWith([pageUrl('/')]),
    });
    const deployments = ofType(b(), 'Custom::CDKBucketDeployment');
    if (env === 'dev') {
      expect(deployments).toHaveLength(1);
      const p = deployments[0]![1].Properties;
      expect(p.SourceObjectKeys).toHaveLength(2);
      // Source.jsonData: config.json gets the client id, the API endpoint and the page URL at deploy time.
      const client = b().stack.getLogicalId(b().stack.auth.client.node.defaultChild as never);
      const api = b().stack.getLogicalId(b().stack.api.httpApi.node.defaultChild as never);
      const markers = Object.values(p.SourceMarkers[1] as Record<string, unknown>);
      expect(markers).toEqual(expect.arrayContaining([ref(client), { 'Fn::GetAtt': [api, 'ApiEndpoint'] }, { 'Fn::GetAtt': [dist, 'DomainName'] }]));
    } else {
      expect(deployments).toHaveLength(0);
    }
  });

  it('grants no wildcard actions, and Resource "*" only where AWS requires it', () => {
    for (const [id, policy] of ofType(b(), 'AWS::IAM::Policy')) {
      const library = id.startsWith('CustomCDKBucketDeployment');
      for (const st of policy.Properties.PolicyDocument.Statement) {
        const actions: string[] = [st.Action].flat();
        // aws-cdk-lib's BucketDeployment provider uses s3:GetObject*-style grants on its two buckets (acknowledged in nag).
        if (!library) for (const a of actions) expect(a, `${id}`).not.toContain('*');
        if ([st.Resource].flat().includes('*')) {
          for (const a of actions) expect(IAM_STAR_RESOURCE_ALLOWED, `${id}: ${a} on *`).toHaveProperty([a]);
        }
      }
    }
  });

  it('gives each task role only its own queue actions (and the worker the sender function), no secret', () => {
    const statements = (role: 'service' | 'worker') => {
      const roleId = b().stack.getLogicalId(b().stack.compute[role].taskDefinition.taskRole.node.defaultChild as never);
      return ofType(b(), 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([ref(roleId)]))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    };
    const queue = { 'Fn::GetAtt': [b().stack.getLogicalId(b().stack.messaging.queue.node.defaultChild as never), 'Arn'] };
    expect(statements('service')).toEqual([expect.objectContaining({ Action: 'sqs:SendMessage', Resource: queue })]);
    const sender = { 'Fn::GetAtt': [b().stack.getLogicalId(b().stack.webhookSender.fn.node.defaultChild as never), 'Arn'] };
    expect(statements('worker')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'], Resource: queue }),
        expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: sender }),
      ]),
    );
    expect(statements('worker')).toHaveLength(2);
  });

  it('rotates the webhook signing key every 30 days with its own function, which only Secrets Manager may invoke for that secret', () => {
    const st = b().stack;
    const keySecret = ref(st.getLogicalId(st.webhookSigningKeySecret.node.defaultChild as never));
    const rotationFn = st.getLogicalId(st.webhookSender.rotation.node.defaultChild as never);
    const schedules = ofType(b(), 'AWS::SecretsManager::RotationSchedule');
    expect(schedules).toHaveLength(1);
    expect(schedules[0]![1].Properties).toMatchObject({ SecretId: keySecret, RotationLambdaARN: { 'Fn::GetAtt': [rotationFn, 'Arn'] }, RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediatelyOnUpdate: false });
    expect(b().res[rotationFn]!.Properties.Runtime).toBe('nodejs24.x');
    expect(b().res[rotationFn]!.Properties.VpcConfig).toBeUndefined();
    const invokers = ofType(b(), 'AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes(rotationFn));
    expect(invokers.map(([, p]) => p.Properties)).toEqual([expect.objectContaining({ Principal: 'secretsmanager.amazonaws.com', SourceArn: keySecret })]);
  });

  it('sends webhooks through a function outside the VPC that only the worker may invoke', () => {
    const st = b().stack;
    const fnId = st.getLogicalId(st.webhookSender.fn.node.defaultChild as never);
    const fn = b().res[fnId]!;
    expect(fn.Properties.FunctionName).toBe(`${b().s.prefix}-webhook-sender`);
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    // Outside the VPC: it reaches the internet without a NAT gateway.
    expect(fn.Properties.VpcConfig).toBeUndefined();
    expect(fn.Properties.Timeout).toBe(b().s.functions.webhookSender.timeoutSeconds);
    const secret = ref(st.getLogicalId(st.webhookSigningKeySecret.node.defaultChild as never));
    const vars = fn.Properties.Environment.Variables as Record<string, unknown>;
    expect(vars.SECRETS_ID).toEqual(secret);
    expect(vars.PIER_ENV).toBe(b().s.env);
    expect(vars).not.toHaveProperty('WEBHOOK_ALLOW_LOOPBACK');
    // Its role: its own logs and the signing key's secret, nothing else.
    const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
    const statements = ofType(b(), 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([ref(roleId)]))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    expect(statements).toEqual([
      expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
      expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: secret }),
    ]);
    // No resource policy lets anyone else invoke it.
    expect(ofType(b(), 'AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes(fnId))).toEqual([]);
    // The worker is told the function; the service is not.
    const envOf = (role: 'service' | 'worker') => {
      const tdId = st.getLogicalId(st.compute[role].taskDefinition.node.defaultChild as never);
      return Object.fromEntries((b().res[tdId]!.Properties.ContainerDefinitions[0].Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
    };
    expect(envOf('worker').WEBHOOK_SENDER_FUNCTION).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(envOf('service')).not.toHaveProperty('WEBHOOK_SENDER_FUNCTION');
  });

  it('lets no role read a secret it does not use (IAM policies and task-definition secrets, walked in the template)', () => {
    const res = b().res;
    const refsTo = (v: unknown): string[] => [...JSON.stringify(v).matchAll(/"Ref":"([A-Za-z0-9]+)"/g)].map((m) => secretBehind(b(), m[1]!));
    const secrets = ofType(b(), 'AWS::SecretsManager::Secret').map(([id]) => id);
    const readers = new Map<string, Set<string>>(secrets.map((id) => [id, new Set<string>()]));
    for (const [id, policy] of ofType(b(), 'AWS::IAM::Policy')) {
      for (const st of policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        if (![st.Action].flat().some((a) => a.startsWith('secretsmanager:'))) continue;
        for (const secret of refsTo(st.Resource)) {
          expect(readers.has(secret), `${id} grants a secret action on ${secret}`).toBe(true);
          for (const role of refsTo(policy.Properties.Roles)) readers.get(secret)!.add(role);
        }
      }
    }
    // Who uses each secret: a task definition's execution role for its `Secrets`, a function's role for SECRETS_ID.
    const users = new Map<string, Set<string>>(secrets.map((id) => [id, new Set<string>()]));
    for (const [, td] of ofType(b(), 'AWS::ECS::TaskDefinition')) {
      const role = td.Properties.ExecutionRoleArn['Fn::GetAtt'][0] as string;
      for (const c of td.Properties.ContainerDefinitions) for (const secret of refsTo(c.Secrets ?? [])) users.get(secret)!.add(role);
      expect(JSON.stringify(td.Properties.ContainerDefinitions)).not.toContain('SECRETS_ID');
    }
    for (const [, fn] of ofType(b(), 'AWS::Lambda::Function')) {
      const id = fn.Properties.Environment?.Variables?.SECRETS_ID;
      if (id) users.get(refsTo(id)[0]!)!.add(fn.Properties.Role['Fn::GetAtt'][0] as string);
    }
    // A rotation function uses the secret its schedule names.
    for (const [, rs] of ofType(b(), 'AWS::SecretsManager::RotationSchedule')) {
      const fn = res[rs.Properties.RotationLambdaARN['Fn::GetAtt'][0] as string]!;
      users.get(refsTo(rs.Properties.SecretId)[0]!)!.add(fn.Properties.Role['Fn::GetAtt'][0] as string);
    }
    // The app-role custom resource's function uses the two secrets its resource names.
    const appRoleFnRole = res[b().stack.getLogicalId(b().stack.data.appRole.fn.node.defaultChild as never)]!.Properties.Role['Fn::GetAtt'][0] as string;
    for (const [, cr] of ofType(b(), 'Custom::PierDatabaseAppRole')) {
      for (const secret of refsTo([cr.Properties.MasterSecretArn, cr.Properties.AppSecretArn])) users.get(secret)!.add(appRoleFnRole);
    }
    for (const secret of secrets) expect({ secret, readers: [...readers.get(secret)!].sort() }).toEqual({ secret, readers: [...users.get(secret)!].sort() });
    // The signing key: the webhook-sender function's role and its rotation function's, no one else.
    const st = b().stack;
    const keySecret = st.getLogicalId(st.webhookSigningKeySecret.node.defaultChild as never);
    const roleOf = (fn: { node: { defaultChild?: unknown } }) => res[st.getLogicalId(fn.node.defaultChild as never)]!.Properties.Role['Fn::GetAtt'][0];
    expect([...readers.get(keySecret)!].sort()).toEqual([roleOf(st.webhookSender.fn), roleOf(st.webhookSender.rotation)].sort());
    // The master credentials are read by the app-role function alone: no task, no API function, no other role.
    const [master] = ofType(b(), 'AWS::SecretsManager::Secret').find(([, r]) => r.Properties.Name === `${b().s.prefix}/database-credentials`)!;
    expect([...readers.get(master)!]).toEqual([appRoleFnRole]);
    const [appSecret] = ofType(b(), 'AWS::SecretsManager::Secret').find(([, r]) => r.Properties.Name === `${b().s.prefix}/database-app-credentials`)!;
    expect([...readers.get(appSecret)!]).toEqual([appRoleFnRole]);
  });

  it('makes the pier_app role at deploy time from inside the VPC, and builds DATABASE_URL from its secret, not the master one', () => {
    const st = b().stack;
    const res = b().res;
    const secretId = (name: string) => ofType(b(), 'AWS::SecretsManager::Secret').find(([, r]) => r.Properties.Name === `${b().s.prefix}/${name}`)![0];
    const master = secretId('database-credentials');
    const appSecret = secretId('database-app-credentials');
    // The app secret: RDS's JSON (username, dbname here; password generated; host, port, engine from the attachment).
    const app = res[appSecret]!.Properties;
    expect(JSON.parse(app.GenerateSecretString.SecretStringTemplate)).toEqual({ username: 'pier_app', dbname: b().s.data.databaseName });
    expect(app.GenerateSecretString.GenerateStringKey).toBe('password');
    expect(ofType(b(), 'AWS::SecretsManager::SecretTargetAttachment').filter(([, a]) => JSON.stringify(a.Properties.SecretId) === JSON.stringify(ref(appSecret)))).toHaveLength(1);

    const [[, cr]] = ofType(b(), 'Custom::PierDatabaseAppRole') as [[string, Res]];
    expect(cr.Properties).toMatchObject({ Role: 'pier_app', Database: b().s.data.databaseName });
    expect(secretBehind(b(), cr.Properties.MasterSecretArn.Ref)).toBe(master);
    expect(secretBehind(b(), cr.Properties.AppSecretArn.Ref)).toBe(appSecret);
    // The function: isolated subnets, its own security group (endpoints, database), nothing but the two secrets.
    const fnId = st.getLogicalId(st.data.appRole.fn.node.defaultChild as never);
    const fn = res[fnId]!.Properties;
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.VpcConfig.SubnetIds).toEqual(isolatedSubnetIds(b()).map(ref));
    expect(fn.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [st.getLogicalId(st.data.appRole.securityGroup.node.defaultChild as never), 'GroupId'] }]);
    const statements = ofType(b(), 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([ref(fn.Role['Fn::GetAtt'][0] as string)]))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const secretStatements = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    expect(secretStatements).toHaveLength(1);
    expect(secretStatements[0]!.Action).toBe('secretsmanager:GetSecretValue');
    expect((secretStatements[0]!.Resource as { Ref: string }[]).map((r) => secretBehind(b(), r.Ref)).sort()).toEqual([master, appSecret].sort());
    // The provider's own function (outside the VPC) only invokes this one.
    expect(JSON.stringify(cr.Properties.ServiceToken)).toContain('frameworkonEvent');

    // DATABASE_URL: the app role's username and password by dynamic reference, never the master's; made after the role.
    const [urlId, url] = ofType(b(), 'AWS::SecretsManager::Secret').find(([, r]) => r.Properties.Name === `${b().s.prefix}/database-url`)!;
    const text = JSON.stringify(url.Properties.SecretString);
    const resolved = [...text.matchAll(/\{\{resolve:secretsmanager:",\{"Ref":"([A-Za-z0-9]+)"\},":SecretString:(\w+)::\}\}/g)].map((m) => [secretBehind(b(), m[1]!), m[2]]);
    expect(resolved).toEqual([
      [appSecret, 'username'],
      [appSecret, 'password'],
    ]);
    expect(text).toContain('?sslmode=verify-full');
    expect([res[urlId]!.DependsOn].flat()).toEqual(expect.arrayContaining([st.getLogicalId(st.data.appRole.resource.node.defaultChild as never)]));
  });

  it('limits every VPC endpoint by policy to this account (no bare "*" principal without an account condition)', () => {
    const endpoints = ofType(b(), 'AWS::EC2::VPCEndpoint');
    expect(endpoints).toHaveLength(Object.keys(INTERFACE_ENDPOINTS).length + 1);
    const { account, region } = b().stack;
    for (const [id, e] of endpoints) {
      const statements = e.Properties.PolicyDocument?.Statement as { Effect: string; Principal: unknown; Condition?: Record<string, Record<string, unknown>>; Resource: unknown }[];
      expect(statements, `${id} has a policy`).toBeDefined();
      for (const st of statements) {
        expect(st.Effect).toBe('Allow');
        const conditions = Object.assign({}, ...Object.values(st.Condition ?? {})) as Record<string, unknown>;
        const accountScoped = conditions['aws:ResourceAccount'] ?? conditions['aws:PrincipalAccount'];
        if (accountScoped !== undefined) {
          expect(Object.values(conditions).every((v) => JSON.stringify(v) === JSON.stringify(account)), `${id}: conditions name this account`).toBe(true);
          continue;
        }
        // Without an account condition: only exact ARNs of AWS-owned resources (ECR's image-layer bucket).
        expect(e.Properties.VpcEndpointType, `${id}: unconditioned statement`).toBe('Gateway');
        expect(st.Resource).toBe(`arn:aws:s3:::prod-${region}-starport-layer-bucket/*`);
      }
    }
  });

  it('lets tasks and functions send only to the endpoints, the database and the S3 prefix list', () => {
    const st = b().stack;
    const id = (c: { node: { defaultChild?: unknown } }) => st.getLogicalId(c.node.defaultChild as never);
    const endpointSg = { 'Fn::GetAtt': [id(st.network.endpointSecurityGroup), 'GroupId'] };
    const dbSg = { 'Fn::GetAtt': [id(st.data.securityGroup), 'GroupId'] };
    const groups = [
      ...st.compute.service.connections.securityGroups,
      ...st.compute.worker.connections.securityGroups,
      st.functions.securityGroup,
      st.data.appRole.securityGroup,
    ].map((g) => id(g as never));
    expect(groups).toHaveLength(4);
    for (const group of groups) {
      const inline = (b().res[group]!.Properties.SecurityGroupEgress ?? []) as Record<string, unknown>[];
      const separate = ofType(b(), 'AWS::EC2::SecurityGroupEgress')
        .filter(([, r]) => JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [group, 'GroupId'] }))
        .map(([, r]) => r.Properties);
      const rules = [...inline, ...separate].filter((r) => r.CidrIp !== '255.255.255.255/32'); // CDK's "no egress" marker
      expect(rules.length, group).toBeGreaterThanOrEqual(3);
      for (const r of rules) {
        if (r.DestinationPrefixListId) {
          expect(JSON.stringify(r.DestinationPrefixListId)).toContain('PrefixLists.0.PrefixListId');
          expect([r.FromPort, r.ToPort]).toEqual([443, 443]);
        } else if (JSON.stringify(r.DestinationSecurityGroupId) === JSON.stringify(endpointSg)) {
          expect([r.FromPort, r.ToPort]).toEqual([443, 443]);
        } else {
          expect(r.DestinationSecurityGroupId, `${group} egress ${JSON.stringify(r)}`).toEqual(dbSg);
        }
      }
    }
    // And no security group anywhere sends to the whole internet.
    for (const [gid, g] of ofType(b(), 'AWS::EC2::SecurityGroup')) {
      for (const r of (g.Properties.SecurityGroupEgress ?? []) as { CidrIp?: string }[]) expect(r.CidrIp, gid).not.toBe('0.0.0.0/0');
    }
    for (const [, r] of ofType(b(), 'AWS::EC2::SecurityGroupEgress')) expect(r.Properties.CidrIp).not.toBe('0.0.0.0/0');
  });

  it('pulls every task image from this account\'s ECR, never another registry', () => {
    for (const [id, td] of ofType(b(), 'AWS::ECS::TaskDefinition')) {
      for (const c of td.Properties.ContainerDefinitions) {
        expect(imageRegistry(c.Image), id).toBe(`${b().stack.account}.dkr.ecr.${b().stack.region}.<urlSuffix>`);
        expect(c.RepositoryCredentials, id).toBeUndefined();
      }
    }
  });

  it('leaves the worker count to autoscaling: no DesiredCount a deploy would reset, the minimum on its scalable target', () => {
    const st = b().stack;
    const workerId = st.getLogicalId(st.compute.worker.node.defaultChild as never);
    const serviceId = st.getLogicalId(st.compute.service.node.defaultChild as never);
    expect(b().res[workerId]!.Properties).not.toHaveProperty('DesiredCount');
    // The HTTP service is not autoscaled: its count is the settings'.
    expect(b().res[serviceId]!.Properties.DesiredCount).toBe(b().s.compute.service.desiredCount);
    const targets = ofType(b(), 'AWS::ApplicationAutoScaling::ScalableTarget').filter(([, t]) => JSON.stringify(t.Properties.ResourceId).includes(`"${workerId}"`));
    expect(targets).toHaveLength(1);
    expect(targets[0]![1].Properties).toMatchObject({
      MinCapacity: b().s.compute.worker.minCapacity,
      MaxCapacity: b().s.compute.worker.maxCapacity,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
  });

  it('scales the worker on backlog per task: ceil(backlog / backlogPerTask) tasks within min..max', () => {
    const w = b().s.compute.worker;
    b().t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: w.minCapacity, MaxCapacity: w.maxCapacity });
    b().t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'visible + inflight' })]),
    });
    // Rebuild backlog -> capacity from the synthesized alarms and their step policies, as Application Auto Scaling reads them.
    const alarms = ofType(b(), 'AWS::CloudWatch::Alarm').filter(([, a]) => JSON.stringify(a.Properties.Metrics ?? '').includes('visible + inflight'));
    expect(alarms).toHaveLength(2);
    type Step = { MetricIntervalLowerBound?: number; MetricIntervalUpperBound?: number; ScalingAdjustment: number };
    const capacity = (backlog: number): number | undefined => {
      for (const [, alarm] of alarms) {
        const t = alarm.Properties.Threshold as number;
        const firing = alarm.Properties.ComparisonOperator === 'GreaterThanOrEqualToThreshold' ? backlog >= t : backlog <= t;
        if (!firing) continue;
        const policy = b().res[alarm.Properties.AlarmActions[0].Ref]!.Properties.StepScalingPolicyConfiguration;
        expect(policy.AdjustmentType).toBe('ExactCapacity');
        const d = backlog - t;
        const step = (policy.StepAdjustments as Step[]).find(
          (x) => (x.MetricIntervalLowerBound ?? -Infinity) <= d && (d < (x.MetricIntervalUpperBound ?? Infinity) || (d === 0 && x.MetricIntervalUpperBound === 0)),
        );
        return step?.ScalingAdjustment;
      }
      return undefined;
    };
    const b1 = w.backlogPerTask;
    expect(capacity(0)).toBe(w.minCapacity);
    expect(capacity(1)).toBe(Math.max(1, w.minCapacity));
    expect(capacity(b1)).toBe(Math.max(1, w.minCapacity));
    expect(capacity(b1 + 1)).toBe(Math.min(2, w.maxCapacity));
    expect(capacity(b1 * w.maxCapacity * 10)).toBe(w.maxCapacity);
  });

  it('passes cdk-nag AwsSolutions checks, every acknowledgement with a reason', () => {
    const report = new cdkNag.AwsSolutionsChecks(app).validateScope(b().stack);
    const unacknowledged = report.violations.map((v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(unacknowledged).toEqual([]);
    expect(report.success).toBe(true);
    const acks = b()
      .stack.node.findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(5);
    for (const [id, reason] of acks) expect(reason.length, id).toBeGreaterThan(30);
  });
});
