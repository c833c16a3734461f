import type { Db } from '../db/index.js';
import type { Logger } from '../log.js';
import type { OutboundMessage, Publisher, PublishResult } from './publisher.js';

export interface OutboxRelayOptions {
  db: Db;
  publisher: Publisher;
  logger: Logger;
  /** Rows per SendMessageBatch: at most 10 (SQS's limit). */
  batchSize?: number;
  /** Batches in flight at once in this process. Default 2. */
  concurrency?: number;
  /**
   * How often an idle relay sweeps for rows nobody woke it for (a task that died between commit and send). Default
   * 6 h (OUTBOX_SWEEP_SECONDS): longer than Aurora's auto-pause delay, so an idle relay lets the database pause.
   * Between sweeps it runs no statement unless woken, or a timer set by its own activity fires (a backoff, a
   * refused row's retry, a lease it saw that will expire).
   */
  sweepMs?: number;
  /** Backoff while the queue is unreachable: doubles from `initialMs` up to `maxMs`. Default 200 ms .. 5 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** How long a claim stays exclusive; a relay that dies mid-send loses it after this. Default 30 s. */
  leaseSeconds?: number;
  /** An idle relay woken by an order waits this long first, so a burst of orders leaves as one batch. Default 10 ms. */
  wakeDelayMs?: number;
  /**
   * Refusals the queue may answer with a sender fault (the message itself is malformed) before the row is set aside
   * as failed (`npm run outbox`) instead of retried forever. Default 5, one every 5 s.
   */
  maxRefusals?: number;
}

export interface OutboxRelay {
  /** Sweeps once at once, then every `sweepMs`. */
  start(): void;
  /** Look for rows now (an order just committed). */
  wake(): void;
  /** Claims, sends and marks one batch; resolves to the number sent. Rejects when the queue is unreachable. */
  runOnce(): Promise<number>;
  /** Stops claiming, lets every batch in flight finish (sent and marked), then resolves. */
  stop(): Promise<void>;
}

interface ClaimedRow {
  id: string;
  event_id: string;
  event_type: string;
  payload: string;
  trace_context: string | null;
}

/**
 * Sends outbox rows to the order-events queue. Safe with several service replicas at once: each claims its rows
 * (`FOR UPDATE SKIP LOCKED` plus a lease), so a row is sent by one relay unless that relay dies mid-send; past that,
 * duplicates are only SQS's own at-least-once, which the worker absorbs by event id.
 */
