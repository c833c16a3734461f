import { createHash, randomUUID } from 'node:crypto';
import { actionHandler } from '../awsJson.js';
import { errors, SqsError } from './errors.js';
import { md5Hex, md5OfAttributes, type MessageAttributeValue } from './md5.js';
import { Queue, type StoredMessage } from './queue.js';
import type { JournalRecord, PersistedMessage } from './records.js';
import {
  ACCOUNT_ID,
  checkBatchEntries,
  checkCharacters,
  checkMessageAttributes,
  cleanAttributes,
  intParam,
  MAX_MESSAGE_BYTES,
  numberOf,
  stringParam,
  text,
  validQueueName,
} from './validate.js';

export interface SqsCoreOptions {
  region: string;
  /** Base URL queue URLs are built from (known only once the server listens). */
  baseUrl: () => string;
  /** Receives every change, in order, for the journal. */
  persist?: (record: JournalRecord) => void;
  now?: () => number;
}

const DEDUP_WINDOW_MS = 5 * 60_000;

const DEFAULTS: Record<string, string> = {
  VisibilityTimeout: '30',
  MaximumMessageSize: String(MAX_MESSAGE_BYTES),
  MessageRetentionPeriod: '345600',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
  SqsManagedSseEnabled: 'true',
};
const FIFO_DEFAULTS: Record<string, string> = {
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'queue',
  FifoThroughputLimit: 'perQueue',
};
const INT_ATTRS: Record<string, [number, number]> = {
  VisibilityTimeout: [0, 43_200],
  MaximumMessageSize: [1024, MAX_MESSAGE_BYTES],
  MessageRetentionPeriod: [60, 1_209_600],
  DelaySeconds: [0, 900],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
};
const SETTABLE = new Set([
  ...Object.keys(INT_ATTRS),
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'Policy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);
const COMPUTED = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
];
const SYSTEM_ATTRS = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
];

interface Waiter {
  max: number;
  visibilityMs: number;
  deliver: (msgs: StoredMessage[]) => void;
}

interface QueueState {
  queue: Queue;
  name: string;
  arn: string;
  attrs: Record<string, string>;
  tags: Record<string, string>;
  created: number;
  modified: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
  waiters: Waiter[];
  wakeTimer?: NodeJS.Timeout;
}

export interface MoveTask {
  handle: string;
  sourceArn: string;
  destinationArn?: string;
  maxPerSecond?: number;
  status: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  moved: number;
  toMove: number;
  started: number;
  failureReason?: string;
  timer?: NodeJS.Timeout;
}

type Input = Record<string, unknown>;
type Output = Record<string, unknown>;
type Action = (input: Input, signal?: AbortSignal) => Output | Promise<Output>;

/**
 * The SQS semantics: queues by name, actions taking and returning the JSON protocol's shapes. Long polls wait on
 * the queue; every change goes to `persist` in order, and `apply` replays such records at start-up.
 */
