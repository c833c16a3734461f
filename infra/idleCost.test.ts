import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { costTable, DEFAULT_ASSUMPTIONS, idleCost, totalOf, type CostLine } from './lib/idleCost.js';
import { REPO_ROOT } from './lib/paths.js';
import { idleCosts } from './scripts/cost.js';

let costs: Record<string, CostLine[]>;
beforeAll(() => {
  costs = idleCosts();
}, 120_000);

const line = (env: string, item: string) => costs[env]!.find((l) => l.item === item);

describe('idle cost, from the synthesized templates', () => {
  it('dev idles at or under US$75 a month: database paused, worker at zero, no NAT', () => {
    expect(totalOf(costs.dev!)).toBeLessThanOrEqual(75);
    expect(line('dev', 'NAT gateways')).toBeUndefined();
    expect(line('dev', 'Aurora Serverless v2')!.basis).toMatch(/^min 0 ACU: paused/);
    expect(line('dev', 'Aurora Serverless v2')!.monthly).toBeLessThan(5);
    expect(costs.dev!.filter((l) => l.item.startsWith('Fargate: ') && /^0 tasks/.test(l.basis))).toHaveLength(1);
  });

  it('docs/deploy.md carries the table this computes (npm run cost prints it)', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
    const m = /<!-- idle-cost:start -->\n([\s\S]*?)\n<!-- idle-cost:end -->/.exec(doc);
    expect(m, 'docs/deploy.md has the idle-cost markers').not.toBeNull();
    expect(m![1]).toBe(costTable(costs));
  });

  it('prices what the template holds: a NAT gateway or an always-on database would show', () => {
    const base = { Resources: { Nat: { Type: 'AWS::EC2::NatGateway' }, Db: { Type: 'AWS::RDS::DBCluster', Properties: { ServerlessV2ScalingConfiguration: { MinCapacity: 0.5 } } }, W: { Type: 'AWS::RDS::DBInstance' } } };
    const lines = idleCost(base, 21600);
    expect(lines.find((l) => l.item === 'NAT gateways')!.monthly).toBeCloseTo(0.045 * 730, 2);
    expect(lines.find((l) => l.item === 'Aurora Serverless v2')!.monthly).toBeCloseTo(0.5 * 0.12 * 730 + 0.1, 2);
  });

  it('prices alarms, dashboards and the alarm topic: the free tier as assumed, then per unit', () => {
    for (const env of ['dev', 'prod']) {
      expect(line(env, 'CloudWatch dashboards')!.monthly, env).toBe(0);
      expect(line(env, 'SNS topics')!.monthly, env).toBe(0);
      expect(line(env, 'KMS keys')!.monthly, env).toBe(1);
    }
    const alarm = (n: number) => ({ Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: Array.from({ length: n }, () => ({ MetricStat: {} })) } });
    const resources = {
      A: alarm(1),
      B: alarm(12),
      ...Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`D${i}`, { Type: 'AWS::CloudWatch::Dashboard' }])),
      T: { Type: 'AWS::SNS::Topic' },
    };
    const free = idleCost({ Resources: resources }, 21600);
    expect(free.find((l) => l.item === 'CloudWatch alarms')!.monthly).toBeCloseTo(0.3, 2); // 13 alarm metrics - 10 free
    expect(free.find((l) => l.item === 'CloudWatch dashboards')!.monthly).toBe(6); // 5 - 3 free
    expect(free.find((l) => l.item === 'SNS topics')!.monthly).toBe(0);
    const noFreeTier = idleCost({ Resources: resources }, 21600, { ...DEFAULT_ASSUMPTIONS, freeAlarmMetrics: 0, freeDashboards: 0 });
    expect(noFreeTier.find((l) => l.item === 'CloudWatch alarms')!.monthly).toBeCloseTo(1.3, 2);
    expect(noFreeTier.find((l) => l.item === 'CloudWatch dashboards')!.monthly).toBe(15);
  });
});
