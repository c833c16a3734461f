import { requireSetting, type Config } from '../config/index.js';
import { createWebhookSender, signingKeyBytes, type WebhookSender } from './webhook.js';

/**
 * A WebhookSender that reads the signing key, timeout and loopback switch from the CURRENT config on every call (a
 * ConfigStore's `get`), so a key rotated in Secrets Manager signs the next webhook without a restart. The sender is
 * rebuilt only when one of those values changed. WEBHOOK_SIGNING_KEY_PREVIOUS, when set (after a rotation), adds a second
 * signature so receivers still holding the old key keep verifying. A key missing at send time throws ConfigError (CONFIG_MISSING).
 */
export function createLiveWebhookSender(current: () => Config): WebhookSender {
  let built: { fingerprint: string; send: WebhookSender } | undefined;
  return (url, id, body) => {
    const config = current();
    const key = requireSetting(config, 'WEBHOOK_SIGNING_KEY').reveal();
    // Across a rotation the previous key signs too (a second signature), unless it is the same key.
    const previous = config.WEBHOOK_SIGNING_KEY_PREVIOUS?.reveal();
    const overlap = previous !== undefined && previous !== key ? previous : undefined;
    const fingerprint = `${key}\n${overlap ?? ''}\n${config.WEBHOOK_TIMEOUT_MS}\n${config.WEBHOOK_ALLOW_LOOPBACK}`;
    if (built?.fingerprint !== fingerprint) {
      built = {
        fingerprint,
        send: createWebhookSender({
          signingKey: signingKeyBytes(key),
          previousSigningKey: overlap === undefined ? undefined : signingKeyBytes(overlap),
          timeoutMs: config.WEBHOOK_TIMEOUT_MS,
          allowLoopback: config.WEBHOOK_ALLOW_LOOPBACK,
        }),
      };
    }
    return built.send(url, id, body);
  };
}
