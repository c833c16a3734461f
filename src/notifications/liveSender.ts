import { requireSetting, type Config } from '../config/index.js';
import { createWebhookSender, signingKeyBytes, type WebhookSender } from './webhook.js';

/**
 * A WebhookSender that reads the signing key, timeout and loopback switch from the CURRENT config on every call (a
 * ConfigStore's `get`), so a key rotated in Secrets Manager signs the next webhook without a restart. The sender is
 * rebuilt only when one of those values changed. A key missing at send time throws ConfigError (CONFIG_MISSING).
 */
export function createLiveWebhookSender(current: () => Config): WebhookSender {
  let built: { fingerprint: string; send: WebhookSender } | undefined;
  return (url, id, body) => {
    const config = current();
    const key = requireSetting(config, 'WEBHOOK_SIGNING_KEY').reveal();
    const fingerprint = `${key}\n${config.WEBHOOK_TIMEOUT_MS}\n${config.WEBHOOK_ALLOW_LOOPBACK}`;
    if (built?.fingerprint !== fingerprint) {
      built = {
        fingerprint,
        send: createWebhookSender({ signingKey: signingKeyBytes(key), timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowLoopback: config.WEBHOOK_ALLOW_LOOPBACK }),
      };
    }
    return built.send(url, id, body);
  };
}
