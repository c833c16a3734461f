import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpAlbIntegration, HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CORS_POLICY, ROUTES, routeKey, type Route } from '../../src/routes.js';
import type { EnvSettings } from '../settings.js';
import type { Auth } from './auth.js';
import type { Compute } from './compute.js';
import type { Functions } from './functions.js';
import type { Network } from './network.js';

export interface ApiProps {
  network: Network;
  auth: Auth;
  compute: Compute;
  functions: Functions;
  /** Origins the browser may call from (the CloudFront page is one). */
  corsOrigins: string[];
}

/** Route ids are derived from the route key so a route keeps its logical id when others are added. */
const routeId = (r: Route) => routeKey(r).replace(/[^A-Za-z0-9]/g, '');

/**
 * The HTTP API built from src/routes.ts: the JWT authorizer (issuer: the user pool, audience: the web client) checks
 * every token before anything runs; function routes go to Lambda, service routes through a VPC link to the ALB.
 */
export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly authorizer: HttpJwtAuthorizer;
  /** Stage URL (ends with `/`). */
  readonly url: string;
  /** Base URL without a trailing slash (what the page prefixes paths with). */
  readonly endpoint: string;

  constructor(scope: Construct, id: string, s: EnvSettings, props: ApiProps) {
    super(scope, id);
    const { network, auth, compute, functions } = props;
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${s.prefix}-api`,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: props.corsOrigins,
        allowMethods: CORS_POLICY.allowMethods.map((m) => m as apigwv2.CorsHttpMethod),
        allowHeaders: [...CORS_POLICY.allowHeaders],
        exposeHeaders: [...CORS_POLICY.exposeHeaders],
        maxAge: Duration.seconds(CORS_POLICY.maxAgeSeconds),
        allowCredentials: CORS_POLICY.allowCredentials,
      },
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/pier/${s.env}/api-access`,
      retention: s.api.accessLogRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: s.api.throttleRatePerSecond, burstLimit: s.api.throttleBurst },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sub: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });
    this.url = stage.url;
    this.endpoint = this.httpApi.apiEndpoint;

    this.authorizer = new HttpJwtAuthorizer('Cognito', auth.issuer, {
      authorizerName: `${s.prefix}-cognito`,
      jwtAudience: [auth.client.userPoolClientId],
      identitySource: ['$request.header.Authorization'],
    });

    const vpcLinkSg = new ec2.SecurityGroup(this, 'VpcLinkSg', { vpc: network.vpc, description: 'API Gateway VPC link to the internal ALB', allowAllOutbound: false });
    vpcLinkSg.connections.allowTo(compute.alb, ec2.Port.tcp(80), 'API Gateway to the ALB');
    const vpcLink = new apigwv2.VpcLink(this, 'VpcLink', { vpc: network.vpc, subnets: network.subnets, securityGroups: [vpcLinkSg], vpcLinkName: `${s.prefix}-link` });
    const serviceIntegration = new HttpAlbIntegration('Service', compute.listener, { vpcLink });
    const lambdaIntegrations = new Map<string, HttpLambdaIntegration>();

    for (const r of ROUTES) {
      let integration: apigwv2.HttpRouteIntegration;
      if (r.target.kind === 'service') {
        integration = serviceIntegration;
      } else {
        const name = r.target.name;
        integration = lambdaIntegrations.get(name) ?? new HttpLambdaIntegration(`Fn${name}`, functions.byName[name]);
        lambdaIntegrations.set(name, integration as HttpLambdaIntegration);
      }
      new apigwv2.HttpRoute(this, `Route${routeId(r)}`, {
        httpApi: this.httpApi,
        routeKey: apigwv2.HttpRouteKey.with(r.path, apigwv2.HttpMethod[r.method]),
        integration,
        ...(r.auth.type === 'jwt'
          ? { authorizer: this.authorizer, ...(r.auth.scopes.length ? { authorizationScopes: [...r.auth.scopes] } : {}) }
          : { authorizer: new apigwv2.HttpNoneAuthorizer() }),
      });
    }
  }
}
