import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '../../src/log.js';
import type { ServerTimeouts } from '../../src/serverTimeouts.js';
import { startSqs, type RunningSqs } from './index.js';

export interface TestSqs {
  sqs: RunningSqs;
  client: SQSClient;
  dataDir: string;
  /** Stops the endpoint and starts it again on the same data folder (a new port). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** For tests and benchmarks: the endpoint on a random port with a temp data folder, and a real SDK client for it. */
export async function startTestSqs(opts: { dataDir?: string; region?: string; sync?: boolean; timeouts?: ServerTimeouts } = {}): Promise<TestSqs> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'pier-sqs-')));
  const region = opts.region ?? 'us-east-1';
  const logger = createLogger({ level: 'silent' });
  const start = () =>
    startSqs({ host: '127.0.0.1', port: 0, dataDir, region, logger, ...(opts.sync === undefined ? {} : { sync: opts.sync }), ...(opts.timeouts ? { timeouts: opts.timeouts } : {}) });
  const makeClient = (url: string) =>
    new SQSClient({ endpoint: url, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const t: TestSqs = {
    sqs: await start(),
    client: undefined as unknown as SQSClient,
    dataDir,
    async restart() {
      t.client.destroy();
      await t.sqs.close();
      t.sqs = await start();
      t.client = makeClient(t.sqs.url);
    },
    async close() {
      t.client.destroy();
      await t.sqs.close();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  t.client = makeClient(t.sqs.url);
  return t;
}
