import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkNag from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_DIMENSION, METRIC_NAMESPACE, METRICS, OUTCOME_DIMENSION, WEBHOOK_OUTCOMES } from '../src/metrics/names.js';
import { FUNCTIONS } from '../src/routes.js';
import { buildApp } from './app.js';
import { THROTTLE_ALARM_EXEMPT } from './lib/monitoring.js';
import type { PierStack } from './lib/stack.js';
import { ENVIRONMENTS, names, type EnvSettings } from './settings.js';

// Synthesized CloudFormation is untyped JSON; the assertions below give it shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Res = { Type: string; Properties: Record<string, any> };
type Built = { s: EnvSettings; stack: PierStack; res: Record<string, Res> };

const EMAIL = 'oncall@example.com';
const outdir = mkdtempSync(join(tmpdir(), 'pier-mon-'));
const built: Record<string, Built> = {};
let app: App;
const forTest = (s: EnvSettings, alarms: Partial<EnvSettings['alarms']> = {}): EnvSettings => ({
  ...s,
  functions: { ...s.functions, bundle: false },
  web: { distDir: join(outdir, 'none') },
  alarms: { ...s.alarms, ...alarms },
});

beforeAll(() => {
  app = new App({ outdir, builtinCloudFormationValidation: false });
  const stacks = buildApp(app, { envs: [forTest(ENVIRONMENTS.dev), forTest(ENVIRONMENTS.prod)], nag: false });
  // prod again, in an app of its own (same stack name), with an e-mail address set.
  const other = new App({ outdir: join(outdir, 'email'), builtinCloudFormationValidation: false });
  stacks.push(...buildApp(other, { envs: [forTest(ENVIRONMENTS.prod, { email: EMAIL })], nag: false }));
  for (const [i, stack] of stacks.entries()) {
    built[['dev', 'prod', 'prod+email'][i]!] = { s: stack.settings, stack, res: Template.fromStack(stack).toJSON().Resources };
  }
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const ofType = (b: Built, type: string) => Object.entries(b.res).filter(([, r]) => r.Type === type);
const topicOf = (b: Built) => {
  const topics = ofType(b, 'AWS::SNS::Topic');
  expect(topics).toHaveLength(1);
  return topics[0]!;
};

describe.each(['dev', 'prod', 'prod+email'])('alarms and dashboard: %s', (env) => {
  const b = () => built[env]!;

  it('has one alarm topic, encrypted with a rotating customer managed key that CloudWatch may use', () => {
    const [, topic] = topicOf(b());
    expect(topic.Properties.TopicName).toBe(names(b().s).alarmTopic);
    const keyRef = topic.Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] };
    expect(keyRef['Fn::GetAtt'][1]).toBe('Arn');
    const key = b().res[keyRef['Fn::GetAtt'][0]]!;
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const statements = key.Properties.KeyPolicy.Statement as { Principal: unknown; Action: string[] }[];
    const cw = statements.find((st) => JSON.stringify(st.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }));
    expect(cw?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    // Only TLS publishers (cdk-nag SNS3).
    const [, policy] = ofType(b(), 'AWS::SNS::TopicPolicy')[0]!;
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('aws:SecureTransport');
  });

  it('subscribes alarms.email to the topic, and nothing when it is unset', () => {
    const subs = ofType(b(), 'AWS::SNS::Subscription');
    if (b().s.alarms.email) {
      expect(subs).toHaveLength(1);
      expect(subs[0]![1].Properties).toMatchObject({ Protocol: 'email', Endpoint: EMAIL, TopicArn: { Ref: topicOf(b())[0] } });
    } else {
      expect(subs).toEqual([]);
    }
  });

  it('every alarm notifies the topic (alarm and OK), except the worker scaling alarms, whose actions are the scaling policies', () => {
    const topic = { Ref: topicOf(b())[0] };
    const alarms = ofType(b(), 'AWS::CloudWatch::Alarm');
    const scaling = alarms.filter(([, a]) => (a.Properties.AlarmActions as { Ref: string }[]).every((x) => b().res[x.Ref]?.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy'));
    expect(scaling).toHaveLength(2);
    const notifying = alarms.filter((a) => !scaling.includes(a));
    for (const [id, a] of notifying) {
      expect(a.Properties.AlarmActions, id).toEqual([topic]);
      expect(a.Properties.OKActions, id).toEqual([topic]);
    }
    // What they watch: the queue pair, each Pier function, the HTTP service, the ALB, the API.
    const fns = [...Object.keys(FUNCTIONS), 'webhook-sender', 'webhook-key-rotation'];
    const watched = notifying.map(([, a]) => `${a.Properties.Namespace}/${a.Properties.MetricName}`);
    const count = (m: string) => watched.filter((w) => w === m).length;
    expect(count('AWS/SQS/ApproximateNumberOfMessagesVisible')).toBe(1); // DLQ not empty
    expect(count('AWS/SQS/ApproximateAgeOfOldestMessage')).toBe(1); // the worker's backlog age
    expect(count('AWS/Lambda/Errors')).toBe(fns.length);
    expect(count('AWS/Lambda/Throttles')).toBe(fns.length - THROTTLE_ALARM_EXEMPT.size);
    expect(count('AWS/ECS/CPUUtilization')).toBe(1);
    expect(count('AWS/ECS/MemoryUtilization')).toBe(1);
    expect(count('AWS/ApplicationELB/HTTPCode_ELB_5XX_Count')).toBe(1);
    expect(count('AWS/ApplicationELB/HTTPCode_Target_5XX_Count')).toBe(1);
    expect(count('AWS/ApiGateway/5xx')).toBe(1);
    expect(notifying).toHaveLength(2 + fns.length * 2 - THROTTLE_ALARM_EXEMPT.size + 5);
    // Each function's alarms watch that function.
    const st = b().stack;
    expect(Object.keys(st.monitoring.functions).sort()).toEqual([...fns].sort());
    for (const [label, fn] of Object.entries(st.monitoring.functions)) {
      const fnRef = JSON.stringify([{ Name: 'FunctionName', Value: { Ref: st.getLogicalId(fn.node.defaultChild as never) } }]);
      const mine = notifying.filter(([, a]) => JSON.stringify(a.Properties.Dimensions) === fnRef).map(([, a]) => a.Properties.MetricName as string);
      expect(mine.sort(), label).toEqual(THROTTLE_ALARM_EXEMPT.has(label) ? ['Errors'] : ['Errors', 'Throttles']);
    }
  });

  it('has a dashboard with the flow and the custom metrics, within the free tier of 50 metrics', () => {
    const dashboards = ofType(b(), 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const [, d] = dashboards[0]!;
    expect(d.Properties.DashboardName).toBe(names(b().s).dashboard);
    // The body is a Fn::Join of strings and tokens; its literal parts are enough to read metric names.
    const body = JSON.stringify(d.Properties.DashboardBody);
    const widgets = JSON.parse(
      (d.Properties.DashboardBody['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : '"TOKEN"')).join('').replace(/""TOKEN""/g, '"TOKEN"'),
    ) as { widgets: { properties: { metrics?: unknown[][] } }[] };
    const metrics = widgets.widgets.flatMap((w) => w.properties.metrics ?? []);
    expect(metrics.length).toBeGreaterThan(20);
    expect(metrics.length).toBeLessThanOrEqual(50);
    for (const def of Object.values(METRICS)) {
      const rows = metrics.filter((m) => m[0] === METRIC_NAMESPACE && m[1] === def.name);
      expect(rows.length, def.name).toBeGreaterThan(0);
      for (const row of rows) expect(row.slice(2, 4), def.name).toEqual([ENV_DIMENSION, b().s.env]);
    }
    const outcomes = metrics.filter((m) => m[1] === METRICS.WebhookDeliveries.name).map((m) => (m[4] === OUTCOME_DIMENSION ? m[5] : undefined));
    expect(outcomes).toEqual([...WEBHOOK_OUTCOMES]);
    for (const m of ['NumberOfMessagesSent', 'NumberOfMessagesReceived', 'NumberOfMessagesDeleted', 'ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage']) {
      expect(body, m).toContain(`"AWS/SQS","${m}"`.replace(/"/g, '\\"'));
    }
    for (const m of ['"ECS/ContainerInsights","RunningTaskCount"', '"AWS/Lambda","Invocations"', '"AWS/Lambda","Duration"', '"AWS/ECS","MemoryUtilization"', '"AWS/ApplicationELB","RequestCount"', '"AWS/ApiGateway","Count"']) {
      expect(body, m).toContain(m.replace(/"/g, '\\"'));
    }
  });

  it('passes cdk-nag AwsSolutions checks', () => {
    const report = new cdkNag.AwsSolutionsChecks(app).validateScope(b().stack);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
