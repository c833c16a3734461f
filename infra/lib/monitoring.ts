import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ENV_DIMENSION, METRIC_NAMESPACE, METRICS, OUTCOME_DIMENSION, WEBHOOK_OUTCOMES, type MetricDef } from '../../src/metrics/names.js';
import { names, type EnvSettings } from '../settings.js';
import type { Api } from './api.js';
import type { Compute } from './compute.js';
import type { Functions } from './functions.js';
import type { Messaging } from './messaging.js';
import type { WebhookSender } from './webhookSender.js';

export interface MonitoringProps {
  messaging: Messaging;
  compute: Compute;
  functions: Functions;
  webhookSender: WebhookSender;
  api: Api;
}

const MINUTE = Duration.minutes(1);

/** Pier functions with an Errors alarm but no Throttles alarm (see below). */
export const THROTTLE_ALARM_EXEMPT = new Set(['webhook-key-rotation']);

/**
 * The alarm topic, every alarm that should reach a person, and the environment's dashboard of the order flow.
 *
 * The topic is encrypted with a customer managed KMS key: CloudWatch alarms cannot publish to a topic encrypted with
 * the AWS managed key `alias/aws/sns`, whose policy does not let CloudWatch use it and cannot be edited
 * (https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns; "Enable compatibility between event sources
 * from AWS services and encrypted topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). This
 * key's policy lets cloudwatch.amazonaws.com generate and decrypt data keys with it, and nothing else beyond the
 * account's own administration.
 *
 * Not here: the worker's step-scaling alarms (infra/lib/compute.ts). Their actions are the scaling policies; they fire
 * on every scale-out and scale-in, and a person has nothing to do then. The worker's backlog age is the messaging
 * construct's OldestMessage alarm (the age of the oldest message the worker has not deleted).
 */
export class Monitoring extends Construct {
  readonly key: kms.Key;
  readonly topic: sns.Topic;
  /** Every alarm that notifies the topic (the messaging alarms included). */
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  /** The Pier functions the alarms and the dashboard cover, by a short label. */
  readonly functions: Record<string, lambda.IFunction>;

