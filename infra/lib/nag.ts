import { Validations, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { EnvSettings } from '../settings.js';
import type { PierStack } from './stack.js';

const ack = (scope: IConstruct | undefined, id: string, reason: string) => {
  if (scope) Validations.of(scope).acknowledge({ id, reason });
};

/**
 * Every accepted cdk-nag (AwsSolutions) finding, on the narrowest construct that has it, with the reason it is
 * accepted. Anything not listed here fails the nag test.
 */
export function acknowledgeNagFindings(stack: PierStack, s: EnvSettings): void {
  const { compute, functions, data, api, web, auth } = stack;

  // The generated credentials secret sits under the cluster construct (Cluster/Secret).
  for (const secret of [data.cluster, data.databaseUrlSecret, stack.webhookSigningKeySecret]) {
    ack(
      secret,
      'AwsSolutions-SMG4',
      'No automatic rotation: DATABASE_URL is assembled from the credentials at deploy time and the signing key is operator-owned (rotate by pushing a new value; the loader refreshes it).',
    );
  }
  ack(
    data.node.tryFindChild('AppCredentials'),
    'AwsSolutions-SMG4',
    "No automatic rotation yet: DATABASE_URL is assembled from the app role's secret at deploy time, so a rotation would need that URL rebuilt too; the secret is in RDS's JSON format so Secrets Manager's single-user rotation can take it over.",
  );
  if (compute.pullThroughCache) {
    ack(compute.pullThroughCache.credentials, 'AwsSolutions-SMG4', 'Docker Hub access token for the ECR pull-through cache: issued and rotated in Docker Hub, then put here by the operator.');
  }
  // aws-cdk-lib's AwsCustomResource singleton that reads the S3 prefix list id at deploy (infra/lib/network.ts).
  const sdkCall = (stack as Stack).node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
  ack(sdkCall, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', "aws-cdk-lib's AwsCustomResource provider role: writes its own logs only.");
  ack(
    stack.network.node.tryFindChild('S3PrefixList'),
    'AwsSolutions-IAM5[Resource::*]',
    'ec2:DescribeManagedPrefixLists (reading the S3 prefix list id at deploy) does not support resource-level permissions.',
  );
  ack(
    data.cluster,
    'AwsSolutions-RDS6',
    'IAM database authentication is off on purpose: the app signs in with a password held in Secrets Manager and verifies the server over TLS (sslmode=verify-full); no client uses IAM tokens, so enabling it would only add an unused sign-in path.',
  );
  if (!s.data.deletionProtection) ack(data.cluster, 'AwsSolutions-RDS10', `Deletion protection is off in ${s.env} so the environment can be torn down; prod turns it on.`);

  if (!s.compute.containerInsights) {
    ack(compute.cluster, 'AwsSolutions-ECS4', `Container Insights is off in ${s.env} to keep the idle cost low (its metrics bill as custom metrics); prod turns it on.`);
  }
  ack(web.distribution, 'AwsSolutions-CFR1', 'No geo restriction: the page is public and holds no data.');
  ack(web.distribution, 'AwsSolutions-CFR2', 'No WAF on a static page (US$5+/month); the API behind it has throttling and a JWT authorizer.');
  ack(web.distribution, 'AwsSolutions-CFR4', 'The default *.cloudfront.net certificate allows older TLS; a custom domain with its own certificate would pin TLSv1.2_2021.');

  ack(auth.userPool, 'AwsSolutions-COG2', 'MFA is optional by design (TOTP can be enabled per user); required MFA would block the reference sign-in flow.');
  ack(auth.userPool, 'AwsSolutions-COG8', 'Threat protection needs the Plus feature plan (per-MAU charge); Essentials keeps the idle cost at zero.');

  for (const td of [compute.service.taskDefinition, compute.worker.taskDefinition]) {
    ack(td, 'AwsSolutions-ECS2', 'Environment holds only plain settings (src/config/schema.ts, secret: false); secret settings are Secrets Manager references (checked by infra/stack.test.ts).');
    ack(
      td.executionRole,
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken does not support resource-level permissions (AWS requires Resource "*"); image pulls are scoped to the repository.',
    );
  }
  for (const fn of Object.values(functions.byName)) {
    ack(fn.role, 'AwsSolutions-IAM5[Resource::*]', 'Lambda in a VPC manages ENIs; ec2:CreateNetworkInterface/Describe/Delete/Assign/Unassign do not support resource-level scoping here.');
  }

  for (const r of api.node.findAll()) {
    if (/^RouteGET(healthz|openapijson)$/.test(r.node.id)) ack(r, 'AwsSolutions-APIG4', 'Public by the route table (src/routes.ts auth none): health check and API description.');
  }

  // The deploy-time JWKS copy (infra/lib/jwksMirror.ts) and aws-cdk-lib's custom-resource provider around it.
  ack(stack.jwks.provider, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', "aws-cdk-lib's custom-resource provider role: writes its own logs only.");
  ack(
    stack.jwks.provider,
    `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(stack.jwks.fetcher.node.defaultChild as never)}.Arn>:*]`,
    "aws-cdk-lib's provider may invoke any version of the one fetcher function it wraps.",
  );

  // The deploy-time app-role custom resource (infra/lib/appRole.ts) and aws-cdk-lib's custom-resource provider around it.
  ack(data.appRole.fn.role, 'AwsSolutions-IAM5[Resource::*]', 'A Lambda function in a VPC manages its ENIs; ec2:CreateNetworkInterface/Describe/Delete/Assign/Unassign do not support resource-level scoping here.');
  ack(data.appRole.provider, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', "aws-cdk-lib's custom-resource provider role: writes its own logs only.");
  ack(
    data.appRole.provider,
    `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(data.appRole.fn.node.defaultChild as never)}.Arn>:*]`,
    "aws-cdk-lib's provider may invoke any version of the one app-role function it wraps.",
  );

  // The BucketDeployment provider (aws-cdk-lib's singleton Lambda) exists only when web/dist was built.
  for (const c of (stack as Stack).node.children) {
    if (!c.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
    ack(c, 'AwsSolutions-L1', "aws-cdk-lib's BucketDeployment provider picks its own runtime.");
    ack(c, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', "aws-cdk-lib's BucketDeployment provider role; only writes its own logs.");
    const why = 'BucketDeployment copies the page from the CDK asset bucket into the web bucket: object-level wildcards on those two buckets only.';
    for (const id of [
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}/*]`,
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(web.bucket.node.defaultChild as never)}.Arn>/*]`,
    ]) {
      ack(c, id, why);
    }
  }
}
