import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';

const run = promisify(execFile);
const script = join(import.meta.dirname, 'dlq.ts');
const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');

let t: TestSqs;
let src: string;
let dlq: string;
let cwd: string;

/** Runs `npm run dlq -- ...` as the user would: a child process, with only the environment given. */
async function dlqCli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(tsx, [script, ...args], {
      cwd,
      env: { PATH: process.env.PATH!, HOME: cwd, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const visible = async (QueueUrl: string) =>
  Number((await t.client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes!.ApproximateNumberOfMessages);

beforeAll(async () => {
  t = await startTestSqs();
  cwd = await mkdtemp(join(tmpdir(), 'pier-dlq-cli-'));
  dlq = (await t.client.send(new CreateQueueCommand({ QueueName: 'events-dlq' }))).QueueUrl!;
  src = (
    await t.client.send(
      new CreateQueueCommand({
        QueueName: 'events',
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: t.sqs.queueArn('events-dlq'), maxReceiveCount: 2 }) },
      }),
    )
  ).QueueUrl!;
  await t.client.send(
    new SendMessageBatchCommand({
      QueueUrl: src,
      Entries: ['{"type":"order.placed","id":1}', 'poison 💀 with\nnewline', 'x'.repeat(300)].map((b, i) => ({ Id: `m${i}`, MessageBody: b })),
    }),
  );
  for (let i = 0; i < 3; i++) await t.client.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
}, 60_000);

afterAll(async () => {
  await t?.close();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('npm run dlq', () => {
  it('prints help, and usage errors exit 2', async () => {
    const help = await dlqCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run dlq -- <command>');
    const none = await dlqCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('a command is needed');
    const noUrl = await dlqCli(['list']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('no dead-letter queue URL');
    const badMax = await dlqCli(['list', '--dlq-url', dlq, '--max', 'lots']);
    expect(badMax.code).toBe(2);
    expect(badMax.stderr).toContain('--max');
  });

  it('lists the dead letters without deleting them', async () => {
    expect(await visible(dlq)).toBe(3);
    const out = await dlqCli(['list', '--dlq-url', dlq]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('3 message(s) waiting');
    expect(out.stdout).toContain('{"type":"order.placed","id":1}');
    expect(out.stdout).toContain('poison 💀 with newline');
    expect(out.stdout).toContain('x'.repeat(79) + '…');
    const rows = out.stdout.trim().split('\n').slice(2);
    expect(rows).toHaveLength(3);
    // Each was received twice in its source queue before it was dead-lettered.
    for (const row of rows) expect(row).toMatch(/^[0-9a-f-]{36}\s+2\s+\d{4}-\d\d-\d\dT/);
    expect(await visible(dlq)).toBe(3);

    await writeFile(join(cwd, '.env'), `ORDER_EVENTS_DLQ_URL=${dlq}\n`);
    const json = await dlqCli(['list', '--json', '--max', '2']);
    await rm(join(cwd, '.env'));
    const parsed = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { source: string });
    expect(parsed).toHaveLength(2);
    expect(parsed[0]!.source).toBe('events');
  });

  it('reports clear errors for a missing queue and an unreachable endpoint', async () => {
    const missing = await dlqCli(['list', '--dlq-url', `${t.sqs.url}/000000000000/nope`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('the queue does not exist');
    const down = await dlqCli(['list', '--dlq-url', 'http://127.0.0.1:9/000000000000/x']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach SQS.*ECONNREFUSED.*npm start/);
  });

  it('redrives back to the source queue, finding the DLQ through .pier/endpoints.json', async () => {
    await mkdir(join(cwd, '.pier'), { recursive: true });
    await writeFile(join(cwd, '.pier', 'endpoints.json'), JSON.stringify({ sqs: t.sqs.url, region: 'us-east-1', orderEventsDlqUrl: dlq }));
    const out = await dlqCli(['redrive']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('redriving arn:aws:sqs:us-east-1:000000000000:events-dlq');
    expect(out.stdout).toContain('COMPLETED: moved 3 of 3');
    expect(await visible(dlq)).toBe(0);
    expect(await visible(src)).toBe(3);
    const again = await dlqCli(['redrive', '--queue-url', src]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('is empty: nothing to redrive');
  });

  it('says to pass --queue-url when a message was put on the DLQ directly (no source queue), and that works', async () => {
    const direct = (await t.client.send(new CreateQueueCommand({ QueueName: 'direct-dlq' }))).QueueUrl!;
    // SQS moves only from a queue that is some queue's DLQ.
    await t.client.send(
      new CreateQueueCommand({ QueueName: 'direct', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: t.sqs.queueArn('direct-dlq'), maxReceiveCount: 2 }) } }),
    );
    await t.client.send(new SendMessageBatchCommand({ QueueUrl: direct, Entries: [{ Id: 'd', MessageBody: 'sent here by hand' }] }));
    const out = await dlqCli(['redrive', '--dlq-url', direct, '--endpoint', t.sqs.url]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('pass --queue-url URL');
    const fixed = await dlqCli(['redrive', '--dlq-url', direct, '--queue-url', src, '--endpoint', t.sqs.url]);
    expect(fixed.stderr).toBe('');
    expect(fixed.code).toBe(0);
    expect(await visible(direct)).toBe(0);
  });
});