  constructor(scope: Construct, id: string, s: EnvSettings, props: MonitoringProps) {
    super(scope, id);
    const n = names(s);
    const { messaging, compute, api } = props;
    const a = s.alarms;

    this.key = new kms.Key(this, 'TopicKey', {
      alias: `alias/${n.alarmTopic}`,
      description: `Encrypts the ${n.alarmTopic} SNS topic (CloudWatch alarm notifications)`,
      enableKeyRotation: true,
      // Only in-flight notifications are encrypted with it; nothing is left to read once the topic is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: n.alarmTopic,
      displayName: `Pier ${s.env} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    if (a.email) this.topic.addSubscription(new subscriptions.EmailSubscription(a.email));
    const notify = new SnsAction(this.topic);

    const alarm = (alarmId: string, props: cloudwatch.AlarmProps) => {
      const al = new cloudwatch.Alarm(this, alarmId, { alarmName: `${s.prefix}-${alarmId}`, ...props });
      this.alarms.push(al);
      return al;
    };
    const anyIn = (alarmId: string, metric: cloudwatch.IMetric, alarmDescription: string) =>
      alarm(alarmId, {
        alarmDescription,
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    /** Above `threshold` in 3 of the last 5 minutes: a sustained problem, not one slow minute. */
    const sustained = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, alarmDescription: string) =>
      alarm(alarmId, {
        alarmDescription,
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    // --- Lambda: errors and throttles of each Pier function ---------------------------------------------------------
    this.functions = {
      ...props.functions.byName,
      'webhook-sender': props.webhookSender.fn,
      'webhook-key-rotation': props.webhookSender.rotation,
    };
    for (const [label, fn] of Object.entries(this.functions)) {
      const name = label.replace(/(^|-)(\w)/g, (_m, _d: string, c: string) => c.toUpperCase());
      anyIn(`${name}Errors`, fn.metricErrors({ period: MINUTE, statistic: 'Sum' }), `Lambda ${s.prefix}-${label}: invocations ended in an error (see its log group)`);
      // The rotation function runs four times every SIGNING_KEY_ROTATION_DAYS, invoked by Secrets Manager; a throttled
      // rotation fails like any other (the current key stays in use until the next one) and costs one more alarm metric
      // than dev's idle budget has room for: its Errors alarm is the one it gets.
      if (THROTTLE_ALARM_EXEMPT.has(label)) continue;
      anyIn(
        `${name}Throttles`,
        fn.metricThrottles({ period: MINUTE, statistic: 'Sum' }),
        `Lambda ${s.prefix}-${label}: invocations throttled (account or function concurrency limit reached)`,
      );
    }

    // --- ECS: the HTTP service's CPU and memory ---------------------------------------------------------------------
    sustained('ServiceCpuHigh', compute.service.metricCpuUtilization({ period: MINUTE, statistic: 'Average' }), a.cpuHighPercent, `ECS ${n.service}: average CPU above ${a.cpuHighPercent}%`);
    sustained(
      'ServiceMemoryHigh',
      compute.service.metricMemoryUtilization({ period: MINUTE, statistic: 'Average' }),
      a.memoryHighPercent,
      `ECS ${n.service}: average memory above ${a.memoryHighPercent}%`,
    );

    // --- HTTP: the ALB's own 5xx, the targets' 5xx, API Gateway's 5xx ------------------------------------------------
    const albElb5xx = compute.alb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: MINUTE, statistic: 'Sum' });
    const albTarget5xx = compute.alb.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: MINUTE, statistic: 'Sum' });
    const api5xx = api.httpApi.metricServerError({ period: MINUTE, statistic: 'Sum' });
    const per = `more than ${a.http5xxPerMinute} a minute in 3 of 5 minutes`;
    sustained('Alb5xx', albElb5xx, a.http5xxPerMinute, `ALB-generated 5xx (no healthy target, target timeout or reset): ${per}`);
    sustained('Target5xx', albTarget5xx, a.http5xxPerMinute, `5xx answered by ${n.service}: ${per}`);
    sustained('Api5xx', api5xx, a.http5xxPerMinute, `HTTP API 5xx to clients (functions, VPC link, service): ${per}`);

    // --- every alarm a person should hear about notifies the topic --------------------------------------------------
    this.alarms.unshift(...messaging.alarms);
    for (const al of this.alarms) {
      al.addAlarmAction(notify);
      al.addOkAction(notify);
    }

    // --- dashboard -------------------------------------------------------------------------------------------------
    const custom = (def: MetricDef, extra: Record<string, string> = {}, label?: string) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName: def.name,
        dimensionsMap: { [ENV_DIMENSION]: s.env, ...extra },
        statistic: def.statistic,
        period: MINUTE,
        label: label ?? def.name,
      });
    const graph = (title: string, left: cloudwatch.IMetric[], opts: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period: MINUTE, ...opts });
    const q = messaging.queue;
    const fns = Object.entries(this.functions);
    const perFn = (f: (fn: lambda.IFunction) => cloudwatch.Metric) => fns.map(([label, fn]) => f(fn).with({ label }));
    const ecs = (metric: 'CPUUtilization' | 'MemoryUtilization') =>
      [compute.service, compute.worker].map((svc, i) =>
        (metric === 'CPUUtilization' ? svc.metricCpuUtilization() : svc.metricMemoryUtilization()).with({ period: MINUTE, statistic: 'Average', label: i ? 'worker' : 'service' }),
      );
    const workerTasks = new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: n.cluster, ServiceName: n.worker },
      statistic: 'Average',
      period: MINUTE,
      label: 'worker running tasks',
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: n.dashboard,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# Pier ${s.env}: the order flow\nAPI → service → outbox → order-events queue → worker → webhook sender. Custom metrics: namespace \`${METRIC_NAMESPACE}\`, dimension \`${ENV_DIMENSION}=${s.env}\` (src/metrics/names.ts); their graphs stay empty until the app emits them. Alarms notify SNS \`${n.alarmTopic}\`.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          graph('Orders and events (Pier)', [METRICS.OrdersPlaced, METRICS.EventsRelayed, METRICS.EventsProcessed, METRICS.DlqArrivals].map((d) => custom(d)), { statistic: 'Sum' }),
          graph('Outbox lag (s, max) and processing time (ms, p99)', [custom(METRICS.OutboxLag)], { right: [custom(METRICS.ProcessingTime)] }),
          graph(
            'Webhook deliveries by outcome (Pier)',
            WEBHOOK_OUTCOMES.map((o) => custom(METRICS.WebhookDeliveries, { [OUTCOME_DIMENSION]: o }, o)),
            { stacked: true },
          ),
        ],
        [
          graph('order-events: sent, received, deleted', [
            q.metricNumberOfMessagesSent({ period: MINUTE, statistic: 'Sum', label: 'sent' }),
            q.metricNumberOfMessagesReceived({ period: MINUTE, statistic: 'Sum', label: 'received' }),
            q.metricNumberOfMessagesDeleted({ period: MINUTE, statistic: 'Sum', label: 'deleted' }),
          ]),
          graph(
            'order-events: visible, oldest age (s); DLQ depth',
            [
              q.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum', label: 'visible' }),
              messaging.dlq.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum', label: 'DLQ depth' }),
            ],
            { right: [q.metricApproximateAgeOfOldestMessage({ period: MINUTE, statistic: 'Maximum', label: 'oldest age (s)' })] },
          ),
          graph(s.compute.containerInsights ? 'Worker running tasks' : 'Worker running tasks (needs Container Insights: off here)', [workerTasks]),
        ],
        [
          graph('Lambda invocations', perFn((fn) => fn.metricInvocations({ period: MINUTE, statistic: 'Sum' }))),
          graph('Lambda errors', perFn((fn) => fn.metricErrors({ period: MINUTE, statistic: 'Sum' }))),
          graph('Lambda duration (ms, p99)', perFn((fn) => fn.metricDuration({ period: MINUTE, statistic: 'p99' }))),
        ],
        [
          graph('ECS CPU (%)', ecs('CPUUtilization'), { leftYAxis: { min: 0, max: 100 } }),
          graph('ECS memory (%)', ecs('MemoryUtilization'), { leftYAxis: { min: 0, max: 100 } }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8, height: 6 }),
        ],
        [
          graph('Requests: API and ALB', [
            api.httpApi.metricCount({ period: MINUTE, statistic: 'Sum', label: 'API requests' }),
            compute.alb.metrics.requestCount({ period: MINUTE, statistic: 'Sum', label: 'ALB requests' }),
          ]),
          graph('5xx: API, ALB, targets', [api5xx.with({ label: 'API 5xx' }), albElb5xx.with({ label: 'ALB 5xx' }), albTarget5xx.with({ label: 'target 5xx' })]),
        ],
      ],
    });
  }
}
