import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cdkAutoscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { names, type EnvSettings, type FargateSize } from '../settings.js';
import { plainEnvironment, type SecretHomes, ecsSecrets } from './appSettings.js';
import type { Data } from './data.js';
import type { Messaging } from './messaging.js';
import type { Network } from './network.js';
import { REPO_ROOT } from './paths.js';
import { DockerHubPullThroughCache } from './pullThroughCache.js';

/** The image's roles (src/main.ts): the Dockerfile's CMD runs the service; the worker task overrides the command. */
export const ROLE_COMMANDS = {
  service: ['node', 'dist/main.js', 'service'],
  worker: ['node', 'dist/main.js', 'worker'],
} as const;

/** The `node` user of the official Node images: tasks never run as root. */
const NODE_UID = '1000:1000';

export interface ComputeProps {
  network: Network;
  data: Data;
  messaging: Messaging;
  /** Plain settings the stack derives (queue URLs, Cognito ids). */
  derivedSettings: Record<string, string>;
  logBucket: s3.IBucket;
  /** The function the worker sends webhooks through (WEBHOOK_SENDER_FUNCTION): the VPC has no route to the internet. */
  webhookSender: lambda.IFunction;
}

/**
 * One image, two Fargate services in the isolated subnets: the HTTP service behind an internal ALB (reached by API
 * Gateway through a VPC link) and the queue worker scaled on backlog per task.
 */
export class Compute extends Construct {
  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly worker: ecs.FargateService;
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly albSecurityGroup: ec2.SecurityGroup;
  /** Set when `compute.image.source` is `registry`: Docker Hub through ECR. */
  readonly pullThroughCache?: DockerHubPullThroughCache;