export function createOutboxRelay(opts: OutboxRelayOptions): OutboxRelay {
  const batchSize = Math.min(10, Math.max(1, opts.batchSize ?? 10));
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  // setTimeout treats anything above 2^31-1 ms (about 24.8 days) as 1 ms.
  const sweepMs = Math.min(2_147_483_647, Math.max(1, opts.sweepMs ?? 6 * 3600_000));
  const initialMs = opts.backoff?.initialMs ?? 200;
  const maxMs = opts.backoff?.maxMs ?? 5000;
  const lease = opts.leaseSeconds ?? 30;
  const wakeDelayMs = opts.wakeDelayMs ?? 10;
  const maxRefusals = Math.max(1, opts.maxRefusals ?? 5);
  const { db, publisher, logger } = opts;

  let stopping = false;
  let loops: Promise<void>[] = [];
  let failures = 0;
  let woken = false;
  /** Rows this relay has claimed and not yet marked or given back: the lease check leaves them out. */
  const held = new Set<string>();
  // Idle waits end only on wake() (an order, a sweep, a retry timer) or stop(): an idle relay runs no statement.
  // Backoff waits end only on their timer or stop(), so orders arriving while the queue is down do not turn the
  // backoff into a hammering.
  const idleWaiters = new Set<() => void>();
  const backoffWaiters = new Set<() => void>();
  const release = (set: Set<() => void>) => {
    for (const w of [...set]) w();
  };
  /** Waits until released, or `ms` (none: no timer at all). */
  const pause = (ms: number | undefined, set: Set<() => void>) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      set.add(done);
    });
  let wakeTimer: NodeJS.Timeout | undefined;
  const wake = () => {
    // A busy loop sees `woken` and goes round again; idle ones are released after the short gathering delay.
    woken = true;
    wakeTimer ??= setTimeout(() => {
      wakeTimer = undefined;
      release(idleWaiters);
    }, wakeDelayMs);
  };

  // The one retry timer an idle relay may hold, set by its own activity: when the earliest lease it saw (a refused
  // row's 5 s retry delay, another relay's claim) runs out. It keeps the earliest due time and fires once.
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDue = Infinity;
  const retryIn = (ms: number) => {
    const due = Date.now() + ms;
    if (retryTimer && retryDue <= due) return;
    clearTimeout(retryTimer);
    retryDue = due;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      retryDue = Infinity;
      wake();
    }, ms);
  };

  // The rare sweep: rows nobody woke this relay for. Unref'd: it must not keep a process alive on its own.
  let sweepTimer: NodeJS.Timeout | undefined;
  const armSweep = () => {
    sweepTimer = setTimeout(() => {
      armSweep();
      wake();
    }, sweepMs);
    sweepTimer.unref();
  };

  /**
   * Claims up to a batch of rows and, in the same statement, marks the rows of the previous batch sent (`markSent`):
   * under load one statement per batch instead of two (PGlite runs every statement on one thread).
   */
  async function claim(markSent: readonly string[]): Promise<ClaimedRow[]> {
    const { rows } = await db.query<ClaimedRow>(
      `WITH sent AS (
         UPDATE outbox SET sent_at = now(), claimed_until = NULL, last_error = NULL WHERE id = ANY($3::bigint[])
       )
       UPDATE outbox SET claimed_until = now() + make_interval(secs => $2), attempts = attempts + 1
        WHERE id IN (SELECT id FROM outbox
                      WHERE sent_at IS NULL AND failed_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
                      ORDER BY id LIMIT $1
                      FOR UPDATE SKIP LOCKED)
        RETURNING id::text AS id, event_id, event_type, payload::text AS payload, trace_context`,
      [batchSize, lease, markSent],
    );
    return rows;
  }

  const markNow = async (ids: readonly string[]) => {
    if (ids.length) await db.query('UPDATE outbox SET sent_at = now(), claimed_until = NULL, last_error = NULL WHERE id = ANY($1::bigint[])', [ids]);
  };

  /**
   * Before going idle: marks `ids` sent and, in the same statement, finds the earliest lease on a pending row this
   * relay does not hold (a refused row's retry delay, a claim by another relay, or by a task that died mid-send),
   * and sets the retry timer for when it runs out. No such lease: no timer, and the relay waits for a wake or the
   * sweep. (The CTE's update is not visible to the SELECT, so the rows being marked are left out by id.)
   */
  async function settle(ids: readonly string[]): Promise<void> {
    const { rows } = await db.query<{ ms: number | null }>(
      `WITH sent AS (
         UPDATE outbox SET sent_at = now(), claimed_until = NULL, last_error = NULL WHERE id = ANY($1::bigint[])
       )
       SELECT (extract(epoch FROM min(claimed_until) - now()) * 1000)::float8 AS ms FROM outbox
        WHERE sent_at IS NULL AND failed_at IS NULL AND claimed_until > now() AND id <> ALL($2::bigint[])`,
      [ids, [...new Set([...ids, ...held])]],
    );
    const ms = rows[0]?.ms;
    // A little past the lease, so the claim that follows sees it expired.
    if (ms !== null && ms !== undefined) retryIn(Math.max(0, Math.ceil(ms)) + 50);
  }

  /**
   * Sends claimed rows. Resolves to the ids the queue accepted, which the caller marks with its next claim (or at
   * once with `markNow`). Rejects when the queue is unreachable.
   */
  async function send(rows: readonly ClaimedRow[]): Promise<{ claimed: number; sent: string[] }> {
    if (rows.length === 0) return { claimed: 0, sent: [] };
    const messages: OutboundMessage[] = rows.map((r) => ({
      id: r.id,
      body: r.payload,
      attributes: { 'event-type': r.event_type },
      ...(r.trace_context ? { traceContext: r.trace_context } : {}),
    }));
    const ids = rows.map((r) => r.id);
    for (const id of ids) held.add(id);
    let result;
    try {
      result = await publisher.publishBatch(messages);
    } catch (err) {
      // Unreachable: give the rows back at once so this or another relay retries them after its backoff.
      await db
        .query('UPDATE outbox SET claimed_until = NULL, last_error = $2 WHERE id = ANY($1::bigint[])', [ids, errorSummary(err)])
        .catch(() => {});
      for (const id of ids) held.delete(id);
      throw err;
    }
    if (result.failed.length > 0) await recordRefusals(result.failed);
    // Refused rows are no longer ours: their short lease is a retry delay that settle() turns into a timer.
    for (const f of result.failed) held.delete(f.id);
    return { claimed: rows.length, sent: result.sent };
  }

  /**
   * Refused entries keep a short lease as a retry delay, with the reason, in one statement. A sender fault (the
   * message is malformed: InvalidMessageContents, too long...) counts as a refusal; at `maxRefusals` the row is set
   * aside as failed, its order marked `failed` for its owner, and one error logged. A refusal that is not the
   * sender's fault (a throttle, an SQS-side error) is retried without limit. Failing to record any of this must not
   * lose the ids the queue did take (they would be sent again); the refused rows are then retried when their
   * claim expires.
   */
  async function recordRefusals(failed: PublishResult['failed']): Promise<void> {
    try {
      const { rows } = await db.query<{ id: string; event_id: string; event_type: string; refusals: number; failed: boolean; reason: string }>(
        `WITH f AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::boolean[]) AS f(id, reason, sender_fault)),
         u AS (
           UPDATE outbox o SET last_error = f.reason,
                  refusals = o.refusals + f.sender_fault::int,
                  failed_at = CASE WHEN f.sender_fault AND o.refusals + 1 >= $4 THEN now() END,
                  claimed_until = CASE WHEN f.sender_fault AND o.refusals + 1 >= $4 THEN NULL ELSE now() + interval '5 seconds' END
             FROM f WHERE o.id = f.id
           RETURNING o.id, o.event_id, o.event_type, o.payload, o.refusals, o.failed_at IS NOT NULL AS failed, f.reason
         ), orders_failed AS (
           UPDATE orders SET status = 'failed'
            WHERE status = 'placed' AND id IN (SELECT (payload->'order'->>'id')::uuid FROM u WHERE failed AND event_type = 'order.placed')
         )
         SELECT id::text AS id, event_id, event_type, refusals, failed, reason FROM u`,
        [failed.map((f) => f.id), failed.map((f) => f.reason), failed.map((f) => f.senderFault), maxRefusals],
      );
      for (const r of rows) {
        const fields = { outboxId: r.id, eventId: r.event_id, eventType: r.event_type, refusals: r.refusals, reason: r.reason };
        if (r.failed) logger.error(fields, 'the queue refuses this outbox event; set aside as failed (npm run outbox -- list)');
        else logger.debug(fields, 'the queue refused an outbox event; retrying');
      }
      const transient = failed.filter((f) => !f.senderFault);
      if (transient.length) logger.warn({ count: transient.length, reason: transient[0]?.reason }, 'the queue refused outbox events for now; retrying');
    } catch (err) {
      logger.warn({ err: errorSummary(err) }, 'outbox relay could not record refused messages');
    }
  }

  async function runOnce(): Promise<number> {
    const { sent } = await send(await claim([]));
    try {
      await markNow(sent);
    } finally {
      for (const id of sent) held.delete(id);
    }
    return sent.length;
  }

  async function loop(): Promise<void> {
    // Sent but not yet marked: marked by the next claim, or at once when the outbox runs dry or the loop stops.
    let carry: string[] = [];
    const forget = (ids: readonly string[]) => {
      for (const id of ids) held.delete(id);
    };
    while (!stopping) {
      let r: { claimed: number; sent: string[] };
      woken = false;
      try {
        const rows = await claim(carry);
        forget(carry);
        carry = [];
        r = await send(rows);
        if (failures > 0) logger.info({ failures }, 'outbox relay reaches the queue again; catching up');
        failures = 0;
      } catch (err) {
        // A failed claim keeps `carry` for the next attempt; a failed send comes after its claim marked it.
        failures++;
        const delay = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 20));
        // Full jitter keeps replicas from retrying in step.
        const wait = Math.round(delay / 2 + (Math.random() * delay) / 2);
        if (failures === 1 || failures % 10 === 0) logger.warn({ err: errorSummary(err), failures, retryInMs: wait }, 'outbox relay cannot send; backing off');
        await pause(wait, backoffWaiters);
        continue;
      }
      if (r.claimed < batchSize) {
        try {
          await settle(r.sent);
          forget(r.sent);
        } catch (err) {
          // Retried after a short backoff (the next claim marks them), not left for the sweep.
          carry = r.sent;
          logger.warn({ err: errorSummary(err) }, 'outbox relay could not mark rows sent; will retry');
          await pause(initialMs, backoffWaiters);
          continue;
        }
        // Idle: no timer of its own; an order, the sweep or a retry timer wakes it.
        if (!stopping && !woken) await pause(undefined, idleWaiters);
      } else {
        carry = r.sent;
      }
    }
    await markNow(carry).catch((err: unknown) => logger.warn({ err: errorSummary(err) }, 'outbox relay could not mark its last rows sent; they will be sent again'));
    forget(carry);
  }

  return {
    start() {
      if (loops.length) return;
      stopping = false;
      // Every loop claims at once: this is the sweep on start (rows a task that died left unsent).
      loops = Array.from({ length: concurrency }, () => loop());
      armSweep();
    },
    wake,
    runOnce,
    async stop() {
      stopping = true;
      clearTimeout(wakeTimer);
      wakeTimer = undefined;
      clearTimeout(sweepTimer);
      sweepTimer = undefined;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      retryDue = Infinity;
      release(idleWaiters);
      release(backoffWaiters);
      await Promise.all(loops);
      loops = [];
    },
  };
}

function errorSummary(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string };
  return `${e?.name ?? 'Error'}${e?.code ? ` ${e.code}` : ''}: ${e?.message ?? String(err)}`.slice(0, 300);
}
