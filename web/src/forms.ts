/**
 * Client-side checks for the order and webhook forms: they give a clear message next to the field before a
 * request is sent. The server validates again (its rules are the ones that count); these mirror them.
 */

export interface OrderInput {
  item: string;
  quantity: number;
  note?: string;
}

/** The service's order schema (src/orders/routes.ts `orderInput`). Lengths in UTF-16 units, as zod counts them. */
export const ORDER_LIMITS = { itemMax: 200, quantityMin: 1, quantityMax: 1000, noteMax: 2000 } as const;

export type FieldErrors<K extends string> = Partial<Record<K, string>>;
export type Validated<T, K extends string> = { ok: true; value: T } | { ok: false; errors: FieldErrors<K> };

export function validateOrder(fields: { item: string; quantity: string; note: string }): Validated<OrderInput, 'item' | 'quantity' | 'note'> {
  const errors: FieldErrors<'item' | 'quantity' | 'note'> = {};
  const item = fields.item.trim();
  if (item === '') errors.item = 'Enter what you want to order.';
  else if (item.length > ORDER_LIMITS.itemMax) errors.item = `Keep the item to ${ORDER_LIMITS.itemMax} characters or fewer.`;

  const q = fields.quantity.trim();
  const quantity = Number(q);
  if (q === '') errors.quantity = 'Enter a quantity.';
  else if (!/^\d+$/.test(q) || !Number.isSafeInteger(quantity)) errors.quantity = 'Quantity must be a whole number.';
  else if (quantity < ORDER_LIMITS.quantityMin || quantity > ORDER_LIMITS.quantityMax) {
    errors.quantity = `Quantity must be between ${ORDER_LIMITS.quantityMin} and ${ORDER_LIMITS.quantityMax}.`;
  }

  const note = fields.note.trim();
  if (note.length > ORDER_LIMITS.noteMax) errors.note = `Keep the note to ${ORDER_LIMITS.noteMax} characters or fewer.`;

  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: { item, quantity, ...(note ? { note } : {}) } };
}

export interface WebhookInput {
  url: string;
  enabled: boolean;
}

export const WEBHOOK_URL_MAX = 2048;

/** A webhook must be https, except loopback http for local runs (the server decides whether it allows those). */
export function validateWebhook(fields: { url: string; enabled: boolean }): Validated<WebhookInput, 'url'> {
  const url = fields.url.trim();
  // The service keeps a URL even for a webhook that is off, so one is always needed.
  if (url === '') return { ok: false, errors: { url: 'Enter the URL Pier should call.' } };
  if (url.length > WEBHOOK_URL_MAX) return { ok: false, errors: { url: `Keep the URL to ${WEBHOOK_URL_MAX} characters or fewer.` } };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, errors: { url: 'Enter a full URL, like https://example.com/hooks/pier.' } };
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (!(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback))) {
    return { ok: false, errors: { url: 'The URL must start with https:// (http:// only for localhost).' } };
  }
  if (parsed.username || parsed.password) return { ok: false, errors: { url: 'The URL must not contain a user name or password.' } };
  return { ok: true, value: { url, enabled: fields.enabled } };
}
