import { SendMessageBatchCommand, SQSClient, type MessageAttributeValue, type SendMessageBatchRequestEntry, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { SpanKind, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { contextFromTraceparent, currentTraceparent, tracer, tracingEnabled } from '../telemetry/tracing.js';
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

export interface SqsPublisherOptions {
  /**
   * Also set the `AWSTraceHeader` message system attribute (X-Ray's format, from the same trace), which X-Ray and
   * Lambda event source mappings read. Only in AWS (PIER_ENV dev or prod): the local stand-in has no X-Ray.
   */
  awsTraceHeader?: boolean;
}

/** `Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`: a W3C trace id in X-Ray's notation (X-Ray accepts W3C ids). */
export function awsTraceHeader(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${spanId};Sampled=${traceFlags & TraceFlags.SAMPLED ? 1 : 0}`;
}

/**
 * The Publisher port over SendMessageBatch. Per-entry failures are returned, not thrown. Instrumented: a message
 * with a `traceContext` gets a PRODUCER span (pier-service, `send <queue>`) in that trace, ended when the batch
 * call returns, and carries the span's context as its `traceparent` message attribute (docs/observability.md).
 */
export function sqsPublisher(client: SQSClient, queueUrl: string, opts: SqsPublisherOptions = {}): Publisher {
  const queueName = queueUrl.split('/').pop() ?? queueUrl;
  return {
    async publishBatch(messages) {
      if (messages.length === 0) return { sent: [], failed: [] };
      const spans = new Map<string, Span>();
      const entries = messages.map((m): SendMessageBatchRequestEntry => {
        const attributes: Record<string, MessageAttributeValue> = {};
        for (const [k, v] of Object.entries(m.attributes ?? {})) attributes[k] = { DataType: 'String', StringValue: v };
        let system: SendMessageBatchRequestEntry['MessageSystemAttributes'];
        if (m.traceContext && tracingEnabled()) {
          const parent = contextFromTraceparent(m.traceContext);
          const span = tracer('service').startSpan(
            `send ${queueName}`,
            { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'aws_sqs', 'messaging.operation.type': 'send', 'messaging.destination.name': queueName, 'messaging.batch.message_count': messages.length } },
            parent,
          );
          spans.set(m.id, span);
          const traceparent = currentTraceparent(trace.setSpan(parent, span));
          if (traceparent) attributes.traceparent = { DataType: 'String', StringValue: traceparent };
          if (opts.awsTraceHeader) system = { AWSTraceHeader: { DataType: 'String', StringValue: awsTraceHeader(span) } };
        }
        return {
          Id: m.id,
          MessageBody: m.body,
          ...(Object.keys(attributes).length ? { MessageAttributes: attributes } : {}),
          ...(system ? { MessageSystemAttributes: system } : {}),
        };
      });
      let out;
      try {
        out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      } catch (err) {
        for (const span of spans.values()) {
          span.setStatus({ code: 2, message: (err as Error)?.name });
          span.end();
        }
        throw err;
      }
      const result = {
        sent: (out.Successful ?? []).map((s) => s.Id as string),
        failed: (out.Failed ?? []).map((f) => ({ id: f.Id as string, reason: `${f.Code ?? 'Failed'}: ${f.Message ?? ''}`.slice(0, 200), senderFault: f.SenderFault ?? false })),
      };
      for (const s of out.Successful ?? []) spans.get(s.Id as string)?.setAttribute('messaging.message.id', s.MessageId ?? '');
      for (const f of result.failed) spans.get(f.id)?.setStatus({ code: 2, message: f.reason });
      for (const span of spans.values()) span.end();
      return result;
    },
  };
}
