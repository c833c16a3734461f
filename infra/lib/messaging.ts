import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvSettings } from '../settings.js';

/**
 * The order-events queue and its dead-letter queue. SQS-managed encryption (no KMS key to pay for or to grant).
 * Alarms: anything in the DLQ, and a main-queue message older than the settings allow (the worker is stuck or gone).
 */
export class Messaging extends Construct {
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, s: EnvSettings) {
    super(scope, id);
    const m = s.messaging;
    this.dlq = new sqs.Queue(this, 'Dlq', {
      queueName: m.dlqName,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: m.queueName,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(m.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(m.retentionDays),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: m.maxReceiveCount },
    });
    this.alarms = [
      new cloudwatch.Alarm(this, 'DlqNotEmpty', {
        alarmDescription: 'order-events messages landed in the dead-letter queue (npm run dlq to inspect and redrive)',
        metric: this.dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'OldestMessage', {
        alarmDescription: `an order event has waited more than ${m.oldestMessageAlarmSeconds} s: is the worker running?`,
        metric: this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: m.oldestMessageAlarmSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}