  constructor(scope: Construct, id: string, s: EnvSettings, props: ComputeProps) {
    super(scope, id);
    const { network, data, messaging } = props;
    const n = names(s);
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: n.cluster,
      vpc: network.vpc,
      containerInsightsV2: s.compute.containerInsights ? ecs.ContainerInsights.ENABLED : ecs.ContainerInsights.DISABLED,
    });

    // Tasks pull from this account's ECR only: the CDK asset repository, or Docker Hub through a pull-through cache.
    if (s.compute.image.source === 'registry') this.pullThroughCache = new DockerHubPullThroughCache(this, 'DockerHub', s, s.compute.image.image);
    const image = this.pullThroughCache?.image ?? ecs.ContainerImage.fromAsset(REPO_ROOT, { file: 'Dockerfile', platform: Platform.LINUX_AMD64 });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/pier/${s.env}/ecs`,
      retention: s.compute.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const environment = plainEnvironment({
      ...s.appSettings,
      ...props.derivedSettings,
      PIER_ENV: s.env,
      AWS_REGION: Stack.of(this).region,
      SERVICE_HOST: '0.0.0.0',
      SERVICE_PORT: String(s.compute.containerPort),
    });
    const homes: SecretHomes = { database: data.databaseUrlSecret };
    const secrets = ecsSecrets(homes);

    const taskDefinition = (name: 'service' | 'worker', size: FargateSize, roleEnvironment: Record<string, string> = {}) => {
      const td = new ecs.FargateTaskDefinition(this, `${name}Task`, {
        family: `${s.prefix}-${name}`,
        cpu: size.cpu,
        memoryLimitMiB: size.memoryMiB,
        runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      });
      // A writable /tmp on task storage: the root filesystem stays read-only.
      td.addVolume({ name: 'tmp' });
      const container = td.addContainer('app', {
        image,
        command: [...ROLE_COMMANDS[name]],
        user: NODE_UID,
        readonlyRootFilesystem: true,
        environment: { ...environment, ...plainEnvironment(roleEnvironment) },
        secrets,
        logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: name }),
        stopTimeout: Duration.seconds(30),
        ...(name === 'service' ? { portMappings: [{ containerPort: s.compute.containerPort }] } : {}),
      });
      container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
      // No SECRETS_ID: the tasks' one secret setting, DATABASE_URL, is an ECS secret reference (read by the execution
      // role at start); the task roles may read no secret. The webhook signing key is the sender function's alone.
      this.pullThroughCache?.grantPullThrough(td.obtainExecutionRole());
      return td;
    };

    const taskSg = (name: string) => {
      const sg = new ec2.SecurityGroup(this, `${name}Sg`, { vpc: network.vpc, description: `Pier ${name} tasks`, allowAllOutbound: false });
      // HTTPS to the endpoints' security group and S3's prefix list only (no route leaves the VPC anyway: no NAT, no IGW).
      network.allowEndpointsFrom(sg);
      sg.connections.allowTo(data.cluster, ec2.Port.tcp(data.cluster.clusterEndpoint.port), 'PostgreSQL');
      return sg;
    };

    // --- service ----------------------------------------------------------------------------------------------------
    const serviceTd = taskDefinition('service', s.compute.service);
    serviceTd.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [messaging.queue.queueArn] }));
    const serviceSg = taskSg('Service');
    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: n.service,
      cluster: this.cluster,
      taskDefinition: serviceTd,
      desiredCount: s.compute.service.desiredCount,
      assignPublicIp: false,
      vpcSubnets: network.subnets,
      securityGroups: [serviceSg],
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
    });

    this.albSecurityGroup = new ec2.SecurityGroup(this, 'AlbSg', { vpc: network.vpc, description: 'Internal ALB', allowAllOutbound: false });
    this.alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: network.vpc,
      internetFacing: false,
      vpcSubnets: network.subnets,
      securityGroup: this.albSecurityGroup,
      dropInvalidHeaderFields: true,
    });
    this.alb.logAccessLogs(props.logBucket, 'alb');
    this.listener = this.alb.addListener('Http', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP, open: false });
    this.listener.addTargets('Service', {
      port: s.compute.containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      healthCheck: { path: '/healthz', healthyHttpCodes: '200', interval: Duration.seconds(15), healthyThresholdCount: 2 },
      deregistrationDelay: Duration.seconds(20),
    });

    // --- worker -----------------------------------------------------------------------------------------------------
    // The worker sends webhooks through the webhook-sender function (which holds the signing key), invoked through
    // the VPC's lambda endpoint; it may invoke that one function and nothing else.
    const workerTd = taskDefinition('worker', s.compute.worker, { WEBHOOK_SENDER_FUNCTION: props.webhookSender.functionArn });
    workerTd.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.webhookSender.functionArn] }));
    workerTd.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
        resources: [messaging.queue.queueArn],
      }),
    );
    const w = s.compute.worker;
    this.worker = new ecs.FargateService(this, 'Worker', {
      serviceName: n.worker,
      cluster: this.cluster,
      taskDefinition: workerTd,
      // No desiredCount: autoscaling owns the count. A DesiredCount in the template would be applied again on every
      // update, putting a scaled-out worker back to that number. AWS::ECS::Service DesiredCount: "For new services,
      // if a desired count is not specified, a default value of 1 is used ... For existing services, if a desired
      // count is not specified, it is omitted from the operation"
      // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ecs-service.html#cfn-ecs-service-desiredcount).
      // So a new worker starts one task (the deploy waits for it to run: a smoke test of the image), and the backlog
      // policy below then sets it to the minimum (0 in dev) once its alarm has seen an empty queue. `holdAtZero` (a
      // first deploy before the image can be pulled) pins it at 0 instead.
      ...(w.holdAtZero ? { desiredCount: 0 } : {}),
      assignPublicIp: false,
      vpcSubnets: network.subnets,
      securityGroups: [taskSg('Worker')],
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
    });
    const scaling = this.worker.autoScaleTaskCount({ minCapacity: w.minCapacity, maxCapacity: w.maxCapacity });
    // Backlog = messages waiting + messages being handled; the worker runs ceil(backlog / backlogPerTask) tasks.
    // Counting in-flight messages keeps a task alive while it works; an empty queue scales to the minimum (0 in dev).
    // Exact-capacity steps need no task-count metric, so this works with or without Container Insights.
    const backlog = new cloudwatch.MathExpression({
      label: 'order-events backlog (visible + in flight)',
      expression: 'visible + inflight',
      usingMetrics: {
        visible: messaging.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        inflight: messaging.queue.metricApproximateNumberOfMessagesNotVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      },
      period: Duration.minutes(1),
    });
    scaling.scaleOnMetric('Backlog', {
      metric: backlog,
      adjustmentType: cdkAutoscaling.AdjustmentType.EXACT_CAPACITY,
      scalingSteps: workerSteps(w),
      cooldown: Duration.minutes(1),
      evaluationPeriods: 2,
    });
  }
}

/** Exact-capacity steps: backlog 0 -> minCapacity; n tasks for a backlog in ((n-1)·B, n·B]; maxCapacity above that. */
export function workerSteps(w: EnvSettings['compute']['worker']): cdkAutoscaling.ScalingInterval[] {
  const b = w.backlogPerTask;
  const steps: cdkAutoscaling.ScalingInterval[] = [{ upper: 0, change: w.minCapacity }];
  for (let n = 1; n <= w.maxCapacity; n++) {
    steps.push({ lower: (n - 1) * b + 1, ...(n < w.maxCapacity ? { upper: n * b + 1 } : {}), change: Math.max(n, w.minCapacity) });
  }
  return steps;
}