export class SqsCore {
  private readonly queues = new Map<string, QueueState>();
  private readonly tasks: MoveTask[] = [];
  private readonly now: () => number;
  private readonly persistFn: (record: JournalRecord) => void;
  private seq = 0;
  private sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: SqsCoreOptions) {
    this.now = opts.now ?? Date.now;
    this.persistFn = opts.persist ?? (() => {});
    // Retention: messages older than MessageRetentionPeriod are dropped, checked once a second.
    this.sweepTimer = setInterval(() => this.sweepRetention(), 1000);
    this.sweepTimer.unref();
  }

  readonly actions: Record<string, Action> = {
    CreateQueue: (i) => this.createQueue(i),
    GetQueueUrl: (i) => this.getQueueUrl(i),
    ListQueues: (i) => this.listQueues(i),
    DeleteQueue: (i) => this.deleteQueue(i),
    PurgeQueue: (i) => this.purgeQueue(i),
    GetQueueAttributes: (i) => this.getQueueAttributes(i),
    SetQueueAttributes: (i) => this.setQueueAttributes(i),
    TagQueue: (i) => this.tagQueue(i),
    UntagQueue: (i) => this.untagQueue(i),
    ListQueueTags: (i) => ({ Tags: { ...this.queueOf(i).tags } }),
    ListDeadLetterSourceQueues: (i) => this.listDeadLetterSourceQueues(i),
    SendMessage: (i) => this.sendMessage(i),
    SendMessageBatch: (i) => this.sendMessageBatch(i),
    ReceiveMessage: (i, signal) => this.receiveMessage(i, signal),
    DeleteMessage: (i) => this.deleteMessage(i),
    DeleteMessageBatch: (i) => this.deleteMessageBatch(i),
    ChangeMessageVisibility: (i) => this.changeMessageVisibility(i),
    ChangeMessageVisibilityBatch: (i) => this.changeMessageVisibilityBatch(i),
    StartMessageMoveTask: (i) => this.startMessageMoveTask(i),
    CancelMessageMoveTask: (i) => this.cancelMessageMoveTask(i),
    ListMessageMoveTasks: (i) => this.listMessageMoveTasks(i),
  };

  /** Runs one action; unknown actions (including Object.prototype's names) are an `InvalidAction` error. */
  async handle(action: string, input: Input, signal?: AbortSignal): Promise<Output> {
    const fn = actionHandler(this.actions, action);
    if (!fn) throw errors.invalidAction(action);
    return fn(input ?? {}, signal);
  }

  queueUrl(name: string): string {
    return `${this.opts.baseUrl()}/${ACCOUNT_ID}/${name}`;
  }

  private arnOf(name: string): string {
    return `arn:aws:sqs:${this.opts.region}:${ACCOUNT_ID}:${name}`;
  }

  /** Stops timers and answers waiting long polls with no messages. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const q of this.queues.values()) this.releaseWaiters(q);
    for (const t of this.tasks) clearTimeout(t.timer);
  }

  // --- persistence ---------------------------------------------------------------------------------------------

  private replaying = false;

  private persist(record: JournalRecord): void {
    if (!this.replaying) this.persistFn(record);
  }

  /** Replays one journal record (start-up). Messages that were in flight come back visible. */
  apply(record: JournalRecord): void {
    this.replaying = true;
    try {
      const q = 'q' in record ? this.queues.get(record.q) : undefined;
      switch (record.o) {
        case 'cq':
          this.putQueue(record.name, record.attrs, record.tags ?? {}, record.created, record.modified);
          break;
        case 'sa':
          if (q) this.putAttributes(q, record.attrs, record.modified);
          break;
        case 'tg':
          if (q) q.tags = record.tags;
          break;
        case 'dq':
          if (q) this.removeQueue(q);
          break;
        case 'pq':
          if (q) this.purge(q);
          break;
        case 's':
          if (q) {
            const m = record.m;
            if (m.seq) this.seq = Math.max(this.seq, Number(m.seq));
            const dup = q.queue.messages.get(m.id);
            if (dup) q.queue.remove(dup);
            q.queue.add(toStored(m), this.now());
            // The deduplication window outlives the message (and is rebuilt from its send).
            if (m.dedupId !== undefined && m.seq && m.sentAt + DEDUP_WINDOW_MS > this.now()) {
              q.queue.dedup.set(this.dedupKey(q, m.groupId, m.dedupId), { messageId: m.id, seq: m.seq, expiresAt: m.sentAt + DEDUP_WINDOW_MS });
            }
          }
          break;
        case 'r': {
          const msg = q?.queue.messages.get(record.id);
          if (msg) {
            msg.receiveCount = record.c;
            msg.firstReceiveAt ??= record.f;
          }
          break;
        }
        case 'd': {
          const msg = q?.queue.messages.get(record.id);
          if (q && msg) q.queue.remove(msg);
          break;
        }
        case 'mv': {
          const msg = q?.queue.messages.get(record.id);
          const to = this.queues.get(record.to);
          if (q && msg && to) this.move(q, to, msg, record.c, record.src);
          break;
        }
        case 'sq':
          this.seq = Math.max(this.seq, record.n);
          break;
        case 'dd':
          if (q && record.exp > this.now()) q.queue.dedup.set(record.k, { messageId: record.id, seq: record.seq, expiresAt: record.exp });
          break;
      }
    } finally {
      this.replaying = false;
    }
  }

  /** The whole state as records: what a compacted journal holds. */
  snapshot(): JournalRecord[] {
    // FIFO sequence numbers only grow, even once the messages that had the highest are gone.
    const out: JournalRecord[] = [{ o: 'sq', n: this.seq }];
    for (const q of this.queues.values()) {
      out.push({ o: 'cq', name: q.name, attrs: { ...q.attrs }, tags: { ...q.tags }, created: q.created, modified: q.modified });
    }
    const now = this.now();
    for (const q of this.queues.values()) {
      for (const msg of q.queue.messages.values()) out.push({ o: 's', q: q.name, m: toPersisted(msg) });
      for (const [k, d] of q.queue.dedup) {
        if (d.expiresAt > now) out.push({ o: 'dd', q: q.name, k, id: d.messageId, seq: d.seq, exp: d.expiresAt });
      }
    }
    return out;
  }

  // --- queues --------------------------------------------------------------------------------------------------

  /**
   * The queue a QueueUrl names: `http(s)://<any host>/<account id>/<queue name>`. As in SQS
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html#API_SendMessage_Errors,
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/troubleshooting-api-errors.html):
   * a URL that is not an http(s) queue URL, or whose account id is not an account id, is `InvalidAddress` ("The
   * specified ID is invalid"; the SDKs document it as "The accountId is invalid"); another account's queue is
   * `QueueDoesNotExist`, SQS's answer for a queue that "does not exist or you do not have access to it": this
   * endpoint is one account, ACCOUNT_ID, the one its own queue URLs and ARNs name.
   */
  private queueOf(input: Input): QueueState {
    const url = input.QueueUrl;
    if (url === undefined || url === null || url === '') throw errors.missingParameter('QueueUrl');
    if (typeof url !== 'string') throw errors.invalidAddress(text(url));
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw errors.invalidAddress(url);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw errors.invalidAddress(url);
    // The SDK may send the URL with any host (its own endpoint, the Docker host name...): the path picks the queue.
    const parts = parsed.pathname.split('/').filter(Boolean);
    if (parts.length !== 2) throw errors.invalidAddress(url);
    const [account, name] = parts as [string, string];
    if (!/^\d{12}$/.test(account)) throw errors.invalidAddress(url);
    let decoded: string;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      throw errors.invalidAddress(url);
    }
    if (account !== ACCOUNT_ID) throw errors.queueDoesNotExist(decoded);
    const q = this.queues.get(decoded);
    if (!q) throw errors.queueDoesNotExist(decoded);
    return q;
  }

  private queueByArn(arn: string): QueueState | undefined {
    const prefix = `arn:aws:sqs:${this.opts.region}:${ACCOUNT_ID}:`;
    if (!arn.startsWith(prefix)) return undefined;
    return this.queues.get(arn.slice(prefix.length));
  }

  private createQueue(input: Input): Output {
    const name = stringParam(input.QueueName, 'QueueName');
    const given = (input.Attributes ?? {}) as Record<string, unknown>;
    if (typeof given !== 'object') throw errors.invalidParameterValue('Attributes must be a map.');
    const fifo = name.endsWith('.fifo');
    if (!validQueueName(name, fifo)) {
      throw errors.invalidParameterValue(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (a FIFO queue name ends with .fifo).',
      );
    }
    const wantFifo = given.FifoQueue === true || given.FifoQueue === 'true';
    if (wantFifo !== fifo) {
      throw errors.invalidParameterValue(fifo ? 'A FIFO queue needs the attribute FifoQueue=true.' : 'The name of a FIFO queue must end with the .fifo suffix.');
    }
    const existing = this.queues.get(name);
    const attrs = this.checkAttributes(name, given, fifo, true);
    if (existing) {
      for (const [k, v] of Object.entries(attrs)) {
        if ((existing.attrs[k] ?? '') !== v) throw errors.queueNameExists(name);
      }
      return { QueueUrl: this.queueUrl(name) };
    }
    const now = this.now();
    const all = { ...DEFAULTS, ...(fifo ? FIFO_DEFAULTS : {}), ...attrs };
    const tags = tagMap(input.tags ?? input.Tags);
    this.putQueue(name, all, { ...tags }, now, now);
    this.persist({ o: 'cq', name, attrs: all, tags, created: now, modified: now });
    return { QueueUrl: this.queueUrl(name) };
  }

  /** Validates settable attributes and returns them normalised (strings, RedrivePolicy re-serialised). */
  private checkAttributes(name: string, given: Record<string, unknown>, fifo: boolean, creating: boolean): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, raw] of Object.entries(given)) {
      const v = text(raw);
      if (k === 'FifoQueue') {
        if (!creating) throw errors.invalidAttributeName(k);
        out[k] = v;
        continue;
      }
      if (!SETTABLE.has(k)) throw errors.invalidAttributeName(k);
      const range = INT_ATTRS[k];
      if (range) {
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < range[0] || n > range[1]) {
          throw errors.invalidAttributeValue(`Invalid value for the parameter ${k}: must be an integer from ${range[0]} to ${range[1]}.`);
        }
        out[k] = String(n);
      } else if (k === 'RedrivePolicy') {
        out[k] = v === '' ? '' : this.checkRedrivePolicy(name, v, fifo);
      } else if ((k === 'ContentBasedDeduplication' || k === 'DeduplicationScope' || k === 'FifoThroughputLimit') && !fifo) {
        throw errors.invalidAttributeName(k);
      } else if (k === 'ContentBasedDeduplication' || k === 'SqsManagedSseEnabled') {
        if (v !== 'true' && v !== 'false') throw errors.invalidAttributeValue(`Invalid value for the parameter ${k}: must be true or false.`);
        out[k] = v;
      } else {
        out[k] = v;
      }
    }
    return out;
  }

  private checkRedrivePolicy(name: string, value: string, fifo: boolean): string {
    let parsed: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } | null;
    try {
      parsed = JSON.parse(value) as typeof parsed;
    } catch {
      parsed = null;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw errors.invalidAttributeValue('Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.');
    }
    const arn = parsed.deadLetterTargetArn;
    const max = numberOf(parsed.maxReceiveCount);
    if (typeof arn !== 'string' || !Number.isInteger(max) || max < 1 || max > 1000) {
      throw errors.invalidAttributeValue(
        'Invalid value for the parameter RedrivePolicy. Reason: needs deadLetterTargetArn and maxReceiveCount (1 to 1000).',
      );
    }
    const dlq = this.queueByArn(arn);
    if (!dlq) throw errors.invalidAttributeValue(`Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`);
    if (dlq.name === name) throw errors.invalidAttributeValue('Value for parameter RedrivePolicy is invalid. Reason: a queue cannot be its own dead-letter queue.');
    if (dlq.queue.fifo !== fifo) {
      throw errors.invalidAttributeValue('Value for parameter RedrivePolicy is invalid. Reason: a FIFO queue needs a FIFO dead-letter queue, a standard queue a standard one.');
    }
    return JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: max });
  }

  private putQueue(name: string, attrs: Record<string, string>, tags: Record<string, string>, created: number, modified: number): void {
    const q: QueueState = { queue: new Queue(name, name.endsWith('.fifo')), name, arn: this.arnOf(name), attrs: {}, tags, created, modified, waiters: [] };
    this.queues.set(name, q);
    this.putAttributes(q, attrs, modified);
  }

  private putAttributes(q: QueueState, attrs: Record<string, string>, modified: number): void {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === '' && (k === 'RedrivePolicy' || k === 'RedriveAllowPolicy' || k === 'Policy')) delete q.attrs[k];
      else q.attrs[k] = v;
    }
    q.modified = modified;
    q.redrive = q.attrs.RedrivePolicy ? (JSON.parse(q.attrs.RedrivePolicy) as QueueState['redrive']) : undefined;
  }

  private getQueueUrl(input: Input): Output {
    const name = stringParam(input.QueueName, 'QueueName');
    if (!this.queues.has(name)) throw errors.queueDoesNotExist(name);
    return { QueueUrl: this.queueUrl(name) };
  }

  private listQueues(input: Input): Output {
    const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
    const max = intParam(input.MaxResults, 'MaxResults', 1, 1000);
    const names = [...this.queues.keys()].filter((n) => n.startsWith(prefix)).sort();
    const start = typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64url').toString()) || 0 : 0;
    const page = max === undefined ? names.slice(0, 1000) : names.slice(start, start + max);
    const out: Output = {};
    if (page.length) out.QueueUrls = page.map((n) => this.queueUrl(n));
    if (max !== undefined && start + max < names.length) out.NextToken = Buffer.from(String(start + max)).toString('base64url');
    return out;
  }

  private deleteQueue(input: Input): Output {
    const q = this.queueOf(input);
    this.removeQueue(q);
    this.persist({ o: 'dq', q: q.name });
    return {};
  }

  private removeQueue(q: QueueState): void {
    this.releaseWaiters(q);
    this.queues.delete(q.name);
  }

  private purgeQueue(input: Input): Output {
    const q = this.queueOf(input);
    this.purge(q);
    this.persist({ o: 'pq', q: q.name });
    return {};
  }

  private purge(q: QueueState): void {
    q.queue.clear();
  }

  private getQueueAttributes(input: Input): Output {
    const q = this.queueOf(input);
    const names = (Array.isArray(input.AttributeNames) ? input.AttributeNames : []) as unknown[];
    q.queue.tick(this.now());
    const all: Record<string, string> = {
      ...q.attrs,
      ApproximateNumberOfMessages: String(q.queue.counts.ready),
      ApproximateNumberOfMessagesNotVisible: String(q.queue.counts.inflight),
      ApproximateNumberOfMessagesDelayed: String(q.queue.counts.delayed),
      CreatedTimestamp: String(Math.floor(q.created / 1000)),
      LastModifiedTimestamp: String(Math.floor(q.modified / 1000)),
      QueueArn: q.arn,
    };
    const out: Record<string, string> = {};
    for (const n of names.includes('All') ? Object.keys(all) : names) {
      // Own keys only: `constructor` or `__proto__` is an unknown attribute, not something inherited.
      if (typeof n !== 'string' || !Object.hasOwn(all, n)) {
        if (typeof n === 'string' && (SETTABLE.has(n) || COMPUTED.includes(n) || n === 'FifoQueue')) continue;
        throw errors.invalidAttributeName(text(n));
      }
      out[n] = all[n]!;
    }
    return Object.keys(out).length ? { Attributes: out } : {};
  }

  private setQueueAttributes(input: Input): Output {
    const q = this.queueOf(input);
    const attrs = this.checkAttributes(q.name, (input.Attributes ?? {}) as Record<string, unknown>, q.queue.fifo, false);
    const now = this.now();
    this.putAttributes(q, attrs, now);
    this.persist({ o: 'sa', q: q.name, attrs, modified: now });
    return {};
  }

  private tagQueue(input: Input): Output {
    const q = this.queueOf(input);
    q.tags = { ...q.tags, ...tagMap(input.Tags) };
    this.persist({ o: 'tg', q: q.name, tags: { ...q.tags } });
    return {};
  }

  private untagQueue(input: Input): Output {
    const q = this.queueOf(input);
    const keys = input.TagKeys ?? [];
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw errors.invalidParameterValue('TagKeys must be a list of strings.');
    for (const k of keys as string[]) delete q.tags[k];
    this.persist({ o: 'tg', q: q.name, tags: { ...q.tags } });
    return {};
  }

  private listDeadLetterSourceQueues(input: Input): Output {
    const dlq = this.queueOf(input);
    const urls = [...this.queues.values()].filter((q) => q.redrive?.deadLetterTargetArn === dlq.arn).map((q) => this.queueUrl(q.name));
    return { queueUrls: urls };
  }

  // --- sending -------------------------------------------------------------------------------------------------

  private sendMessage(input: Input): Output {
    const q = this.queueOf(input);
    const body = input.MessageBody;
    if (typeof body !== 'string' || body.length === 0) throw errors.missingParameter('MessageBody');
    this.checkMessage(q, input);
    return this.enqueue(q, input);
  }

  /** Validates one message to send; returns its size (body + attributes) in bytes. */
  private checkMessage(q: QueueState, entry: Input): number {
    const body = entry.MessageBody;
    if (typeof body !== 'string' || body.length === 0) throw errors.missingParameter('MessageBody');
    checkCharacters(body, 'message body');
    const size = Buffer.byteLength(body) + checkMessageAttributes(entry.MessageAttributes) + checkMessageAttributes(entry.MessageSystemAttributes, 'message system attribute');
    const max = Number(q.attrs.MaximumMessageSize);
    if (size > max) throw errors.invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`);
    if (q.queue.fifo) {
      if (typeof entry.MessageGroupId !== 'string' || entry.MessageGroupId === '') throw errors.missingParameter('MessageGroupId');
      if (entry.DelaySeconds !== undefined && entry.DelaySeconds !== null && numberOf(entry.DelaySeconds) !== 0) {
        throw errors.invalidParameterValue(
          `Value ${text(entry.DelaySeconds)} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
        );
      }
      if (entry.MessageDeduplicationId === undefined && q.attrs.ContentBasedDeduplication !== 'true') {
        throw errors.invalidParameterValue(
          'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      }
    } else if (entry.MessageDeduplicationId !== undefined) {
      throw errors.invalidParameterValue('The request include parameter MessageDeduplicationId that is not valid for this queue type');
    }
    for (const key of ['MessageGroupId', 'MessageDeduplicationId'] as const) {
      const v = entry[key];
      if (v !== undefined && (typeof v !== 'string' || !/^[\x21-\x7E]{1,128}$/.test(v))) {
        throw errors.invalidParameterValue(`Value ${text(v)} for parameter ${key} is invalid. Reason: 1 to 128 printable ASCII characters.`);
      }
    }
    intParam(entry.DelaySeconds, 'DelaySeconds', 0, 900);
    return size;
  }

  private enqueue(q: QueueState, entry: Input): Output {
    const now = this.now();
    const body = entry.MessageBody as string;
    const attrs = cleanAttributes(entry.MessageAttributes);
    const systemAttrs = cleanAttributes(entry.MessageSystemAttributes);
    const md5Body = md5Hex(body);
    const md5Attrs = md5OfAttributes(attrs);
    const md5Sys = md5OfAttributes(systemAttrs);
    const out: Output = { MessageId: '', MD5OfMessageBody: md5Body };
    if (md5Attrs) out.MD5OfMessageAttributes = md5Attrs;
    if (md5Sys) out.MD5OfMessageSystemAttributes = md5Sys;

    let dedupId: string | undefined;
    let dedupKey: string | undefined;
    if (q.queue.fifo) {
      dedupId = (entry.MessageDeduplicationId as string | undefined) ?? createHash('sha256').update(body).digest('hex');
      dedupKey = this.dedupKey(q, entry.MessageGroupId as string, dedupId);
      this.expireDedup(q, now);
      const seen = q.queue.dedup.get(dedupKey);
      if (seen) {
        // A duplicate within the window is accepted and answered as the first one was, but not queued again.
        return { ...out, MessageId: seen.messageId, SequenceNumber: seen.seq };
      }
    }
    const delay = q.queue.fifo ? Number(q.attrs.DelaySeconds) : (intParam(entry.DelaySeconds, 'DelaySeconds', 0, 900) ?? Number(q.attrs.DelaySeconds));
    const m: PersistedMessage = {
      id: randomUUID(),
      body,
      md5Body,
      ...(attrs ? { attrs, md5Attrs } : {}),
      ...(systemAttrs ? { systemAttrs } : {}),
      sentAt: now,
      receiveCount: 0,
      ...(typeof entry.MessageGroupId === 'string' ? { groupId: entry.MessageGroupId } : {}),
      ...(dedupId !== undefined ? { dedupId } : {}),
      ...(q.queue.fifo ? { seq: String(++this.seq).padStart(20, '0') } : {}),
      availableAt: now + delay * 1000,
    };
    out.MessageId = m.id;
    if (m.seq) out.SequenceNumber = m.seq;
    if (dedupKey !== undefined) q.queue.dedup.set(dedupKey, { messageId: m.id, seq: m.seq!, expiresAt: now + DEDUP_WINDOW_MS });
    q.queue.add(toStored(m), now);
    this.persist({ o: 's', q: q.name, m });
    this.notify(q);
    return out;
  }

  private dedupKey(q: QueueState, groupId: string | undefined, dedupId: string): string {
    return q.attrs.DeduplicationScope === 'messageGroup' ? `${groupId ?? ''}\u0000${dedupId}` : dedupId;
  }

  private expireDedup(q: QueueState, now: number): void {
    // Entries go in in time order, so expired ones are at the front.
    for (const [k, d] of q.queue.dedup) {
      if (d.expiresAt > now) break;
      q.queue.dedup.delete(k);
    }
  }

  private sendMessageBatch(input: Input): Output {
    const q = this.queueOf(input);
    const entries = checkBatchEntries<Input & { Id: string }>(input.Entries);
    let total = 0;
    for (const e of entries) {
      total += typeof e.MessageBody === 'string' ? Buffer.byteLength(e.MessageBody) : 0;
      try {
        total += checkMessageAttributes(e.MessageAttributes) + checkMessageAttributes(e.MessageSystemAttributes);
      } catch {
        // Reported per entry below.
      }
    }
    if (total > MAX_MESSAGE_BYTES) throw errors.batchTooLong(total, MAX_MESSAGE_BYTES);
    const Successful: Output[] = [];
    const Failed: Output[] = [];
    for (const e of entries) {
      try {
        this.checkMessage(q, e);
        Successful.push({ Id: e.Id, ...this.enqueue(q, e) });
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        Failed.push({ Id: e.Id, SenderFault: true, Code: err.code, Message: err.message });
      }
    }
    return { Successful, Failed };
  }

  // --- receiving -----------------------------------------------------------------------------------------------

  private async receiveMessage(input: Input, signal?: AbortSignal): Promise<Output> {
    const q = this.queueOf(input);
    const max = intParam(input.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const vt = intParam(input.VisibilityTimeout, 'VisibilityTimeout', 0, 43_200) ?? Number(q.attrs.VisibilityTimeout);
    const wait = intParam(input.WaitTimeSeconds, 'WaitTimeSeconds', 0, 20) ?? Number(q.attrs.ReceiveMessageWaitTimeSeconds);
    const format = (msgs: StoredMessage[]) => this.formatReceived(q, msgs, input);
    const msgs = this.takeFrom(q, max, vt * 1000);
    if (msgs.length > 0 || wait === 0 || this.closed) return format(msgs);
    return new Promise<Output>((resolve) => {
      const waiter: Waiter = {
        max,
        visibilityMs: vt * 1000,
        deliver: (got) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(format(got));
        },
      };
      const drop = () => {
        const i = q.waiters.indexOf(waiter);
        if (i >= 0) q.waiters.splice(i, 1);
        this.armWake(q);
      };
      const onAbort = () => {
        // The client went away: take nothing on its behalf.
        clearTimeout(timer);
        drop();
        resolve({});
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        drop();
        resolve(format([]));
      }, wait * 1000);
      signal?.addEventListener('abort', onAbort, { once: true });
      q.waiters.push(waiter);
      this.armWake(q);
    });
  }

  /** Takes messages, moving those that have used up their receives to the dead-letter queue instead. */
  private takeFrom(q: QueueState, max: number, visibilityMs: number): StoredMessage[] {
    const now = this.now();
    const got = q.queue.take(max, now, visibilityMs, (msg) => this.maybeDeadLetter(q, msg));
    for (const msg of got) this.persist({ o: 'r', q: q.name, id: msg.id, c: msg.receiveCount, f: msg.firstReceiveAt! });
    return got;
  }

  private maybeDeadLetter(q: QueueState, msg: StoredMessage): boolean {
    // As in AWS: the receive that would exceed maxReceiveCount moves the message instead of delivering it.
    if (!q.redrive || msg.receiveCount < q.redrive.maxReceiveCount) return false;
    const dlq = this.queueByArn(q.redrive.deadLetterTargetArn);
    if (!dlq) return false;
    this.move(q, dlq, msg, msg.receiveCount, q.arn);
    this.persist({ o: 'mv', q: q.name, to: dlq.name, id: msg.id, c: msg.receiveCount, src: q.arn });
    this.notify(dlq);
    return true;
  }

  /** Moves a message between queues, keeping its id, body, attributes and sent time. */
  private move(from: QueueState, to: QueueState, msg: StoredMessage, receiveCount: number, dlqSourceArn: string | undefined): void {
    from.queue.remove(msg);
    const m = toPersisted(msg);
    m.receiveCount = receiveCount;
    if (dlqSourceArn) m.dlqSourceArn = dlqSourceArn;
    else delete m.dlqSourceArn;
    m.availableAt = 0;
    to.queue.add(toStored(m), this.now());
  }

  /** Answers waiting long polls while there are messages for them, then re-arms the timer wake-up. */
  private notify(q: QueueState): void {
    while (q.waiters.length > 0) {
      const w = q.waiters[0]!;
      const msgs = this.takeFrom(q, w.max, w.visibilityMs);
      if (msgs.length === 0) break;
      q.waiters.shift();
      w.deliver(msgs);
    }
    this.armWake(q);
  }

  /** While someone waits, wake up when the next delayed or in-flight message becomes visible. */
  private armWake(q: QueueState): void {
    clearTimeout(q.wakeTimer);
    q.wakeTimer = undefined;
    if (q.waiters.length === 0 || this.closed) return;
    const at = q.queue.nextTimerAt();
    if (at === undefined) return;
    q.wakeTimer = setTimeout(() => this.notify(q), Math.max(0, at - this.now()) + 1);
  }

  private releaseWaiters(q: QueueState): void {
    clearTimeout(q.wakeTimer);
    for (const w of q.waiters.splice(0)) w.deliver([]);
  }

  private formatReceived(q: QueueState, msgs: StoredMessage[], input: Input): Output {
    if (msgs.length === 0) return {};
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    const sysNames = new Set([...strings(input.AttributeNames), ...strings(input.MessageSystemAttributeNames)]);
    const allSys = sysNames.has('All');
    const attrNames = strings(input.MessageAttributeNames);
    const wantAttr = (name: string) =>
      attrNames.some((p) => p === 'All' || p === '.*' || p === name || (p.endsWith('.*') && name.startsWith(p.slice(0, -1))));
    return {
      Messages: msgs.map((m) => {
        const out: Output = { MessageId: m.id, ReceiptHandle: encodeHandle(q.name, m), MD5OfBody: m.md5Body, Body: m.body };
        if (sysNames.size > 0) {
          const sys: Record<string, string | undefined> = {
            SenderId: ACCOUNT_ID,
            SentTimestamp: String(m.sentAt),
            ApproximateReceiveCount: String(m.receiveCount),
            ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt ?? m.sentAt),
            SequenceNumber: m.seq,
            MessageDeduplicationId: m.dedupId,
            MessageGroupId: m.groupId,
            AWSTraceHeader: m.systemAttrs?.AWSTraceHeader?.StringValue,
            DeadLetterQueueSourceArn: m.dlqSourceArn,
          };
          const picked: Record<string, string> = {};
          for (const n of SYSTEM_ATTRS) if ((allSys || sysNames.has(n)) && sys[n] !== undefined) picked[n] = sys[n];
          if (Object.keys(picked).length) out.Attributes = picked;
        }
        if (m.attrs && attrNames.length > 0) {
          const picked: Record<string, MessageAttributeValue> = Object.fromEntries(Object.entries(m.attrs).filter(([n]) => wantAttr(n)));
          const md5 = md5OfAttributes(picked);
          if (md5) {
            out.MessageAttributes = picked;
            out.MD5OfMessageAttributes = md5;
          }
        }
        return out;
      }),
    };
  }

  // --- deleting and visibility ---------------------------------------------------------------------------------

  /** Finds the message a receipt handle names; a handle that is not one of ours is `ReceiptHandleIsInvalid`. */
  private messageOf(q: QueueState, handle: unknown): { msg?: StoredMessage; nonce: number } {
    if (typeof handle !== 'string' || handle === '') throw errors.missingParameter('ReceiptHandle');
    const parsed = decodeHandle(handle);
    if (!parsed || parsed.queue !== q.name) throw errors.receiptHandleIsInvalid(handle);
    return { msg: q.queue.messages.get(parsed.id), nonce: parsed.nonce };
  }

  private deleteMessage(input: Input): Output {
    const q = this.queueOf(input);
    this.deleteOne(q, input.ReceiptHandle);
    return {};
  }

  private deleteOne(q: QueueState, handle: unknown): void {
    const { msg } = this.messageOf(q, handle);
    // Deleting a message that is already gone succeeds, as in AWS (deletes are idempotent).
    if (!msg) return;
    q.queue.remove(msg);
    this.persist({ o: 'd', q: q.name, id: msg.id });
    if (q.queue.fifo) this.notify(q);
  }

  private deleteMessageBatch(input: Input): Output {
    const q = this.queueOf(input);
    const entries = checkBatchEntries<{ Id: string; ReceiptHandle?: unknown }>(input.Entries);
    const Successful: Output[] = [];
    const Failed: Output[] = [];
    for (const e of entries) {
      try {
        this.deleteOne(q, e.ReceiptHandle);
        Successful.push({ Id: e.Id });
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        Failed.push({ Id: e.Id, SenderFault: true, Code: err.code, Message: err.message });
      }
    }
    return { Successful, Failed };
  }

  private changeMessageVisibility(input: Input): Output {
    const q = this.queueOf(input);
    this.changeOne(q, input.ReceiptHandle, input.VisibilityTimeout);
    return {};
  }

  private changeOne(q: QueueState, handle: unknown, timeout: unknown): void {
    if (timeout === undefined || timeout === null) throw errors.missingParameter('VisibilityTimeout');
    const seconds = intParam(timeout, 'VisibilityTimeout', 0, 43_200)!;
    const { msg, nonce } = this.messageOf(q, handle);
    const now = this.now();
    q.queue.tick(now);
    if (!msg || msg.state !== 'inflight' || msg.receiveNonce !== nonce) throw errors.messageNotInflight();
    q.queue.changeVisibility(msg, now, seconds * 1000);
    this.notify(q);
  }

  private changeMessageVisibilityBatch(input: Input): Output {
    const q = this.queueOf(input);
    const entries = checkBatchEntries<{ Id: string; ReceiptHandle?: unknown; VisibilityTimeout?: unknown }>(input.Entries);
    const Successful: Output[] = [];
    const Failed: Output[] = [];
    for (const e of entries) {
      try {
        this.changeOne(q, e.ReceiptHandle, e.VisibilityTimeout);
        Successful.push({ Id: e.Id });
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        Failed.push({ Id: e.Id, SenderFault: true, Code: err.code, Message: err.message });
      }
    }
    return { Successful, Failed };
  }

  // --- retention -----------------------------------------------------------------------------------------------

  private sweepRetention(): void {
    const now = this.now();
    for (const q of this.queues.values()) {
      const keepMs = Number(q.attrs.MessageRetentionPeriod) * 1000;
      for (const msg of q.queue.messages.values()) {
        if (msg.sentAt + keepMs > now) break;
        q.queue.remove(msg);
        this.persist({ o: 'd', q: q.name, id: msg.id });
      }
    }
  }

  // --- message move tasks (DLQ redrive) -----------------------------------------------------------------------

  private startMessageMoveTask(input: Input): Output {
    const sourceArn = stringParam(input.SourceArn, 'SourceArn');
    const source = this.queueByArn(sourceArn);
    if (!source) throw errors.resourceNotFound(`The resource that you specified for the SourceArn parameter doesn't exist.`);
    const isDlq = [...this.queues.values()].some((q) => q.redrive?.deadLetterTargetArn === sourceArn);
    if (!isDlq) throw errors.invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
    let destinationArn: string | undefined;
    if (input.DestinationArn !== undefined && input.DestinationArn !== null) {
      destinationArn = stringParam(input.DestinationArn, 'DestinationArn');
      if (!this.queueByArn(destinationArn)) throw errors.resourceNotFound(`The resource that you specified for the DestinationArn parameter doesn't exist.`);
      if (destinationArn === sourceArn) throw errors.invalidParameterValue('The source and destination queues must be different.');
    }
    const maxPerSecond = intParam(input.MaxNumberOfMessagesPerSecond, 'MaxNumberOfMessagesPerSecond', 1, 500);
    if (this.tasks.some((t) => t.sourceArn === sourceArn && t.status === 'RUNNING')) {
      throw errors.unsupportedOperation('There is already a task running. Only one active task is allowed for a source queue arn at a given time.');
    }
    source.queue.tick(this.now());
    const task: MoveTask = {
      handle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64'),
      sourceArn,
      ...(destinationArn ? { destinationArn } : {}),
      ...(maxPerSecond ? { maxPerSecond } : {}),
      status: 'RUNNING',
      moved: 0,
      toMove: source.queue.counts.ready,
      started: this.now(),
    };
    this.tasks.unshift(task);
    this.tasks.splice(50);
    this.runTask(task);
    return { TaskHandle: task.handle };
  }

  /** Moves a slice of messages every 100 ms (at most maxPerSecond a second) until the count taken at start is met. */
  private runTask(task: MoveTask): void {
    if (task.status !== 'RUNNING' || this.closed) return;
    const source = this.queueByArn(task.sourceArn);
    const fail = (reason: string) => {
      task.status = 'FAILED';
      task.failureReason = reason;
    };
    if (!source) return fail('The source queue no longer exists.');
    const now = this.now();
    source.queue.tick(now);
    const slice = task.maxPerSecond ? Math.max(1, Math.floor(task.maxPerSecond / 10)) : 500;
    let n = 0;
    for (const msg of [...source.queue.messages.values()]) {
      if (n >= slice || task.moved >= task.toMove) break;
      if (msg.state !== 'ready') continue;
      const destArn = task.destinationArn ?? msg.dlqSourceArn;
      if (!destArn) return fail(`Message ${msg.id} was not moved here by a redrive policy; give a DestinationArn.`);
      const dest = this.queueByArn(destArn);
      if (!dest) return fail(`The destination queue ${destArn} does not exist.`);
      // Back in a source queue the message starts afresh, or it would go straight back to the DLQ.
      this.move(source, dest, msg, 0, undefined);
      this.persist({ o: 'mv', q: source.name, to: dest.name, id: msg.id, c: 0 });
      this.notify(dest);
      task.moved += 1;
      n += 1;
    }
    if (task.moved >= task.toMove || n === 0) {
      task.status = 'COMPLETED';
      return;
    }
    task.timer = setTimeout(() => this.runTask(task), 100);
    task.timer.unref();
  }

  private cancelMessageMoveTask(input: Input): Output {
    const handle = stringParam(input.TaskHandle, 'TaskHandle');
    const task = this.tasks.find((t) => t.handle === handle);
    if (!task || task.status !== 'RUNNING') throw errors.resourceNotFound('The task handle does not name a running task.');
    task.status = 'CANCELLED';
    clearTimeout(task.timer);
    return { ApproximateNumberOfMessagesMoved: task.moved };
  }

  private listMessageMoveTasks(input: Input): Output {
    const sourceArn = stringParam(input.SourceArn, 'SourceArn');
    if (!this.queueByArn(sourceArn)) throw errors.resourceNotFound(`The resource that you specified for the SourceArn parameter doesn't exist.`);
    const max = intParam(input.MaxResults, 'MaxResults', 1, 10) ?? 1;
    return {
      Results: this.tasks
        .filter((t) => t.sourceArn === sourceArn)
        .slice(0, max)
        .map((t) => ({
          ...(t.status === 'RUNNING' ? { TaskHandle: t.handle } : {}),
          Status: t.status,
          SourceArn: t.sourceArn,
          ...(t.destinationArn ? { DestinationArn: t.destinationArn } : {}),
          ...(t.maxPerSecond ? { MaxNumberOfMessagesPerSecond: t.maxPerSecond } : {}),
          ApproximateNumberOfMessagesMoved: t.moved,
          ApproximateNumberOfMessagesToMove: t.toMove,
          ...(t.failureReason ? { FailureReason: t.failureReason } : {}),
          StartedTimestamp: t.started,
        })),
    };
  }
}

