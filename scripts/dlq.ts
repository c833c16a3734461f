/**
 * `npm run dlq -- list|redrive`: look at the dead-letter queue and send its messages back, against AWS or the
 * local SQS endpoint. Listing never deletes: messages are hidden for a moment while read, then made visible again.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '../src/config/index.js';
import { localCredentials } from '../src/config/localCredentials.js';
import { endpointString, readLocalEndpoints } from './localEndpoints.js';
import { dotenvLayer } from '../src/config/sources.js';
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type Message,
} from '@aws-sdk/client-sqs';

export const HELP = `Usage: npm run dlq -- <command> [options]

Commands:
  list      show the messages in the dead-letter queue (id, receive count, sent time, body preview)
            without deleting them
  redrive   move the dead-letter queue's messages back to their source queue (or to --queue-url) with
            StartMessageMoveTask, and report progress until it is done

Options:
  --dlq-url URL     the dead-letter queue (default: ORDER_EVENTS_DLQ_URL from the environment or .env,
                    then orderEventsDlqUrl in .pier/endpoints.json, then the DLQ named by --queue-url's
                    redrive policy)
  --queue-url URL   the source queue: for redrive, where messages go (default: back where each came from)
  --endpoint URL    SQS endpoint (default: SQS_ENDPOINT, or the local endpoint when the queue URL is local)
  --region REGION   AWS region (default: AWS_REGION, then endpoints.json, then us-east-1)
  --max N           list: at most N messages (default 100)
  --rate N          redrive: at most N messages a second (1-500; default: as fast as SQS goes)
  --json            list: one JSON object per line instead of a table
  -h, --help        this text

Settings are read from the environment, then .env (outside AWS environments). Without AWS credentials, talking
to a local endpoint uses dummy ones (it does not check them).
`;

export interface DlqIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Poll interval for redrive progress. */
  pollMs?: number;
}

