/** One message for the order-events queue. `id` is unique within a batch (the outbox row id). */
export interface OutboundMessage {
  id: string;
  body: string;
  /** Shown to consumers as String message attributes (event type, version). */
  attributes?: Record<string, string>;
  /**
   * The trace context the outbox row was written in (a W3C `traceparent`): the adapter sends the message as part of
   * that trace (its `traceparent` message attribute names the send span).
   */
  traceContext?: string;
}

export interface PublishResult {
  /** Ids of the messages the queue accepted. */
  sent: string[];
  /** Messages it refused, each with a short reason (from SQS's per-entry failure). */
  failed: { id: string; reason: string; senderFault: boolean }[];
}

/**
 * The port the outbox relay sends through. The SQS adapter (`sqsPublisher`) is built at the entry point; domain
 * code never sees an SDK client. Rejects when the queue cannot be reached at all.
 */
export interface Publisher {
  /** At most 10 messages (SQS's batch limit). */
  publishBatch(messages: readonly OutboundMessage[]): Promise<PublishResult>;
}
