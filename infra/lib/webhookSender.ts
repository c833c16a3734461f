import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { settings as configSettings } from '../../src/config/schema.js';
import type { EnvSettings } from '../settings.js';
import { plainEnvironment, SettingsWiringError } from './appSettings.js';
import { bundledFunction, LAMBDA_RUNTIME } from './functions.js';

/** The handler (exports `handler`): src/notifications/webhookFunction.ts. */
export const WEBHOOK_SENDER_ENTRY = 'src/notifications/webhookFunction.ts';

/** Answers like a sender that could not send, so a worker wired to an unbundled function records `failed`. */
const PLACEHOLDER = `exports.handler = async () => ({ status: 'failed', error: 'WEBHOOK_SENDER_NOT_DEPLOYED' });`;

export interface WebhookSenderProps {
  /** The app secret: the function reads WEBHOOK_SIGNING_KEY from it (SECRETS_ID), as the tasks read their settings. */
  appSecret: secretsmanager.ISecret;
}

/**
 * The webhook-sender function: OUTSIDE the VPC, so it reaches users' public webhook URLs without a NAT gateway,
 * while the worker (isolated subnets) invokes it through the VPC's `lambda` interface endpoint. Its role may write
 * its own logs and read the app secret, nothing else; no one but the worker's task role is granted to invoke it.
 */
export class WebhookSender extends Construct {
  readonly fn: lambda.IFunction;

  constructor(scope: Construct, id: string, s: EnvSettings, props: WebhookSenderProps) {
    super(scope, id);
    const spec = s.functions.webhookSender;
    const webhookTimeoutMs = Number(s.appSettings.WEBHOOK_TIMEOUT_MS ?? configSettings.WEBHOOK_TIMEOUT_MS.default);
    // A function that times out before its own request does would turn slow receivers into sender errors.
    if (spec.timeoutSeconds * 1000 < webhookTimeoutMs + 5_000) {
      throw new SettingsWiringError(`functions.webhookSender.timeoutSeconds (${spec.timeoutSeconds}) must exceed WEBHOOK_TIMEOUT_MS (${webhookTimeoutMs} ms) by at least 5 s`);
    }
    const name = 'webhook-sender';
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/pier/${s.env}/functions/${name}`,
      retention: s.compute.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'Pier webhook sender' });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.appSecret.secretArn] }));

    const common = {
      functionName: `${s.prefix}-${name}`,
      description: "Sends signed webhooks to users' URLs from outside the VPC; invoked by the worker",
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.X86_64,
      memorySize: spec.memoryMiB,
      timeout: Duration.seconds(spec.timeoutSeconds),
      // Lambda sets AWS_REGION itself (and refuses it as a variable). WEBHOOK_ALLOW_LOOPBACK stays at its default (false).
      environment: {
        ...plainEnvironment({ ...s.appSettings, PIER_ENV: s.env, SECRETS_ID: props.appSecret.secretArn }),
        NODE_OPTIONS: '--enable-source-maps',
      },
      logGroup,
      role,
    };
    this.fn = bundledFunction(this, 'Function', {
      entry: WEBHOOK_SENDER_ENTRY,
      bundle: s.functions.bundle,
      placeholder: PLACEHOLDER,
      missingWarning: `${WEBHOOK_SENDER_ENTRY} does not exist: the webhook sender is a placeholder`,
      props: common,
    });
  }
}
