import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
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

/**
 * A VPC with isolated subnets only (no NAT, no internet gateway routes for workloads): AWS services are reached through
 * endpoints. Public subnets exist for nothing; the ALB is internal and API Gateway reaches it through a VPC link.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Subnets for tasks, functions, the database and the internal ALB. */
  readonly subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  readonly s3Endpoint: ec2.GatewayVpcEndpoint;

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

    // Endpoints accept HTTPS from inside the VPC only.
    const endpointSg = new ec2.SecurityGroup(this, 'EndpointSg', {
      vpc: this.vpc,
      description: 'VPC interface endpoints: HTTPS from the VPC',
      allowAllOutbound: false,
    });
    endpointSg.addIngressRule(ec2.Peer.ipv4(s.network.cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');

    // Each endpoint costs per AZ-hour: dev places them in fewer AZs than the VPC spans.
    const endpointSubnets: ec2.SubnetSelection = {
      subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
      availabilityZones: s.availabilityZones.slice(0, s.network.endpointAzCount),
    };
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      this.vpc.addInterfaceEndpoint(name, { service, privateDnsEnabled: true, subnets: endpointSubnets, securityGroups: [endpointSg], open: false });
    }
  }
}
