import { SendMessageBatchCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import type { Config } from '../config/index.js';
import { LOCAL_CREDENTIALS } from '../config/localCredentials.js';
import type { Publisher } from './publisher.js';

/**
 * The SQS client for a deployment: AWS by default, or the local stand-in at SQS_ENDPOINT (with dummy credentials,
 * since the stand-in does not check signatures and a laptop may have no AWS profile).
 */
export function sqsClientFromConfig(config: Pick<Config, 'AWS_REGION' | 'SQS_ENDPOINT'>, extra: Partial<SQSClientConfig> = {}): SQSClient {
  return new SQSClient({
    region: config.AWS_REGION,
    ...(config.SQS_ENDPOINT
      ? { endpoint: config.SQS_ENDPOINT, credentials: LOCAL_CREDENTIALS }
      : {}),
    ...extra,
  });
}

/** The Publisher port over SendMessageBatch. Per-entry failures are returned, not thrown. */
export function sqsPublisher(client: SQSClient, queueUrl: string): Publisher {
  return {
    async publishBatch(messages) {
      if (messages.length === 0) return { sent: [], failed: [] };
      const out = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m) => ({
            Id: m.id,
            MessageBody: m.body,
            ...(m.attributes
              ? { MessageAttributes: Object.fromEntries(Object.entries(m.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])) }
              : {}),
          })),
        }),
      );
      return {
        sent: (out.Successful ?? []).map((s) => s.Id as string),
        failed: (out.Failed ?? []).map((f) => ({ id: f.Id as string, reason: `${f.Code ?? 'Failed'}: ${f.Message ?? ''}`.slice(0, 200), senderFault: f.SenderFault ?? false })),
      };
    },
  };
}
