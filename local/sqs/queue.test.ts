import { describe, expect, it } from 'vitest';
import { MinHeap } from './heap.js';
import { Queue, type StoredMessage } from './queue.js';

let ids = 0;
const msg = (body: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  id: `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  body,
  md5Body: '',
  sentAt: 0,
  receiveCount: 0,
  availableAt: 0,
  state: 'ready',
  visibleAt: 0,
  receiveNonce: 0,
  timerVersion: 0,
  ...extra,
});
const never = () => false;
const bodies = (ms: StoredMessage[]) => ms.map((m) => m.body);

describe('Queue (standard)', () => {
  it('hands out ready messages in order and hides them for the visibility timeout', () => {
    const q = new Queue('q', false);
    for (const b of ['a', 'b', 'c']) q.add(msg(b), 1000);
    expect(bodies(q.take(2, 1000, 5000, never))).toEqual(['a', 'b']);
    expect(q.counts).toEqual({ ready: 1, inflight: 2, delayed: 0 });
    expect(bodies(q.take(10, 1000, 5000, never))).toEqual(['c']);
    expect(q.take(10, 5999, 5000, never)).toEqual([]);
    const again = q.take(10, 6000, 5000, never);
    expect(bodies(again)).toEqual(['a', 'b', 'c']);
    expect(again.map((m) => m.receiveCount)).toEqual([2, 2, 2]);
    expect(again[0]!.firstReceiveAt).toBe(1000);
  });

  it('keeps delayed messages back until they are due', () => {
    const q = new Queue('q', false);
    q.add(msg('later', { availableAt: 3000 }), 1000);
    q.add(msg('now'), 1000);
    expect(q.counts.delayed).toBe(1);
    expect(q.nextTimerAt()).toBe(3000);
    expect(bodies(q.take(10, 2000, 60_000, never))).toEqual(['now']);
    expect(bodies(q.take(10, 2999, 60_000, never))).toEqual([]);
    expect(bodies(q.take(10, 3000, 60_000, never))).toEqual(['later']);
  });

  it('lets a divert hook take messages away instead of delivering them', () => {
    const q = new Queue('q', false);
    const a = msg('a');
    q.add(a, 0);
    q.add(msg('b'), 0);
    const got = q.take(10, 0, 1000, (m) => {
      if (m.body !== 'a') return false;
      q.remove(m);
      return true;
    });
    expect(bodies(got)).toEqual(['b']);
    expect(q.messages.has(a.id)).toBe(false);
    expect(q.counts).toEqual({ ready: 0, inflight: 1, delayed: 0 });
  });

  it('changes visibility: 0 makes a message ready at once, longer keeps it hidden', () => {
    const q = new Queue('q', false);
    q.add(msg('a'), 0);
    const [m] = q.take(1, 0, 1000, never);
    q.changeVisibility(m!, 500, 10_000);
    expect(q.take(1, 2000, 1000, never)).toEqual([]);
    q.changeVisibility(m!, 2000, 0);
    expect(bodies(q.take(1, 2000, 1000, never))).toEqual(['a']);
  });

  it('drops stale timers so long visibility timeouts do not pile them up', () => {
    const q = new Queue('q', false);
    for (let i = 0; i < 5000; i++) {
      const m = msg(`m${i}`);
      q.add(m, 0);
      q.take(1, 0, 43_200_000, never);
      q.remove(m);
    }
    expect(q.counts).toEqual({ ready: 0, inflight: 0, delayed: 0 });
    expect(q.nextTimerAt() === undefined || (q as unknown as { timers: MinHeap<{ at: number }> }).timers.size <= 1025).toBe(true);
  });
});

describe('Queue (FIFO)', () => {
  it('serves groups in order and blocks a group with a message in flight', () => {
    const q = new Queue('q.fifo', true);
    for (const [g, b] of [['x', 'x1'], ['y', 'y1'], ['x', 'x2']]) q.add(msg(b!, { groupId: g }), 0);
    const first = q.take(1, 0, 1000, never);
    expect(bodies(first)).toEqual(['x1']);
    expect(bodies(q.take(10, 0, 1000, never))).toEqual(['y1']);
    q.remove(first[0]!);
    expect(bodies(q.take(10, 0, 1000, never))).toEqual(['x2']);
  });

  it('returns an expired group in its original order', () => {
    const q = new Queue('q.fifo', true);
    for (const b of ['1', '2', '3']) q.add(msg(b, { groupId: 'g' }), 0);
    expect(bodies(q.take(2, 0, 1000, never))).toEqual(['1', '2']);
    expect(q.take(10, 500, 1000, never)).toEqual([]);
    expect(bodies(q.take(10, 1000, 1000, never))).toEqual(['1', '2', '3']);
  });
});

describe('MinHeap', () => {
  it('pops in order of at', () => {
    const h = new MinHeap<{ at: number }>();
    const xs = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
    for (const at of xs) h.push({ at });
    const out: number[] = [];
    for (let x = h.pop(); x; x = h.pop()) out.push(x.at);
    expect(out).toEqual([...xs].sort((a, b) => a - b));
  });
});