/** Tags as a map of strings (CreateQueue's `tags`, TagQueue's `Tags`); own keys only, so `__proto__` stays a tag. */
function tagMap(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw errors.invalidParameterValue('Tags must be a map of tag keys to string values.');
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function toStored(m: PersistedMessage): StoredMessage {
  return { ...m, state: 'ready', visibleAt: 0, receiveNonce: m.receiveCount, timerVersion: 0 };
}

function toPersisted(msg: StoredMessage): PersistedMessage {
  const { state: _s, visibleAt: _v, receiveNonce: _r, timerVersion: _t, ...rest } = msg;
  return rest;
}

// A receipt handle names the queue, the message and which receive it came from, so a stale or made-up handle is
// told apart from a real one. base64url keeps it opaque, as clients must treat it.
const HANDLE_PREFIX = 'pier1.';

function encodeHandle(queue: string, msg: StoredMessage): string {
  return HANDLE_PREFIX + Buffer.from(`${queue}\n${msg.id}\n${msg.receiveNonce}`).toString('base64url');
}

function decodeHandle(handle: string): { queue: string; id: string; nonce: number } | undefined {
  if (!handle.startsWith(HANDLE_PREFIX)) return undefined;
  const raw = handle.slice(HANDLE_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return undefined;
  const parts = Buffer.from(raw, 'base64url').toString('utf8').split('\n');
  if (parts.length !== 3) return undefined;
  const [queue, id, nonce] = parts as [string, string, string];
  if (!/^[0-9a-f-]{36}$/.test(id) || !/^\d+$/.test(nonce)) return undefined;
  return { queue, id, nonce: Number(nonce) };
}
