import type { MessageAttributeValue } from './md5.js';

/** The persisted part of a message (see `StoredMessage`). */
export interface PersistedMessage {
  id: string;
  body: string;
  md5Body: string;
  attrs?: Record<string, MessageAttributeValue>;
  md5Attrs?: string;
  systemAttrs?: Record<string, MessageAttributeValue>;
  sentAt: number;
  firstReceiveAt?: number;
  receiveCount: number;
  groupId?: string;
  dedupId?: string;
  seq?: string;
  dlqSourceArn?: string;
  /** Epoch ms when the message first becomes receivable (DelaySeconds). */
  availableAt: number;
}

/**
 * One change to the queues, as written to the journal (one JSON line each). Visibility changes are not recorded:
 * after a restart every message is visible again, as if its visibility timeout had ended.
 */
export type JournalRecord =
  | { o: 'cq'; name: string; attrs: Record<string, string>; tags?: Record<string, string>; created: number; modified: number }
  | { o: 'sa'; q: string; attrs: Record<string, string>; modified: number }
  | { o: 'tg'; q: string; tags: Record<string, string> }
  | { o: 'dq'; q: string }
  | { o: 'pq'; q: string }
  | { o: 's'; q: string; m: PersistedMessage }
  | { o: 'r'; q: string; id: string; c: number; f: number }
  | { o: 'd'; q: string; id: string }
  | { o: 'mv'; q: string; to: string; id: string; c: number; src?: string }
  | { o: 'dd'; q: string; k: string; id: string; seq: string; exp: number }
  | { o: 'sq'; n: number };
