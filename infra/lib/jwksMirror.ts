import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { EnvSettings } from '../settings.js';
import { functionLogsAndRole, LAMBDA_RUNTIME } from './functions.js';

const KEY = 'jwks.json';

/**
 * Fetches the pool's JWKS (outside the VPC) and writes it to S3. Runs at deploy time.
 * Inline CommonJS: the Node 24 runtime ships the AWS SDK v3 and fetch.
 */
export const FETCHER = `
const { S3Client, PutObjectCommand, DeleteObjectCommand } = require('@aws-sdk/client-s3');
exports.handler = async (event) => {
  const { Url, Bucket, Key } = event.ResourceProperties;
  // On delete, empty the bucket so the stack can remove it.
  if (event.RequestType === 'Delete') {
    await new S3Client({}).send(new DeleteObjectCommand({ Bucket, Key }));
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const res = await fetch(Url, { signal: AbortSignal.timeout(10000) });
  if (!res.ok) throw new Error('JWKS fetch failed: HTTP ' + res.status);
  const body = await res.text();
  const keys = JSON.parse(body).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('JWKS has no keys');
  await new S3Client({}).send(new PutObjectCommand({ Bucket, Key, Body: body, ContentType: 'application/json' }));
  return { PhysicalResourceId: Bucket + '/' + Key, Data: { Keys: String(keys.length) } };
};`;

export interface JwksMirrorProps {
  /** The pool's issuer, `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  issuer: string;
  s3Endpoint: ec2.IGatewayVpcEndpoint;
  logBucket: s3.IBucket;
}

/**
 * The service verifies tokens again (defence in depth) and so needs the pool's JWKS. Its tasks have no route to the
 * internet, and Cognito's PrivateLink endpoint does not serve a pool that has a hosted-login domain. So the JWKS is
 * copied at deploy time into a bucket that only the VPC's S3 gateway endpoint may read, and COGNITO_JWKS_URL points
 * there (the verifier serves the pool's JWKS URI from it). Cognito does not rotate a pool's signing keys by itself;
 * after a manual rotation, redeploy.
 */
export class JwksMirror extends Construct {
  readonly bucket: s3.Bucket;
  /** What COGNITO_JWKS_URL is set to. */
  readonly url: string;
  readonly fetcher: lambda.Function;
  readonly provider: cr.Provider;

  constructor(scope: Construct, id: string, s: EnvSettings, props: JwksMirrorProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: props.logBucket,
      serverAccessLogsPrefix: 'jwks-bucket/',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Readable only through this VPC's gateway endpoint (a policy conditioned on aws:SourceVpce is not public).
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(KEY)],
        conditions: { StringEquals: { 'aws:SourceVpce': props.s3Endpoint.vpcEndpointId } },
      }),
    );
    this.url = `https://${this.bucket.bucketRegionalDomainName}/${KEY}`;

    const { logGroup, role } = functionLogsAndRole(this, 'Fetcher', s, { description: 'Copies the pool JWKS to S3' });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: [this.bucket.arnForObjects(KEY)] }));
    this.fetcher = new lambda.Function(this, 'Fetcher', {
      runtime: LAMBDA_RUNTIME,
      handler: 'index.handler',
      code: lambda.Code.fromInline(FETCHER),
      timeout: Duration.seconds(30),
      description: 'Copies the Cognito JWKS into the VPC-only bucket (deploy time)',
      role,
      logGroup,
    });
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.fetcher,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', { retention: s.compute.logRetentionDays as logs.RetentionDays, removalPolicy: RemovalPolicy.DESTROY }),
    });
    new CustomResource(this, 'Copy', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::PierJwksMirror',
      properties: { Url: `${props.issuer}/.well-known/jwks.json`, Bucket: this.bucket.bucketName, Key: KEY },
    });
  }
}
