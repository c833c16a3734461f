import { Aws, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { API_SCOPES, RESOURCE_SERVER_ID, scope as apiScope, type ScopeName } from '../../src/routes.js';
import { pageUrls } from '../../scripts/web-config.js';
import type { EnvSettings } from '../settings.js';

/**
 * The user pool behind the hosted login: email sign-in, a password policy, optional MFA (TOTP). The web page is a
 * public client (authorization code + PKCE, no secret); the resource server carries the API's scopes from
 * src/routes.ts, so a scope added there is a scope users can be granted here.
 */
export class Auth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;
  readonly resourceServer: cognito.UserPoolResourceServer;
  /** Issuer of the pool's tokens (the JWT authorizer checks it). */
  readonly issuer: string;

  constructor(scope: Construct, id: string, s: EnvSettings, webUrl: string) {
    super(scope, id);
    const a = s.auth;
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${s.prefix}-users`,
      signInAliases: { email: true },
      autoVerify: { email: true },
      selfSignUpEnabled: false,
      passwordPolicy: {
        minLength: a.minPasswordLength,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      removalPolicy: s.data.retainOnDelete ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: s.data.deletionProtection,
    });

    this.resourceServer = this.userPool.addResourceServer('Api', {
      identifier: RESOURCE_SERVER_ID,
      userPoolResourceServerName: `${s.prefix}-api`,
      scopes: Object.entries(API_SCOPES).map(([scopeName, scopeDescription]) => new cognito.ResourceServerScope({ scopeName, scopeDescription })),
    });

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: a.domainPrefix ?? Fn.join('-', [s.prefix, Aws.ACCOUNT_ID]) },
      managedLoginVersion: cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
    });

    this.client = this.userPool.addClient('Web', {
      userPoolClientName: `${s.prefix}-web`,
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [
          cognito.OAuthScope.OPENID,
          cognito.OAuthScope.EMAIL,
          cognito.OAuthScope.PROFILE,
          // The literal `pier/orders.read` form (routes.ts `scope`) is what tokens carry and routes require.
          ...(Object.keys(API_SCOPES) as ScopeName[]).map((name) => cognito.OAuthScope.custom(apiScope(name))),
        ],
        // The page's own redirect and sign-out URLs (scripts/web-config.ts), then any extra ones from the settings.
        callbackUrls: [pageUrls(webUrl).redirectUri, ...a.callbackUrls],
        logoutUrls: [pageUrls(webUrl).logoutUri, ...a.logoutUrls],
      },
      accessTokenValidity: Duration.minutes(a.tokenValidityMinutes),
      idTokenValidity: Duration.minutes(a.tokenValidityMinutes),
      refreshTokenValidity: Duration.days(30),
      enableTokenRevocation: true,
    });
    this.client.node.addDependency(this.resourceServer);
    this.issuer = `https://cognito-idp.${Aws.REGION}.amazonaws.com/${this.userPool.userPoolId}`;
  }
}
