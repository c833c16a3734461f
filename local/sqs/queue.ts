import { MinHeap } from './heap.js';
import type { PersistedMessage } from './records.js';

/** A message as the queue keeps it: the persisted part plus runtime state. */
export interface StoredMessage extends PersistedMessage {
  state: 'delayed' | 'ready' | 'inflight';
  visibleAt: number;
  /** Bumped on every receive: a receipt handle names the receive it came from. */
  receiveNonce: number;
  /** Bumped whenever a timer is set, so superseded heap entries are ignored. */
  timerVersion: number;
}

interface Timer {
  at: number;
  msg: StoredMessage;
  version: number;
}

export interface DedupEntry {
  messageId: string;
  seq: string;
  expiresAt: number;
}

/**
 * One queue's messages and their states. Standard queues hand out `ready` messages in arrival order; FIFO queues
 * keep each message group in order and hand out nothing from a group that has a message in flight.
 * Everything is in memory and synchronous; persistence and HTTP live elsewhere.
 */
export class Queue {
  readonly messages = new Map<string, StoredMessage>();
  private readonly ready = new Map<string, StoredMessage>();
  private readonly groups = new Map<string, StoredMessage[]>();
  private readonly groupInflight = new Map<string, number>();
  private readonly timers = new MinHeap<Timer>();
  readonly dedup = new Map<string, DedupEntry>();
  readonly counts = { ready: 0, inflight: 0, delayed: 0 };

  constructor(
    readonly name: string,
    readonly fifo: boolean,
  ) {}

  add(msg: StoredMessage, now: number): void {
    this.messages.set(msg.id, msg);
    msg.visibleAt = 0;
    if (this.fifo) {
      const key = msg.groupId ?? '';
      let group = this.groups.get(key);
      if (!group) this.groups.set(key, (group = []));
      group.push(msg);
    }
    if (msg.availableAt > now) {
      this.enter(msg, 'delayed');
      this.schedule(msg, msg.availableAt);
    } else {
      this.enter(msg, 'ready');
    }
  }

  remove(msg: StoredMessage): void {
    if (!this.messages.delete(msg.id)) return;
    this.leave(msg);
    msg.timerVersion += 1;
    if (this.fifo) {
      const key = msg.groupId ?? '';
      const group = this.groups.get(key);
      if (group) {
        const i = group.indexOf(msg);
        if (i >= 0) group.splice(i, 1);
        if (group.length === 0) this.groups.delete(key);
      }
    }
  }

  clear(): void {
    this.messages.clear();
    this.ready.clear();
    this.groups.clear();
    this.groupInflight.clear();
    this.timers.clear();
    this.counts.ready = this.counts.inflight = this.counts.delayed = 0;
  }

  /** Applies every timer that is due: delayed messages become ready, expired visibility timeouts end. */
  tick(now: number): void {
    for (let t = this.timers.peek(); t && t.at <= now; t = this.timers.peek()) {
      this.timers.pop();
      const { msg } = t;
      if (t.version !== msg.timerVersion || this.messages.get(msg.id) !== msg) continue;
      if (msg.state === 'delayed' || msg.state === 'inflight') {
        msg.visibleAt = 0;
        this.setState(msg, 'ready');
      }
    }
  }

  /** Epoch ms of the next timer, if any (the long-poll wake-up). */
  nextTimerAt(): number | undefined {
    return this.timers.peek()?.at;
  }

  /**
   * Picks up to `max` receivable messages in delivery order. `divert` may take a message away (to a dead-letter
   * queue) instead of delivering it; it returns true when it did.
   */
  take(max: number, now: number, visibilityMs: number, divert: (msg: StoredMessage) => boolean): StoredMessage[] {
    this.tick(now);
    const out: StoredMessage[] = [];
    const deliver = (msg: StoredMessage) => {
      msg.receiveCount += 1;
      msg.firstReceiveAt ??= now;
      msg.receiveNonce += 1;
      this.setState(msg, 'inflight');
      msg.visibleAt = now + visibilityMs;
      this.schedule(msg, msg.visibleAt);
      out.push(msg);
    };
    if (!this.fifo) {
      for (const msg of this.ready.values()) {
        if (out.length >= max) break;
        if (divert(msg)) continue;
        deliver(msg);
      }
      return out;
    }
    for (const [key, group] of [...this.groups]) {
      if (out.length >= max) break;
      if ((this.groupInflight.get(key) ?? 0) > 0) continue;
      // Messages of one group leave strictly in order: stop at the first that is not ready.
      for (const msg of [...group]) {
        if (out.length >= max || msg.state !== 'ready') break;
        if (divert(msg)) continue;
        deliver(msg);
      }
    }
    return out;
  }

  /** Sets a new visibility timeout on an in-flight message (0 makes it receivable at once). */
  changeVisibility(msg: StoredMessage, now: number, visibilityMs: number): void {
    if (visibilityMs <= 0) {
      msg.visibleAt = 0;
      msg.timerVersion += 1;
      this.setState(msg, 'ready');
      return;
    }
    msg.visibleAt = now + visibilityMs;
    this.schedule(msg, msg.visibleAt);
  }

  private schedule(msg: StoredMessage, at: number): void {
    msg.timerVersion += 1;
    this.timers.push({ at, msg, version: msg.timerVersion });
    // Deleted messages and changed timeouts leave stale timers behind until they fall due; with long visibility
    // timeouts that could pile up, so rebuild the heap once most of it is stale.
    const live = this.counts.inflight + this.counts.delayed;
    if (this.timers.size > 2 * live + 1024) this.timers.rebuild((t) => t.version === t.msg.timerVersion && this.messages.get(t.msg.id) === t.msg);
  }

  private setState(msg: StoredMessage, state: StoredMessage['state']): void {
    if (msg.state === state) return;
    this.leave(msg);
    this.enter(msg, state);
  }

  private enter(msg: StoredMessage, state: StoredMessage['state']): void {
    msg.state = state;
    this.counts[state] += 1;
    if (state === 'ready' && !this.fifo) this.ready.set(msg.id, msg);
    if (state === 'inflight' && this.fifo) this.bumpGroup(msg, 1);
  }

  private leave(msg: StoredMessage): void {
    this.counts[msg.state] -= 1;
    if (msg.state === 'ready' && !this.fifo) this.ready.delete(msg.id);
    if (msg.state === 'inflight' && this.fifo) this.bumpGroup(msg, -1);
  }

  private bumpGroup(msg: StoredMessage, by: number): void {
    const key = msg.groupId ?? '';
    const n = (this.groupInflight.get(key) ?? 0) + by;
    if (n > 0) this.groupInflight.set(key, n);
    else this.groupInflight.delete(key);
  }
}
