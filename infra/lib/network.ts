import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { EnvSettings } from '../settings.js';

/**
 * The interface endpoints tasks and functions need without a NAT: image pulls, logs, secrets, the queue, and Lambda
 * (the worker invokes the webhook-sender function, which runs outside the VPC to reach users' webhook URLs).
 */
export const INTERFACE_ENDPOINTS = {
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  Lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA,
} as const;

/** The IAM service prefix of each interface endpoint's actions: an endpoint's policy allows its own service only. */
const ENDPOINT_ACTION_PREFIX: Record<keyof typeof INTERFACE_ENDPOINTS, string> = {
  EcrApi: 'ecr',
  EcrDocker: 'ecr',
  Logs: 'logs',
  SecretsManager: 'secretsmanager',
  Sqs: 'sqs',
  Lambda: 'lambda',
};

/**
 * The AWS-owned bucket ECR serves image layers from, reached through the S3 gateway endpoint. AWS's "Minimum Amazon S3
 * bucket permissions for Amazon ECR" (https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html) lists
 * `arn:aws:s3:::prod-<region>-starport-layer-bucket/*` with s3:GetObject. It is not in this account, so an
 * aws:ResourceAccount condition would refuse it: it gets its own statement with the exact ARN instead.
 */
export const ecrLayerBucketArn = (region: string) => `arn:aws:s3:::prod-${region}-starport-layer-bucket/*`;

/**
 * A VPC with isolated subnets only (no NAT, no internet gateway routes for workloads): AWS services are reached through
 * endpoints. Public subnets exist for nothing; the ALB is internal and API Gateway reaches it through a VPC link.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Subnets for tasks, functions, the database and the internal ALB. */
  readonly subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  /** The interface endpoints' security group: tasks and functions send HTTPS to it (and to S3's prefix list) only. */
  readonly endpointSecurityGroup: ec2.SecurityGroup;
  /** The region's S3 managed prefix list (`com.amazonaws.<region>.s3`), the gateway endpoint's destination. */
  readonly s3PrefixListId: string;
  readonly endpoints: Record<string, ec2.VpcEndpoint> = {};

  constructor(scope: Construct, id: string, s: EnvSettings) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(s.network.cidr),
      availabilityZones: s.availabilityZones,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      restrictDefaultSecurityGroup: false,
    });

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: s.network.flowLogRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL });

    // S3 serves ECR's image layers; the gateway endpoint is free.
    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [this.subnets] });
    const { account, region } = Stack.of(this);
    // Endpoint policies (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html) keep the VPC's
    // endpoints from reaching other accounts' resources (a stolen task credential cannot copy data out to a bucket or
    // queue elsewhere): aws:ResourceAccount must be this account, apart from ECR's AWS-owned layer bucket.
    const ownResources = { StringEquals: { 'aws:ResourceAccount': account } };
    const anyone = [new iam.AnyPrincipal()];
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({ sid: 'EcrImageLayers', principals: anyone, actions: ['s3:GetObject'], resources: [ecrLayerBucketArn(region)] }),
    );
    // The tasks read the JWKS copy (infra/lib/jwksMirror.ts) unsigned, so no principal condition here: the bucket's own
    // policy admits this endpoint only.
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({ sid: 'OwnBuckets', principals: anyone, actions: ['s3:GetObject'], resources: ['*'], conditions: ownResources }),
    );
    this.endpoints.S3 = this.s3Endpoint;

    // The S3 prefix list id: CloudFormation has no attribute for it and a context lookup would need credentials at
    // synth, so a deploy-time DescribeManagedPrefixLists call (outside the VPC) reads it.
    const prefixList = new cr.AwsCustomResource(this, 'S3PrefixList', {
      onUpdate: {
        service: 'EC2',
        action: 'describeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${region}.s3`] }] },
        physicalResourceId: cr.PhysicalResourceId.of(`com.amazonaws.${region}.s3`),
        outputPaths: ['PrefixLists.0.PrefixListId'],
      },
      // ec2:DescribeManagedPrefixLists takes no resource-level permissions.
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    this.s3PrefixListId = prefixList.getResponseField('PrefixLists.0.PrefixListId');

    // Endpoints accept HTTPS from inside the VPC only.
    const endpointSg = (this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSg', {
      vpc: this.vpc,
      description: 'VPC interface endpoints: HTTPS from the VPC',
      allowAllOutbound: false,
    }));
    endpointSg.addIngressRule(ec2.Peer.ipv4(s.network.cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');

    // Each endpoint costs per AZ-hour: dev places them in fewer AZs than the VPC spans.
    const endpointSubnets: ec2.SubnetSelection = {
      subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
      availabilityZones: s.availabilityZones.slice(0, s.network.endpointAzCount),
    };
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS) as [keyof typeof INTERFACE_ENDPOINTS, ec2.InterfaceVpcEndpointAwsService][]) {
      const endpoint = this.vpc.addInterfaceEndpoint(name, { service, privateDnsEnabled: true, subnets: endpointSubnets, securityGroups: [endpointSg], open: false });
      const prefix = ENDPOINT_ACTION_PREFIX[name];
      // Callers are this account's roles, and the resources they reach (repositories, log groups, secrets, the queue,
      // the sender function) are this account's.
      endpoint.addToPolicy(
        new iam.PolicyStatement({
          sid: 'OwnAccount',
          principals: anyone,
          actions: [`${prefix}:*`],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:PrincipalAccount': account, 'aws:ResourceAccount': account } },
        }),
      );
      // ecr:GetAuthorizationToken names no resource (its Resource is "*"), so only the caller's account is checked.
      if (name === 'EcrApi') {
        endpoint.addToPolicy(
          new iam.PolicyStatement({
            sid: 'EcrToken',
            principals: anyone,
            actions: ['ecr:GetAuthorizationToken'],
            resources: ['*'],
            conditions: { StringEquals: { 'aws:PrincipalAccount': account } },
          }),
        );
      }
      this.endpoints[name] = endpoint;
    }
  }

  /** HTTPS from `sg` to the interface endpoints and the S3 gateway endpoint (S3's prefix list), nothing else. */
  allowEndpointsFrom(sg: ec2.SecurityGroup): void {
    sg.connections.allowTo(this.endpointSecurityGroup, ec2.Port.tcp(443), 'HTTPS to the VPC interface endpoints');
    sg.addEgressRule(ec2.Peer.prefixList(this.s3PrefixListId), ec2.Port.tcp(443), 'HTTPS to S3 through the gateway endpoint');
  }
}
