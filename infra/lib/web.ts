import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { EnvSettings } from '../settings.js';
import { REPO_ROOT } from './paths.js';

/** The web page: a private bucket that only CloudFront reads (origin access control), served over HTTPS. */
export class Web extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly url: string;
  readonly distDir: string;

  constructor(scope: Construct, id: string, s: EnvSettings, logBucket: s3.IBucket) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: logBucket,
      serverAccessLogsPrefix: 'web-bucket/',
      // Kept on `cdk destroy` (CloudFormation cannot delete a bucket with objects): `aws s3 rb --force` removes it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${s.prefix} web page`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      // The page routes in the browser (the OAuth callback among them): unknown paths get index.html.
      errorResponses: [403, 404].map((httpStatus) => ({ httpStatus, responseHttpStatus: 200, responsePagePath: '/index.html', ttl: Duration.minutes(1) })),
      enableLogging: true,
      logBucket,
      logFilePrefix: 'cloudfront/',
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    this.url = `https://${this.distribution.distributionDomainName}/`;
    this.distDir = isAbsolute(s.web.distDir) ? s.web.distDir : join(REPO_ROOT, s.web.distDir);
  }

  /** Uploads the built page and its runtime config, if the page has been built (`web/dist`). */
  deployIfBuilt(config: object): s3deploy.BucketDeployment | undefined {
    if (!existsSync(join(this.distDir, 'index.html'))) return undefined;
    return new s3deploy.BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      sources: [s3deploy.Source.asset(this.distDir), s3deploy.Source.jsonData('config.json', config)],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });
  }
}
