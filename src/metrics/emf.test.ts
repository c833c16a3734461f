import { describe, expect, it } from 'vitest';
import { createEmfMetrics } from './emf.js';

const emf = () => {
  const lines: Record<string, unknown>[] = [];
  const metrics = createEmfMetrics({ environment: 'dev', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), flushMs: 3_600_000, now: () => 1_700_000_000_000 });
  return { metrics, lines };
};

describe('EMF metrics', () => {
  it('sums counts per flush and writes one EMF line per metric and dimension set', () => {
    const { metrics, lines } = emf();
    metrics.add('OrdersPlaced', 1);
    metrics.add('OrdersPlaced', 2);
    metrics.add('WebhookDeliveries', 1, { Outcome: 'delivered' });
    metrics.add('WebhookDeliveries', 1, { Outcome: 'refused' });
    metrics.add('WebhookDeliveries', 1, { Outcome: 'delivered' });
    metrics.flush();
    expect(lines).toEqual([
      {
        _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: 'Pier', Dimensions: [['Environment']], Metrics: [{ Name: 'OrdersPlaced', Unit: 'Count' }] }] },
        Environment: 'dev',
        OrdersPlaced: 3,
      },
      {
        _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: 'Pier', Dimensions: [['Environment', 'Outcome']], Metrics: [{ Name: 'WebhookDeliveries', Unit: 'Count' }] }] },
        Environment: 'dev',
        Outcome: 'delivered',
        WebhookDeliveries: 2,
      },
      expect.objectContaining({ Outcome: 'refused', WebhookDeliveries: 1 }),
    ]);
  });

  it('keeps each timing value, at most 100 per line (the EMF limit), and writes nothing when idle', () => {
    const { metrics, lines } = emf();
    metrics.flush();
    expect(lines).toEqual([]);
    for (let i = 0; i < 150; i++) metrics.add('ProcessingTime', i);
    metrics.close();
    expect(lines.map((l) => (l.ProcessingTime as number[]).length)).toEqual([100, 50]);
    expect((lines[0]!._aws as { CloudWatchMetrics: { Metrics: unknown[] }[] }).CloudWatchMetrics[0]!.Metrics).toEqual([{ Name: 'ProcessingTime', Unit: 'Milliseconds' }]);
    // Flushed: a second flush has nothing to write.
    metrics.flush();
    expect(lines).toHaveLength(2);
  });
});
