/**
 * What the local console reads, and how: every answer is built field by field from an allow-list, so a password
 * hash, SRP verifier, code, token or secret value can never reach it by accident (see docs/console.md).
 */
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LOCAL_CREDENTIALS } from '../../src/config/localCredentials.js';
import { runDlq } from '../../scripts/dlq.js';
import type { UserPool } from '../identity/pool.js';
import type { RunningPart } from '../part.js';
import type { SqsCore } from '../sqs/core.js';

/** The health endpoint of each part that has one (by part name); the others are shown as running without a check. */
export const HEALTH_PATHS: Readonly<Record<string, string>> = {
  service: '/healthz',
  gateway: '/healthz',
  identity: '/health',
  sqs: '/health',
  console: '/api/health',
};

export interface PartView {
  name: string;
  url: string | null;
  /** `ok` (health endpoint answered 2xx), `failing` (it did not), or `running` (no health endpoint to ask). */
  health: 'ok' | 'failing' | 'running';
  healthUrl: string | null;
  detail: string | null;
  notes: string[];
}

/** A start-up note may name a password (the identity part's demo account): the console shows where it is, not what. */
export function hidePasswords(note: string): string {
  return String(note).replace(/(password\s*[:=]\s*)\S+/gi, '$1(hidden: see the npm start banner)');
}

export async function partViews(parts: readonly RunningPart[], timeoutMs = 2000): Promise<PartView[]> {
  return Promise.all(
    parts.map(async (p): Promise<PartView> => {
      const path = HEALTH_PATHS[p.name];
      const base = { name: p.name, url: p.url ?? null, notes: (p.notes ?? []).map(hidePasswords) };
      if (!p.url || !path) return { ...base, health: 'running', healthUrl: null, detail: p.url ? 'no health endpoint' : null };
      const healthUrl = p.url + path;
      try {
        const res = await fetch(healthUrl, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
        await res.body?.cancel();
        return { ...base, health: res.ok ? 'ok' : 'failing', healthUrl, detail: `HTTP ${res.status}` };
      } catch (err) {
        return { ...base, health: 'failing', healthUrl, detail: (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'unreachable' };
      }
    }),
  );
}

export interface QueueView {
  name: string;
  url: string;
  visible: number;
  inFlight: number;
  delayed: number;
}

/** Counts from GetQueueAttributes on the SQS stand-in's core: reading them receives nothing. */
export async function queueViews(core: SqsCore, queues: ReadonlyArray<{ name: string; url: string }>): Promise<QueueView[]> {
  return Promise.all(
    queues.map(async ({ name, url }) => {
      const out = (await core.handle('GetQueueAttributes', {
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      })) as { Attributes?: Record<string, string> };
      const a = out.Attributes ?? {};
      return {
        name,
        url,
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    }),
  );
}

export interface UserView {
  email: string;
  status: string;
  enabled: boolean;
  groups: string[];
  sub: string;
  createdAt: string;
}

/** The pool's users: these fields only (never passwordHash, srp, codes or refresh tokens). */
export function userViews(pool: UserPool): UserView[] {
  return pool.listUsers().map((u) => ({
    email: u.email,
    status: u.status,
    enabled: u.enabled,
    groups: [...u.groups],
    sub: u.sub,
    createdAt: new Date(u.createdAt).toISOString(),
  }));
}

/** Secret names from ListSecrets on the Secrets Manager stand-in (which returns no values); names only. */
export async function secretNames(client: SecretsManagerClient): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new ListSecretsCommand({ MaxResults: 100, ...(NextToken ? { NextToken } : {}) }));
    for (const s of page.SecretList ?? []) if (s.Name) names.push(s.Name);
    NextToken = page.NextToken;
  } while (NextToken);
  return names.sort();
}

export function secretsClient(endpoint: string, region: string): SecretsManagerClient {
  return new SecretsManagerClient({ region, endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
}

export interface DlqMessageView {
  id: string;
  receives: number;
  sent: string;
  source: string;
  /** As sent: the page shows it as text, never as HTML. */
  body: string;
}

export interface DlqTarget {
  sqsUrl: string;
  region: string;
  dlqUrl: string;
  /** Where redrive sends messages: the DLQ's source queue (also for messages sent to the DLQ directly). */
  queueUrl: string;
  /** Folder the CLI code runs from (the data folder: no `.env` of the developer is read there). */
  cwd: string;
}

const cliArgs = (t: DlqTarget) => ['--dlq-url', t.dlqUrl, '--endpoint', t.sqsUrl, '--region', t.region];

/** `npm run dlq -- list --json`, the same code: messages are read and made visible again, never deleted. */
export async function listDlq(t: DlqTarget): Promise<{ messages: DlqMessageView[]; error: string | null }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runDlq(['list', '--json', ...cliArgs(t)], { env: {}, cwd: t.cwd, out: (l) => lines.push(l), err: (l) => errors.push(l) });
  const messages = lines.map((l) => JSON.parse(l) as DlqMessageView).map((m) => ({ id: m.id, receives: m.receives, sent: m.sent, source: m.source, body: m.body }));
  return { messages, error: code === 0 ? null : errors.join('\n') || `dlq list exited ${code}` };
}

export interface RedriveJob {
  id: number;
  state: 'running' | 'completed' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  /** The CLI's own progress lines (`RUNNING: moved 3 of 10`...). */
  lines: string[];
}

/** `npm run dlq -- redrive --queue-url <source>`, the same code, its progress lines collected into `job`. */
export async function redriveDlq(t: DlqTarget, job: RedriveJob, pollMs = 250): Promise<void> {
  const push = (l: string) => job.lines.push(...l.split('\n').filter(Boolean));
  try {
    const code = await runDlq(['redrive', ...cliArgs(t), '--queue-url', t.queueUrl], { env: {}, cwd: t.cwd, out: push, err: push, pollMs });
    job.state = code === 0 ? 'completed' : 'failed';
  } catch (err) {
    push(`dlq: ${(err as Error).message}`);
    job.state = 'failed';
  } finally {
    job.finishedAt = new Date().toISOString();
  }
}
