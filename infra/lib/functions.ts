import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { FUNCTION_BUNDLE, FUNCTIONS, type FunctionName } from '../../src/routes.js';
import type { EnvSettings } from '../settings.js';
import { plainEnvironment } from './appSettings.js';
import type { Data } from './data.js';
import type { Network } from './network.js';
import { REPO_ROOT } from './paths.js';

/**
 * The runtime of every Pier function (the API functions, the webhook sender, the JWKS fetcher): the Node major the
 * bundles target (FUNCTION_BUNDLE.target), the image (node:24) and `npm start` run. nodejs24.x has no callback-style
 * handlers; every Pier handler is async.
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** The same esbuild options scripts/bundle-functions.ts uses (src/routes.ts FUNCTION_BUNDLE), on the local esbuild. */
const functionBundling = (): BundlingOptions => ({
  forceDockerBundling: false,
  format: FUNCTION_BUNDLE.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
  target: FUNCTION_BUNDLE.target,
  minify: FUNCTION_BUNDLE.minify,
  sourceMap: FUNCTION_BUNDLE.sourcemap,
  banner: FUNCTION_BUNDLE.banner,
  externalModules: [...FUNCTION_BUNDLE.external],
  mainFields: [...FUNCTION_BUNDLE.mainFields],
});

/** The EC2 actions a function in a VPC needs for its network interfaces; AWS allows no resource-level scoping here. */
export const VPC_ENI_ACTIONS = ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'];

/**
 * A function's own log group (`/pier/<env>/functions/<name>`, or a generated name without `name`) and its role,
 * which may write to that group and, with `inVpc`, manage its network interfaces; nothing else until the caller
 * grants it. Constructs `<idPrefix>Logs` and `<idPrefix>Role`.
 */
export function functionLogsAndRole(scope: Construct, idPrefix: string, s: EnvSettings, opts: { name?: string; description: string; inVpc?: boolean }): { logGroup: logs.LogGroup; role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, `${idPrefix}Logs`, {
    ...(opts.name ? { logGroupName: `/pier/${s.env}/functions/${opts.name}` } : {}),
    retention: s.compute.logRetentionDays as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, `${idPrefix}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: opts.description });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  if (opts.inVpc) role.addToPolicy(new iam.PolicyStatement({ actions: VPC_ENI_ACTIONS, resources: ['*'] }));
  return { logGroup, role };
}

/** What runs when a handler is not bundled (tests that skip bundling, or an entry that does not exist yet). */
const PLACEHOLDER = `exports.handler = async () => ({ statusCode: 503, body: JSON.stringify({ code: 'NOT_DEPLOYED', message: 'handler not bundled' }) });`;

/**
 * The function built from `entry` (repo-relative, exporting `handler`) with the local esbuild when the settings
 * bundle functions and the file exists; otherwise `placeholder` inline. A missing entry while bundling is a synth
 * warning (pier:functionMissing) rather than an error, so the stack can be built before every handler is written.
 */
export function bundledFunction(
  scope: Construct,
  id: string,
  opts: { entry: string; bundle: boolean; placeholder: string; missingWarning: string; props: lambda.FunctionOptions & { runtime: lambda.Runtime } },
): lambda.Function {
  const entry = join(REPO_ROOT, opts.entry);
  if (opts.bundle && existsSync(entry)) {
    return new NodejsFunction(scope, id, {
      ...opts.props,
      entry,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      bundling: functionBundling(),
    });
  }
  if (opts.bundle) Annotations.of(scope).addWarningV2('pier:functionMissing', opts.missingWarning);
  return new lambda.Function(scope, id, { ...opts.props, code: lambda.Code.fromInline(opts.placeholder), handler: 'index.handler' });
}

export interface FunctionsProps {
  network: Network;
  data: Data;
  /** Plain settings the stack derives (Cognito ids). */
  derivedSettings: Record<string, string>;
  /** The secret the functions read DATABASE_URL from (SECRETS_ID: Lambda has no secret injection). */
  databaseUrlSecret: secretsmanager.ISecret;
}

/**
 * The Lambda functions of src/routes.ts FUNCTIONS, bundled from their entries with the local esbuild (no Docker),
 * Node 24, in the isolated subnets with access to PostgreSQL only.
 */
export class Functions extends Construct {
  readonly byName = {} as Record<FunctionName, lambda.IFunction>;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, s: EnvSettings, props: FunctionsProps) {
    super(scope, id);
    const { network, data } = props;
    this.securityGroup = new ec2.SecurityGroup(this, 'Sg', { vpc: network.vpc, description: 'Pier Lambda functions', allowAllOutbound: false });
    network.allowEndpointsFrom(this.securityGroup);
    this.securityGroup.connections.allowTo(data.cluster, ec2.Port.tcp(data.cluster.clusterEndpoint.port), 'PostgreSQL');

    // Lambda sets AWS_REGION itself (and refuses it as a variable).
    const environment = {
      ...plainEnvironment({
        ...s.appSettings,
        ...props.derivedSettings,
        PIER_ENV: s.env,
        SECRETS_ID: props.databaseUrlSecret.secretArn,
      }),
      NODE_OPTIONS: '--enable-source-maps',
    };

    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const { logGroup, role } = functionLogsAndRole(this, name, s, { name, description: `Pier function ${name}`, inVpc: true });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.databaseUrlSecret.secretArn] }));

      const common = {
        functionName: `${s.prefix}-${name}`,
        description: spec.description,
        runtime: LAMBDA_RUNTIME,
        architecture: lambda.Architecture.X86_64,
        memorySize: s.functions.memoryMiB,
        timeout: Duration.seconds(s.functions.timeoutSeconds),
        vpc: network.vpc,
        vpcSubnets: network.subnets,
        securityGroups: [this.securityGroup],
        allowPublicSubnet: false,
        environment,
        logGroup,
        role,
      };
      this.byName[name] = bundledFunction(this, name, {
        entry: spec.entry,
        bundle: s.functions.bundle,
        placeholder: PLACEHOLDER,
        missingWarning: `${spec.entry} does not exist: function ${name} is a placeholder answering 503`,
        props: common,
      });
    }
  }
}
