import { join } from 'node:path';
import type { Logger } from '../../src/log.js';
import { listen } from '../awsJson.js';
import { type ServerTimeouts } from '../../src/serverTimeouts.js';
import type { RunningPart } from '../part.js';
import { SqsCore } from './core.js';
import { createSqsServer } from './http.js';
import { Journal } from './journal.js';

export interface SqsOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The local data folder; the journal lives in its `sqs/` subfolder. */
  dataDir: string;
  region: string;
  logger: Logger;
  /** fdatasync each group of changes before answering (default true); false trades power-cut safety for speed. */
  sync?: boolean;
  /** HTTP server timeouts (defaults: `serverTimeoutOptions` in local/awsJson.ts). */
  timeouts?: ServerTimeouts;
}

export interface RunningSqs extends RunningPart {
  url: string;
  core: SqsCore;
  /** `<url>/000000000000/<name>` */
  queueUrl(name: string): string;
  /** `arn:aws:sqs:<region>:000000000000:<name>` */
  queueArn(name: string): string;
  /**
   * Creates the queue if missing and sets the given attributes either way (so a changed setting, such as a
   * redrive policy's maxReceiveCount, applies on the next start). Returns its URL.
   */
  ensureQueue(name: string, attributes?: Record<string, string>): Promise<string>;
}

/**
 * Starts the local SQS-compatible endpoint: the queue core, its journal in `dataDir` (replayed and compacted
 * first, so a restart loses no message) and the JSON-protocol HTTP server.
 */
export async function startSqs(opts: SqsOptions): Promise<RunningSqs> {
  const logger = opts.logger;
  let url = '';
  // The core reports changes to the journal, which replays into the core: one of them has to be made first.
  const sink: { journal?: Journal } = {};
  const core = new SqsCore({ region: opts.region, baseUrl: () => url, persist: (r) => sink.journal?.append(r) });
  const journal = await Journal.open({
    dir: join(opts.dataDir, 'sqs'),
    replay: (r) => core.apply(r),
    snapshot: () => core.snapshot(),
    onWarning: (msg, detail) => logger.warn(detail ?? {}, msg),
    sync: opts.sync ?? true,
  });
  sink.journal = journal;
  const j = journal;
  let closing: Promise<void> | undefined;
  const server = createSqsServer({ core, logger, commit: () => j.commit(), closing: () => closing !== undefined, ...(opts.timeouts ? { timeouts: opts.timeouts } : {}) });
  url = await listen(server, opts.port, opts.host);
  logger.debug({ url, dataDir: opts.dataDir }, 'sqs endpoint listening');

  const arnPrefix = `arn:aws:sqs:${opts.region}:000000000000:`;
  return {
    name: 'sqs',
    url,
    core,
    queueUrl: (name) => core.queueUrl(name),
    queueArn: (name) => arnPrefix + name,
    async ensureQueue(name, attributes = {}) {
      const fifo = name.endsWith('.fifo');
      const { QueueUrl } = await core.handle('CreateQueue', { QueueName: name, Attributes: fifo ? { FifoQueue: 'true' } : {} });
      if (Object.keys(attributes).length > 0) await core.handle('SetQueueAttributes', { QueueUrl, Attributes: attributes });
      await j.commit();
      return QueueUrl as string;
    },
    close() {
      closing ??= (async () => {
        core.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Long polls were answered by core.close(); anything still open after that is cut.
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        });
        await j.close();
      })();
      return closing;
    },
  };
}
