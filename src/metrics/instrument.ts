import type { Publisher } from '../events/publisher.js';
import type { EventHandler } from '../notifications/handler.js';
import type { WebhookSender } from '../notifications/webhook.js';
import type { Metrics } from './emf.js';

/*
 * The metrics come from the ports, as the spans do: each decorator wraps an adapter the roles build and counts what
 * passes through it, so the domain code stays free of metrics.
 */

/** EventsRelayed: the outbox rows the queue accepted. */
export const countingPublisher = (inner: Publisher, metrics: Metrics): Publisher => ({
  async publishBatch(messages) {
    const result = await inner.publishBatch(messages);
    if (result.sent.length) metrics.add('EventsRelayed', result.sent.length);
    return result;
  },
});

/** EventsProcessed and ProcessingTime (the batch's time shared by its events), DlqArrivals. */
export const countingHandler = (inner: EventHandler, metrics: Metrics): EventHandler => ({
  async handle(events) {
    const started = performance.now();
    const done = await inner.handle(events);
    if (done.size) {
      metrics.add('EventsProcessed', done.size);
      metrics.add('ProcessingTime', (performance.now() - started) / events.length);
    }
    return done;
  },
  async markDeadLettered(events) {
    metrics.add('DlqArrivals', events.length);
    await inner.markDeadLettered(events);
  },
});

/** WebhookDeliveries by Outcome. */
export const countingWebhookSender =
  (inner: WebhookSender, metrics: Metrics): WebhookSender =>
  async (url, id, body) => {
    const outcome = await inner(url, id, body);
    metrics.add('WebhookDeliveries', 1, { Outcome: outcome.status });
    return outcome;
  };
