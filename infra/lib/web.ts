import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Aws, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { WebConfig } from '../../scripts/web-config.js';
import { connectSources, webSecurityPolicy, type WebSecurityPolicy } from '../../src/webSecurityHeaders.js';
import type { EnvSettings } from '../settings.js';
import { REPO_ROOT } from './paths.js';

/**
 * The API as the page's CSP names it in AWS: any HTTP API endpoint of this region. Its own endpoint would make the
 * distribution (through its response headers policy) depend on the API, which already depends on the distribution
 * (the CORS origin, and the app client's callback URL behind the JWT authorizer): CloudFormation refuses the cycle.
 */
export const regionalApiSource = (region: string): string => `https://*.execute-api.${region}.${Aws.URL_SUFFIX}`;

/** CloudFront's response headers for a policy, one to one (its security headers, and Permissions-Policy as a custom one). */
export function responseHeadersBehavior(
  p: WebSecurityPolicy,
): Required<Pick<cloudfront.ResponseHeadersPolicyProps, 'securityHeadersBehavior' | 'customHeadersBehavior'>> {
  const hsts = p.strictTransportSecurity;
  return {
    securityHeadersBehavior: {
      contentSecurityPolicy: { contentSecurityPolicy: p.contentSecurityPolicy, override: true },
      contentTypeOptions: { override: true }, // X-Content-Type-Options: nosniff, its only value
      frameOptions: { frameOption: p.frameOptions as cloudfront.HeadersFrameOption, override: true },
      referrerPolicy: { referrerPolicy: p.referrerPolicy as cloudfront.HeadersReferrerPolicy, override: true },
      ...(hsts
        ? {
            strictTransportSecurity: {
              accessControlMaxAge: Duration.seconds(hsts.maxAgeSeconds),
              includeSubdomains: hsts.includeSubdomains,
              preload: hsts.preload,
              override: true,
            },
          }
        : {}),
    },
    customHeadersBehavior: { customHeaders: [{ header: 'Permissions-Policy', value: p.permissionsPolicy, override: true }] },
  };
}

/** The web page: a private bucket that only CloudFront reads (origin access control), served over HTTPS. */
export class Web extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** The page's security headers (src/webSecurityHeaders.ts), on every response of the distribution. */
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  readonly url: string;
  readonly distDir: string;
  private pagePolicy: WebSecurityPolicy | undefined;

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
    // The policy's CSP names what the page connects to, known once deployIfBuilt has the page's config.
    const policy: WebSecurityPolicy = {
      ...webSecurityPolicy({ connectSrc: [], https: true }),
      contentSecurityPolicy: Lazy.string({
        produce: () => {
          if (!this.pagePolicy) throw new Error("Web: deployIfBuilt(config) was never called, so the page's CSP cannot name what it connects to");
          return this.pagePolicy.contentSecurityPolicy;
        },
      }),
    };
    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `${s.prefix} web page: CSP and security headers (src/webSecurityHeaders.ts)`,
      ...responseHeadersBehavior(policy),
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${s.prefix} web page`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        // Instead of the managed SECURITY_HEADERS policy (a behaviour takes one): this one has the page's CSP too.
        responseHeadersPolicy: this.responseHeadersPolicy,
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

  /** The policy CloudFront sends (src/webSecurityHeaders.ts), once `deployIfBuilt` has the page's config. */
  get policy(): WebSecurityPolicy | undefined {
    return this.pagePolicy;
  }

  /**
   * Sets the page's security headers from its runtime config (the CSP's connect-src: the hosted login and the API)
   * and uploads the built page with that config, if the page has been built (`web/dist`).
   */
  deployIfBuilt(config: WebConfig): s3deploy.BucketDeployment | undefined {
    // The API by its region's execute-api hosts while its URL is the HTTP API's own (a cycle: regionalApiSource).
    const apiUrl = Token.isUnresolved(config.apiUrl) ? regionalApiSource(Stack.of(this).region) : config.apiUrl;
    this.pagePolicy = webSecurityPolicy({ connectSrc: connectSources({ ...config, apiUrl }), https: true });
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
