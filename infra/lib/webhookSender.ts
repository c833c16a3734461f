import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { settings as configSettings } from '../../src/config/schema.js';
import type { EnvSettings } from '../settings.js';
import { plainEnvironment, SettingsWiringError } from './appSettings.js';
import { bundledFunction, functionLogsAndRole, LAMBDA_RUNTIME } from './functions.js';

/** The handler (exports `handler`): src/notifications/webhookFunction.ts. */
export const WEBHOOK_SENDER_ENTRY = 'src/notifications/webhookFunction.ts';

/** The signing key's rotation function (the four-step contract of Secrets Manager): src/notifications/rotateSigningKey.ts. */
export const SIGNING_KEY_ROTATION_ENTRY = 'src/notifications/rotateSigningKey.ts';

/** How often Secrets Manager rotates the signing key; receivers get the old key's signature too until the next one. */
export const SIGNING_KEY_ROTATION_DAYS = 30;

/** Answers like a sender that could not send, so a worker wired to an unbundled function records `failed`. */
const PLACEHOLDER = `exports.handler = async () => ({ status: 'failed', error: 'WEBHOOK_SENDER_NOT_DEPLOYED' });`;

export interface WebhookSenderProps {
  /** WEBHOOK_SIGNING_KEY's own secret: the function reads it (SECRETS_ID) and is its only reader. */
  signingKeySecret: secretsmanager.ISecret;
}

/**
 * The webhook-sender function: OUTSIDE the VPC, so it reaches users' public webhook URLs without a NAT gateway,
 * while the worker (isolated subnets) invokes it through the VPC's `lambda` interface endpoint. Its role may write
 * its own logs and read the signing key's secret, nothing else (no other role may read that secret); no one but the worker's task role is granted to invoke it.
 */
export class WebhookSender extends Construct {
  readonly fn: lambda.IFunction;
  /** Rotates the signing key in its secret every SIGNING_KEY_ROTATION_DAYS. */
  readonly rotation: lambda.IFunction;

  constructor(scope: Construct, id: string, s: EnvSettings, props: WebhookSenderProps) {
    super(scope, id);
    const spec = s.functions.webhookSender;
    const webhookTimeoutMs = Number(s.appSettings.WEBHOOK_TIMEOUT_MS ?? configSettings.WEBHOOK_TIMEOUT_MS.default);
    // A function that times out before its own request does would turn slow receivers into sender errors.
    if (spec.timeoutSeconds * 1000 < webhookTimeoutMs + 5_000) {
      throw new SettingsWiringError(`functions.webhookSender.timeoutSeconds (${spec.timeoutSeconds}) must exceed WEBHOOK_TIMEOUT_MS (${webhookTimeoutMs} ms) by at least 5 s`);
    }
    const name = 'webhook-sender';
    const { logGroup, role } = functionLogsAndRole(this, '', s, { name, description: 'Pier webhook sender' });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.signingKeySecret.secretArn] }));

    const common = {
      functionName: `${s.prefix}-${name}`,
      description: "Sends signed webhooks to users' URLs from outside the VPC; invoked by the worker",
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.X86_64,
      memorySize: spec.memoryMiB,
      timeout: Duration.seconds(spec.timeoutSeconds),
      // Lambda sets AWS_REGION itself (and refuses it as a variable). WEBHOOK_ALLOW_LOOPBACK stays at its default (false).
      environment: {
        ...plainEnvironment({ ...s.appSettings, PIER_ENV: s.env, SECRETS_ID: props.signingKeySecret.secretArn }),
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

    // Rotation: Secrets Manager invokes the function four times (createSecret, setSecret, testSecret, finishSecret;
    // https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html). Outside the
    // VPC like the sender: it only calls Secrets Manager. Below, only secretsmanager.amazonaws.com may invoke it, and
    // its role may read, write and move the stages of this one secret.
    const rotationName = `${s.prefix}-webhook-key-rotation`;
    const { logGroup: rotationLogs, role: rotationRole } = functionLogsAndRole(this, 'Rotation', s, { name: 'webhook-key-rotation', description: 'Pier webhook signing key rotation' });
    this.rotation = bundledFunction(this, 'Rotation', {
      entry: SIGNING_KEY_ROTATION_ENTRY,
      bundle: s.functions.bundle,
      placeholder: `exports.handler = async () => { throw new Error('SIGNING_KEY_ROTATION_NOT_DEPLOYED'); };`,
      missingWarning: `${SIGNING_KEY_ROTATION_ENTRY} does not exist: the signing key rotation is a placeholder`,
      props: {
        functionName: rotationName,
        description: "Rotates the webhook signing key (Secrets Manager's four-step rotation)",
        runtime: LAMBDA_RUNTIME,
        architecture: lambda.Architecture.X86_64,
        memorySize: 256,
        timeout: Duration.seconds(30),
        environment: { NODE_OPTIONS: '--enable-source-maps' },
        logGroup: rotationLogs,
        role: rotationRole,
      },
    });
    // The schedule, the invoke permission and the grants written out rather than through addRotationSchedule, which
    // also grants secretsmanager:GetRandomPassword on "*" (this function makes its key itself).
    rotationRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        resources: [props.signingKeySecret.secretArn],
      }),
    );
    // Only Secrets Manager, only for this account's secret (AWS's confused-deputy advice for rotation functions:
    // https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html).
    const invoke = new lambda.CfnPermission(this, 'RotationInvoke', {
      action: 'lambda:InvokeFunction',
      functionName: this.rotation.functionName,
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: Stack.of(this).account,
      sourceArn: props.signingKeySecret.secretArn,
    });
    const schedule = new secretsmanager.CfnRotationSchedule(this, 'RotationSchedule', {
      secretId: props.signingKeySecret.secretArn,
      rotationLambdaArn: this.rotation.functionArn,
      rotationRules: { automaticallyAfterDays: SIGNING_KEY_ROTATION_DAYS },
      // The first key is the operator's push (npm run secrets -- push); rotating an empty secret would fail.
      rotateImmediatelyOnUpdate: false,
    });
    schedule.addDependency(invoke);
  }
}