class UsageError extends Error {}
class DlqError extends Error {}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function runDlq(argv: string[], io: DlqIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'dlq-url': { type: 'string' },
        'queue-url': { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        max: { type: 'string' },
        rate: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`dlq: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values: opts, positionals } = args;
  if (opts.help) {
    io.out(HELP);
    return 0;
  }
  const command = positionals[0];
  if (command !== 'list' && command !== 'redrive') {
    io.err(`dlq: ${command ? `unknown command "${command}"` : 'a command is needed'}: list or redrive\n\n${HELP}`);
    return 2;
  }

  try {
    // Settings as the rest of Pier reads them: the environment first, then `.env` (local runs only).
    const env = { ...(await readDotenv(io)), ...io.env };
    io = { ...io, env };
    const endpoints = await readLocalEndpoints(resolve(io.cwd, io.env.DATA_DIR || '.pier'));
    const queueUrl = opts['queue-url'];
    let dlqUrl = opts['dlq-url'] ?? io.env.ORDER_EVENTS_DLQ_URL ?? (queueUrl ? undefined : endpointString(endpoints, 'orderEventsDlqUrl'));
    const someUrl = dlqUrl ?? queueUrl;
    if (!someUrl) {
      throw new UsageError(
        'no dead-letter queue URL: pass --dlq-url, set ORDER_EVENTS_DLQ_URL, or run `npm start` (which writes .pier/endpoints.json)',
      );
    }
    for (const [name, value] of [['--dlq-url', dlqUrl], ['--queue-url', queueUrl], ['--endpoint', opts.endpoint]] as const) {
      if (value !== undefined && !/^https?:\/\/[^/]+/.test(value)) throw new UsageError(`${name} must be an http(s) URL, got "${value}"`);
    }
    const endpoint = opts.endpoint ?? io.env.SQS_ENDPOINT ?? localEndpointOf(someUrl) ?? undefined;
    const region = opts.region ?? io.env.AWS_REGION ?? endpointString(endpoints, 'region') ?? 'us-east-1';
    const client = makeClient({ endpoint, region, env: io.env });
    try {
      if (!dlqUrl) dlqUrl = await dlqOfSource(client, queueUrl!);
      if (command === 'list') {
        const max = opts.max === undefined ? 100 : Number(opts.max);
        if (!Number.isInteger(max) || max < 1) throw new UsageError(`--max must be a positive whole number, got "${opts.max}"`);
        await list(client, dlqUrl, max, Boolean(opts.json), io);
      } else {
        const rate = opts.rate === undefined ? undefined : Number(opts.rate);
        if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > 500)) throw new UsageError(`--rate must be 1 to 500, got "${opts.rate}"`);
        return await redrive(client, dlqUrl, queueUrl, rate, io);
      }
    } finally {
      client.destroy();
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      io.err(`dlq: ${err.message}`);
      return 2;
    }
    io.err(`dlq: ${describeError(err, opts.endpoint ?? io.env.SQS_ENDPOINT)}`);
    return 1;
  }
}

async function readDotenv(io: DlqIo): Promise<Record<string, string | undefined>> {
  if (!['local', 'test', undefined, ''].includes(io.env.PIER_ENV)) return {};
  return (await dotenvLayer(resolve(io.cwd, io.env.ENV_FILE || '.env'))).values;
}

/** A queue URL on loopback names the local endpoint itself (its origin). */
function localEndpointOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return ['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'].includes(u.hostname) ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

function makeClient(opts: { endpoint: string | undefined; region: string; env: NodeJS.ProcessEnv }): SQSClient {
  // Dummy keys only for a local stand-in: a remote endpoint (e.g. a VPC endpoint) still needs real credentials.
  const local = opts.endpoint !== undefined && localEndpointOf(opts.endpoint) !== undefined;
  return new SQSClient({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...localCredentials(local ? opts.endpoint : undefined, opts.env),
    maxAttempts: 2,
  });
}

async function dlqOfSource(client: SQSClient, queueUrl: string): Promise<string> {
  const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }));
  const policy = attrs.Attributes?.RedrivePolicy;
  if (!policy) throw new DlqError(`${queueUrl} has no redrive policy, so no dead-letter queue; pass --dlq-url`);
  const arn = (JSON.parse(policy) as { deadLetterTargetArn: string }).deadLetterTargetArn;
  const [, , , , account, name] = arn.split(':');
  return (await client.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }))).QueueUrl!;
}

async function list(client: SQSClient, dlqUrl: string, max: number, json: boolean, io: DlqIo): Promise<void> {
  const attrs = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  const visible = Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0);
  const hidden = Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  // Read with a short visibility timeout so each message is seen once, then make them all visible again.
  const seen = new Map<string, Message>();
  const handles: string[] = [];
  try {
    while (seen.size < max) {
      const got = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: Math.min(10, max - seen.size),
          VisibilityTimeout: 30,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'DeadLetterQueueSourceArn', 'MessageGroupId'],
        }),
      );
      if (!got.Messages?.length) break;
      for (const m of got.Messages) {
        handles.push(m.ReceiptHandle!);
        if (!seen.has(m.MessageId!)) seen.set(m.MessageId!, m);
      }
    }
  } finally {
    for (let i = 0; i < handles.length; i += 10) {
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: dlqUrl,
          Entries: handles.slice(i, i + 10).map((h, j) => ({ Id: `m${j}`, ReceiptHandle: h, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
  const rows = [...seen.values()].map((m) => ({
    id: m.MessageId!,
    // Reading the DLQ is a receive too: report the count from before this listing.
    receives: Math.max(0, Number(m.Attributes?.ApproximateReceiveCount ?? 1) - 1),
    sent: m.Attributes?.SentTimestamp ? new Date(Number(m.Attributes.SentTimestamp)).toISOString() : '',
    source: m.Attributes?.DeadLetterQueueSourceArn?.split(':').pop() ?? '',
    body: m.Body ?? '',
  }));
  if (json) {
    for (const r of rows) io.out(JSON.stringify(r));
    return;
  }
  io.out(`${dlqUrl}: ${visible} message(s) waiting${hidden ? `, ${hidden} in flight` : ''}${rows.length < visible ? `; showing ${rows.length}` : ''}`);
  if (rows.length === 0) return;
  io.out(['MESSAGE ID'.padEnd(36), 'RECEIVES', 'SENT'.padEnd(24), 'BODY'].join('  '));
  for (const r of rows) io.out([r.id.padEnd(36), String(r.receives).padStart(8), r.sent.padEnd(24), preview(r.body)].join('  '));
}

function preview(body: string, width = 80): string {
  const flat = body.replace(/\s+/g, ' ');
  const chars = [...flat];
  return chars.length > width ? chars.slice(0, width - 1).join('') + '…' : flat;
}

async function redrive(client: SQSClient, dlqUrl: string, queueUrl: string | undefined, rate: number | undefined, io: DlqIo): Promise<number> {
  const arnOf = async (url: string) =>
    (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const dlqAttrs = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }));
  const sourceArn = dlqAttrs.Attributes!.QueueArn!;
  if (Number(dlqAttrs.Attributes?.ApproximateNumberOfMessages ?? 0) === 0) {
    io.out(`${dlqUrl} is empty: nothing to redrive.`);
    return 0;
  }
  const destinationArn = queueUrl ? await arnOf(queueUrl) : undefined;
  await client.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      ...(destinationArn ? { DestinationArn: destinationArn } : {}),
      ...(rate ? { MaxNumberOfMessagesPerSecond: rate } : {}),
    }),
  );
  io.out(`redriving ${sourceArn} -> ${destinationArn ?? 'each message’s source queue'}`);
  let last = '';
  for (;;) {
    await new Promise((r) => setTimeout(r, io.pollMs ?? 1000));
    const task = (await client.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }))).Results?.[0];
    if (!task) throw new DlqError('the move task disappeared');
    const line = `${task.Status}: moved ${task.ApproximateNumberOfMessagesMoved ?? 0} of ${task.ApproximateNumberOfMessagesToMove ?? '?'}`;
    if (line !== last) io.out(line);
    last = line;
    if (task.Status === 'RUNNING' || task.Status === 'CANCELLING') continue;
    if (task.Status === 'COMPLETED') return 0;
    io.err(`dlq: redrive ${task.Status?.toLowerCase()}${task.FailureReason ? `: ${task.FailureReason}` : ''}`);
    // Without a destination SQS moves each message back where a redrive policy dead-lettered it from; a message
    // sent to the DLQ some other way has no such queue.
    if (!queueUrl) io.err('dlq: messages that did not reach the DLQ through a redrive policy need a destination: pass --queue-url URL');
    return 1;
  }
}

function describeError(err: unknown, endpoint: string | undefined): string {
  const e = err as Error & { code?: string; Code?: string };
  if (e instanceof DlqError) return e.message;
  switch (e.name) {
    case 'QueueDoesNotExist':
      return `the queue does not exist (${e.message})`;
    case 'CredentialsProviderError':
      return 'no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass --endpoint for the local SQS';
    case 'InvalidParameterValue':
    case 'UnsupportedOperation':
    case 'ResourceNotFoundException':
      return `${e.name}: ${e.message}`;
  }
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ECONNRESET') {
    return `cannot reach SQS${endpoint ? ` at ${endpoint}` : ''} (${e.code}); for the local endpoint, is \`npm start\` running?`;
  }
  return `${e.name ?? 'Error'}: ${e.message}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const code = await runDlq(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    out: (l) => process.stdout.write(l.endsWith('\n') ? l : `${l}\n`),
    err: (l) => process.stderr.write(l.endsWith('\n') ? l : `${l}\n`),
  });
  process.exitCode = code;
}
