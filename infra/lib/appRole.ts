import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { EnvSettings } from '../settings.js';
import { bundledFunction, functionLogsAndRole, LAMBDA_RUNTIME } from './functions.js';
import type { Network } from './network.js';

/** The handler (exports `handler`): src/db/appRole.ts. */
export const APP_ROLE_ENTRY = 'src/db/appRole.ts';

/** The application's PostgreSQL role. */
export const APP_ROLE = 'pier_app';

export interface DatabaseAppRoleProps {
  network: Network;
  cluster: rds.DatabaseCluster;
  databaseName: string;
  /** The master user's secret: this function is its only reader. */
  masterSecret: secretsmanager.ISecret;
  /** The app role's own secret (RDS JSON), holding the password the role is given. */
  appSecret: secretsmanager.ISecret;
}

/**
 * Makes `pier_app` at deploy time (src/db/appRole.ts): a function INSIDE the VPC (isolated subnets; Secrets Manager
 * through the VPC endpoint, PostgreSQL through the database's security group; no NAT, no internet) behind
 * aws-cdk-lib's custom-resource Provider. The Provider's own function runs outside the VPC and answers CloudFormation
 * (the response goes to a pre-signed S3 URL in an AWS-owned bucket, which the VPC's S3 endpoint policy would refuse);
 * it invokes this function through the Lambda API. This function may read the master secret and the app secret and
 * nothing else; it writes no secret (CloudFormation generates the app password).
 */
export class DatabaseAppRole extends Construct {
  readonly fn: lambda.Function;
  readonly provider: cr.Provider;
  readonly resource: CustomResource;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, s: EnvSettings, props: DatabaseAppRoleProps) {
    super(scope, id);
    const { network, cluster } = props;
    this.securityGroup = new ec2.SecurityGroup(this, 'Sg', { vpc: network.vpc, description: 'Pier app-role custom resource', allowAllOutbound: false });
    network.allowEndpointsFrom(this.securityGroup);
    this.securityGroup.connections.allowTo(cluster, ec2.Port.tcp(cluster.clusterEndpoint.port), 'PostgreSQL');

    const { logGroup, role } = functionLogsAndRole(this, '', s, { name: 'db-app-role', description: 'Pier database app-role custom resource', inVpc: true });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.masterSecret.secretArn, props.appSecret.secretArn] }));

    this.fn = bundledFunction(this, 'Function', {
      entry: APP_ROLE_ENTRY,
      bundle: s.functions.bundle,
      placeholder: `exports.handler = async () => { throw new Error('DB_APP_ROLE_NOT_DEPLOYED'); };`,
      missingWarning: `${APP_ROLE_ENTRY} does not exist: the database app role is a placeholder`,
      props: {
        functionName: `${s.prefix}-db-app-role`,
        description: `Creates or updates the ${APP_ROLE} PostgreSQL role (deploy time)`,
        runtime: LAMBDA_RUNTIME,
        architecture: lambda.Architecture.X86_64,
        memorySize: 256,
        // A paused Aurora Serverless v2 cluster takes about 15 s to resume on the first connection.
        timeout: Duration.minutes(2),
        vpc: network.vpc,
        vpcSubnets: network.subnets,
        securityGroups: [this.securityGroup],
        allowPublicSubnet: false,
        environment: { NODE_OPTIONS: '--enable-source-maps' },
        logGroup,
        role,
      },
    });
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.fn,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', { retention: s.compute.logRetentionDays as logs.RetentionDays, removalPolicy: RemovalPolicy.DESTROY }),
    });
    this.resource = new CustomResource(this, 'Apply', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::PierDatabaseAppRole',
      // ARNs and names only: the handler reads the passwords itself. Any change here runs it again (idempotent).
      properties: {
        MasterSecretArn: props.masterSecret.secretArn,
        AppSecretArn: props.appSecret.secretArn,
        Host: cluster.clusterEndpoint.hostname,
        Port: cluster.clusterEndpoint.port.toString(),
        Database: props.databaseName,
        Role: APP_ROLE,
      },
    });
    // The database must accept connections (its instances, not only the cluster) before the handler runs.
    this.resource.node.addDependency(cluster);
  }
}
