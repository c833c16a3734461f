/**
 * What a deployed environment costs per month with no traffic, computed from its synthesized CloudFormation template
 * (not from the settings, so it cannot drift from what is deployed). Every price is written out below with the page it
 * comes from (us-east-1 list prices, read 2026-12; AWS changes them: check the pages before relying on a figure), and
 * every assumption the template cannot answer is an explicit input.
 */

/** us-east-1 list prices. */
export const PRICES = {
  /** https://aws.amazon.com/privatelink/pricing/ : interface endpoint, per endpoint per AZ-hour. */
  interfaceEndpointAzHour: 0.01,
  /** https://aws.amazon.com/elasticloadbalancing/pricing/ : Application Load Balancer-hour (LCUs are per traffic). */
  albHour: 0.0225,
  /** https://aws.amazon.com/fargate/pricing/ : Linux/x86, per vCPU-hour and per GB-hour. */
  fargateVcpuHour: 0.04048,
  fargateGbHour: 0.004445,
  /** https://aws.amazon.com/rds/aurora/pricing/ : Aurora Serverless v2 ACU-hour (Standard), storage GB-month. */
  auroraAcuHour: 0.12,
  auroraStorageGbMonth: 0.1,
  /** https://aws.amazon.com/secrets-manager/pricing/ : per secret-month. */
  secretMonth: 0.4,
  /** https://aws.amazon.com/cloudwatch/pricing/ : standard-resolution alarm, per alarm metric-month. */
  alarmMetricMonth: 0.1,
  /** https://aws.amazon.com/cloudwatch/pricing/ : per dashboard-month beyond the free tier's. */
  dashboardMonth: 3,
  /** https://aws.amazon.com/kms/pricing/ : customer-managed key-month. */
  kmsKeyMonth: 1,
  /** https://aws.amazon.com/vpc/pricing/ : NAT gateway-hour (Pier has none; counted so one would show). */
  natGatewayHour: 0.045,
} as const;

/** What the template cannot say. */
export interface IdleAssumptions {
  hoursPerMonth: number;
  /** Aurora storage of a small, young database. */
  auroraStorageGb: number;
  /** The ACUs Aurora runs at while a sweep keeps a paused cluster awake (its smallest non-zero step). */
  wakeAcu: number;
  /** CloudWatch Logs ingestion and storage of an idle environment (health checks, flow logs). */
  logsMonthly: number;
  /** Per-request services with nothing to do: Cognito Essentials, API Gateway, Lambda, CloudFront, S3, ECR storage. */
  perRequestMonthly: number;
  /**
   * CloudWatch's always-free tier (https://aws.amazon.com/cloudwatch/pricing/), per account and month: 10 standard
   * alarm metrics and 3 dashboards of up to 50 metrics each. Counted for each environment as if it had the account's
   * free tier to itself (one account per environment, with nothing else using it). Sharing one account, the two
   * environments share it: one of them pays for its first 10 alarm metrics ($1.00) too.
   */
  freeAlarmMetrics: number;
  freeDashboards: number;
}

export const DEFAULT_ASSUMPTIONS: IdleAssumptions = {
  hoursPerMonth: 730,
  auroraStorageGb: 1,
  wakeAcu: 0.5,
  logsMonthly: 0.5,
  perRequestMonthly: 0.5,
  freeAlarmMetrics: 10,
  freeDashboards: 3,
};

export interface CostLine {
  item: string;
  /** How the figure was computed, in words, with the template's numbers. */
  basis: string;
  monthly: number;
}

// Synthesized CloudFormation is untyped JSON; these are the few shapes read here.
type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties?: Json;
}

