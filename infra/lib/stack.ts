import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { webConfig } from '../../scripts/web-config.js';
import { names, type EnvSettings } from '../settings.js';
import { Api } from './api.js';
import { Auth } from './auth.js';
import { Compute } from './compute.js';
import { Data } from './data.js';
import { assertEverySecretHasAHome } from './appSettings.js';
import { Functions } from './functions.js';
import { JwksMirror } from './jwksMirror.js';
import { Messaging } from './messaging.js';
import { Monitoring } from './monitoring.js';
import { Network } from './network.js';
import { acknowledgeNagFindings } from './nag.js';
import { Web } from './web.js';
import { WebhookSender } from './webhookSender.js';

export interface PierStackProps extends StackProps {
  settings: EnvSettings;
}

/** One environment of Pier: the parts, one construct per concern, wired together. */
export class PierStack extends Stack {
  readonly network: Network;
  readonly data: Data;
  readonly messaging: Messaging;
  readonly auth: Auth;
  readonly compute: Compute;
  readonly functions: Functions;
  readonly api: Api;
  readonly web: Web;
  /** WEBHOOK_SIGNING_KEY's own secret (operator-pushed); only the webhook-sender function may read it. */
  readonly webhookSigningKeySecret: secretsmanager.Secret;
  readonly settings: EnvSettings;
  readonly jwks: JwksMirror;
  readonly webhookSender: WebhookSender;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: PierStackProps) {
    super(scope, id, props);
    const s = props.settings;
    this.settings = s;
    const n = names(s);

    // ALB, CloudFront and web-bucket access logs. ACLs stay enabled: CloudFront's standard logs need them.
    const logBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(s.compute.logRetentionDays) }],
      // Logs arrive until the end: kept on `cdk destroy`, expire by the lifecycle rule, or `aws s3 rb --force`.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.network = new Network(this, 'Network', s);
    this.data = new Data(this, 'Data', s, this.network);
    this.messaging = new Messaging(this, 'Messaging', s);
    this.web = new Web(this, 'Web', s, logBucket);
    this.auth = new Auth(this, 'Auth', s, this.web.url);

    // Each secret setting has one home and one reader (infra/lib/appSettings.ts). The operator-owned one, the webhook
    // signing key (`npm run secrets -- push`), gets its own secret: created empty, never written by the stack again.
    assertEverySecretHasAHome();
    this.webhookSigningKeySecret = new secretsmanager.Secret(this, 'WebhookSigningKeySecret', {
      secretName: n.webhookSigningKeySecret,
      description: 'WEBHOOK_SIGNING_KEY for the webhook-sender function, pushed by the operator (JSON: {"WEBHOOK_SIGNING_KEY": "whsec_..."})',
      secretStringValue: SecretValue.unsafePlainText('{}'),
    });

    this.jwks = new JwksMirror(this, 'Jwks', s, { issuer: this.auth.issuer, s3Endpoint: this.network.s3Endpoint, logBucket });
    const identity = {
      COGNITO_USER_POOL_ID: this.auth.userPool.userPoolId,
      COGNITO_CLIENT_ID: this.auth.client.userPoolClientId,
      COGNITO_DOMAIN: this.auth.domain.baseUrl(),
    };
    this.webhookSender = new WebhookSender(this, 'WebhookSender', s, { signingKeySecret: this.webhookSigningKeySecret });
    this.compute = new Compute(this, 'Compute', s, {
      webhookSender: this.webhookSender.fn,
      network: this.network,
      data: this.data,
      messaging: this.messaging,
      logBucket,
      derivedSettings: {
        ...identity,
        COGNITO_JWKS_URL: this.jwks.url,
        ORDER_EVENTS_QUEUE_URL: this.messaging.queue.queueUrl,
        ORDER_EVENTS_DLQ_URL: this.messaging.dlq.queueUrl,
        // The worker's view of the queue must match the queue's own settings.
        ORDER_EVENTS_MAX_RECEIVE_COUNT: String(s.messaging.maxReceiveCount),
        WORKER_VISIBILITY_TIMEOUT_SECONDS: String(s.messaging.visibilityTimeoutSeconds),
      },
    });
    this.functions = new Functions(this, 'Functions', s, {
      network: this.network,
      data: this.data,
      derivedSettings: identity,
      databaseUrlSecret: this.data.databaseUrlSecret,
    });
    this.api = new Api(this, 'Api', s, {
      network: this.network,
      auth: this.auth,
      compute: this.compute,
      functions: this.functions,
      corsOrigins: [this.web.url.replace(/\/$/, ''), ...s.api.corsOrigins],
    });
    this.monitoring = new Monitoring(this, 'Monitoring', s, {
      messaging: this.messaging,
      compute: this.compute,
      functions: this.functions,
      webhookSender: this.webhookSender,
      api: this.api,
    });
    this.web.deployIfBuilt(
      webConfig({
        identityDomain: this.auth.domain.baseUrl(),
        clientId: this.auth.client.userPoolClientId,
        apiUrl: this.api.endpoint,
        pageUrl: this.web.url,
      }),
    );

    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out('ApiUrl', this.api.endpoint, 'HTTP API base URL');
    out('WebUrl', this.web.url, 'The web page');
    out('HostedLoginUrl', this.auth.domain.baseUrl(), 'Cognito hosted login');
    out('UserPoolId', this.auth.userPool.userPoolId, 'Cognito user pool (npm run users)');
    out('UserPoolClientId', this.auth.client.userPoolClientId, 'Web app client');
    out('WebhookSigningKeySecretName', n.webhookSigningKeySecret, 'Push WEBHOOK_SIGNING_KEY here: npm run secrets -- push --aws --secret-id <this>');
    out('ClusterName', this.compute.cluster.clusterName, 'ECS cluster (npm run pause / resume)');
    out('ServiceName', this.compute.service.serviceName, 'ECS service');
    out('WorkerName', this.compute.worker.serviceName, 'ECS worker');
    out('QueueUrl', this.messaging.queue.queueUrl, 'order-events queue');
    out('DlqUrl', this.messaging.dlq.queueUrl, 'order-events dead-letter queue (npm run dlq)');
    out('AlarmTopicArn', this.monitoring.topic.topicArn, 'SNS topic every alarm notifies (alarms.email subscribes to it)');
    out('DashboardName', this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard of the order flow');

    acknowledgeNagFindings(this, s);
  }
}