/** `ComputeServiceC2A22793` -> `service`, `ComputeWorkerServiceF410B6B7` -> `worker`. */
const fargateName = (logicalId: string) => {
  const name = logicalId.replace(/^Compute/, '').replace(/[0-9A-F]{8}$/, '');
  return (name === 'Service' ? name : name.replace(/Service$/, '')).toLowerCase();
};
const round2 = (n: number) => Math.round(n * 100) / 100;
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The plain value of `name` in a task definition's first container's environment, if set there. */
function containerEnv(td: Resource | undefined, name: string): string | undefined {
  const containers = (td?.Properties?.ContainerDefinitions ?? []) as { Environment?: { Name: string; Value: unknown }[] }[];
  for (const c of containers) {
    const v = c.Environment?.find((e) => e.Name === name)?.Value;
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/**
 * The idle monthly cost of one synthesized stack. `sweepSecondsDefault` is the outbox relay's default sweep interval
 * (src/config/schema.ts OUTBOX_SWEEP_SECONDS), used when the service's task definition does not set one.
 */
export function idleCost(template: { Resources: Record<string, Resource> }, sweepSecondsDefault: number, a: IdleAssumptions = DEFAULT_ASSUMPTIONS): CostLine[] {
  const all = Object.entries(template.Resources);
  const ofType = (type: string) => all.filter(([, r]) => r.Type === type);
  const byId = new Map(all);
  const lines: CostLine[] = [];
  const h = a.hoursPerMonth;

  const interfaceEndpoints = ofType('AWS::EC2::VPCEndpoint').filter(([, r]) => r.Properties?.VpcEndpointType === 'Interface');
  const endpointAzs = interfaceEndpoints.reduce((n, [, r]) => n + ((r.Properties?.SubnetIds as unknown[] | undefined)?.length ?? 0), 0);
  lines.push({
    item: 'VPC interface endpoints',
    basis: `${plural(interfaceEndpoints.length, 'endpoint')}, ${plural(endpointAzs, 'endpoint-AZ')} in all × $${PRICES.interfaceEndpointAzHour}/AZ-hour (gateway endpoints are free)`,
    monthly: endpointAzs * PRICES.interfaceEndpointAzHour * h,
  });

  const nats = ofType('AWS::EC2::NatGateway').length;
  if (nats) lines.push({ item: 'NAT gateways', basis: `${nats} × $${PRICES.natGatewayHour}/hour`, monthly: nats * PRICES.natGatewayHour * h });

  const albs = ofType('AWS::ElasticLoadBalancingV2::LoadBalancer').filter(([, r]) => (r.Properties?.Type ?? 'application') === 'application').length;
  if (albs) lines.push({ item: 'Application Load Balancer', basis: `${albs} × $${PRICES.albHour}/hour (LCUs: by traffic, ~0 idle)`, monthly: albs * PRICES.albHour * h });

  // Fargate: the tasks that run with no traffic: the scalable target's minimum where autoscaling owns the count.
  const minByService = new Map<string, number>();
  for (const [, t] of ofType('AWS::ApplicationAutoScaling::ScalableTarget')) {
    const text = JSON.stringify(t.Properties?.ResourceId ?? '');
    for (const [id] of ofType('AWS::ECS::Service')) if (text.includes(`"${id}"`)) minByService.set(id, Number(t.Properties?.MinCapacity ?? 0));
  }
  for (const [id, svc] of ofType('AWS::ECS::Service')) {
    const tdRef = (svc.Properties?.TaskDefinition as { Ref?: string } | undefined)?.Ref;
    const td = tdRef ? byId.get(tdRef) : undefined;
    const vcpu = Number(td?.Properties?.Cpu ?? 0) / 1024;
    const gb = Number(td?.Properties?.Memory ?? 0) / 1024;
    const tasks = minByService.get(id) ?? Number(svc.Properties?.DesiredCount ?? 1);
    const perTask = vcpu * PRICES.fargateVcpuHour + gb * PRICES.fargateGbHour;
    lines.push({
      item: `Fargate: ${fargateName(id)}`,
      basis: `${plural(tasks, 'task')} idle${minByService.has(id) ? ' (autoscaling minimum)' : ''} × ${vcpu} vCPU / ${gb} GB`,
      monthly: tasks * perTask * h,
    });
  }

  // Aurora Serverless v2: at a minimum of 0 ACU it pauses when idle, except while a sweep of the outbox relay keeps
  // it awake for one auto-pause delay; above 0 every instance runs at its minimum around the clock.
  for (const [, cluster] of ofType('AWS::RDS::DBCluster')) {
    const scaling = (cluster.Properties?.ServerlessV2ScalingConfiguration ?? {}) as { MinCapacity?: number; SecondsUntilAutoPause?: number };
    const instances = ofType('AWS::RDS::DBInstance').length;
    const storage = a.auroraStorageGb * PRICES.auroraStorageGbMonth;
    if ((scaling.MinCapacity ?? 0.5) === 0) {
      const service = ofType('AWS::ECS::TaskDefinition').find(([, td]) => containerEnv(td, 'OUTBOX_SWEEP_SECONDS') !== undefined)?.[1];
      const sweep = Number(containerEnv(service, 'OUTBOX_SWEEP_SECONDS') ?? sweepSecondsDefault);
      const pause = scaling.SecondsUntilAutoPause ?? 300;
      const awakeHours = ((h * 3600) / sweep) * (pause / 3600);
      lines.push({
        item: 'Aurora Serverless v2',
        basis: `min 0 ACU: paused, awake ${pause / 60} min (auto-pause delay) after each ${sweep / 3600} h outbox sweep ≈ ${round2(awakeHours)} h × ${a.wakeAcu} ACU × $${PRICES.auroraAcuHour}; ${a.auroraStorageGb} GB storage`,
        monthly: awakeHours * a.wakeAcu * PRICES.auroraAcuHour + storage,
      });
    } else {
      const acu = scaling.MinCapacity ?? 0.5;
      lines.push({
        item: 'Aurora Serverless v2',
        basis: `${plural(instances, 'instance')} × ${acu} ACU minimum × $${PRICES.auroraAcuHour}/ACU-hour; ${a.auroraStorageGb} GB storage`,
        monthly: instances * acu * PRICES.auroraAcuHour * h + storage,
      });
    }
  }

  const secrets = ofType('AWS::SecretsManager::Secret').length;
  lines.push({ item: 'Secrets Manager', basis: `${plural(secrets, 'secret')} × $${PRICES.secretMonth}`, monthly: secrets * PRICES.secretMonth });

  const alarmMetrics = ofType('AWS::CloudWatch::Alarm').reduce((n, [, r]) => n + Math.max(1, ((r.Properties?.Metrics as unknown[] | undefined) ?? []).filter((m) => (m as Json).MetricStat).length), 0);
  const paidAlarmMetrics = Math.max(0, alarmMetrics - a.freeAlarmMetrics);
  lines.push({
    item: 'CloudWatch alarms',
    basis: `${plural(alarmMetrics, 'alarm metric')}, ${a.freeAlarmMetrics} free (assumed: the account's free tier) → ${paidAlarmMetrics} × $${PRICES.alarmMetricMonth}`,
    monthly: paidAlarmMetrics * PRICES.alarmMetricMonth,
  });

  const dashboards = ofType('AWS::CloudWatch::Dashboard').length;
  if (dashboards) {
    const paid = Math.max(0, dashboards - a.freeDashboards);
    lines.push({
      item: 'CloudWatch dashboards',
      basis: `${plural(dashboards, 'dashboard')}, first ${a.freeDashboards} free per account (assumed: no other dashboards there) → ${paid} × $${PRICES.dashboardMonth}`,
      monthly: paid * PRICES.dashboardMonth,
    });
  }

  const topics = ofType('AWS::SNS::Topic').length;
  if (topics) lines.push({ item: 'SNS topics', basis: `${plural(topics, 'topic')}: $0 idle (SNS bills per publish and delivery)`, monthly: 0 });

  const kmsKeys = ofType('AWS::KMS::Key').length;
  if (kmsKeys) lines.push({ item: 'KMS keys', basis: `${kmsKeys} × $${PRICES.kmsKeyMonth}`, monthly: kmsKeys * PRICES.kmsKeyMonth });

  const insights = ofType('AWS::ECS::Cluster').some(([, c]) =>
    ((c.Properties?.ClusterSettings ?? []) as { Name: string; Value: string }[]).some((s) => s.Name === 'containerInsights' && s.Value !== 'disabled'),
  );
  if (insights) lines.push({ item: 'Container Insights', basis: 'on: ~30–50 custom metrics × $0.30 (estimate, 40)', monthly: 40 * 0.3 });

  lines.push({ item: 'CloudWatch Logs', basis: 'assumed: under 1 GB a month idle', monthly: a.logsMonthly });
  lines.push({ item: 'Cognito, API Gateway, Lambda, CloudFront, S3, ECR', basis: 'per request / free tiers: assumed', monthly: a.perRequestMonthly });
  return lines.map((l) => ({ ...l, monthly: round2(l.monthly) }));
}

export const totalOf = (lines: readonly CostLine[]) => round2(lines.reduce((n, l) => n + l.monthly, 0));

/** The markdown table docs/deploy.md carries, one column per environment. */
export function costTable(envs: Record<string, readonly CostLine[]>): string {
  const names = Object.keys(envs);
  const items = [...new Set(Object.values(envs).flatMap((ls) => ls.map((l) => l.item)))];
  const money = (n: number) => `$${n.toFixed(2)}`;
  const rows = items.map((item) => {
    const cells = names.map((env) => {
      const l = envs[env]!.find((x) => x.item === item);
      return l ? `${money(l.monthly)}: ${l.basis}` : '—';
    });
    return `| ${item} | ${cells.join(' | ')} |`;
  });
  return [
    `| item | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
    ...rows,
    `| **Total, idle** | ${names.map((env) => `**${money(totalOf(envs[env]!))}/month**`).join(' | ')} |`,
  ].join('\n');
}
