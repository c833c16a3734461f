/**
 * Calls to Pier's HTTP API with the session's access token. A 401 gets one refresh-and-retry; if the API still
 * refuses the token, the session ends. Errors carry the API's `{message}`.
 */
import type { OrderInput, WebhookInput } from './forms';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface ApiDeps {
  baseUrl: string;
  fetch: typeof fetch;
  token: () => Promise<string | null>;
  /** Forces a refresh after a 401; resolves to the new token or null. */
  refresh: () => Promise<string | null>;
  /** Called when the API refuses even a fresh token. */
  onUnauthorized: () => void;
}

export interface Profile {
  sub: string;
  username: string;
  email?: string;
  counts: { orders?: number; notifications?: number };
}

export interface Order {
  id: string;
  item: string;
  quantity: number;
  note?: string;
  status?: string;
  createdAt?: string;
}

export interface Notification {
  id: string;
  orderId?: string;
  message: string;
  createdAt?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export class Api {
  constructor(private readonly deps: ApiDeps) {}

  me(): Promise<Profile> {
    return this.get('/me').then(toProfile);
  }

  async notifications(opts: { limit?: number; cursor?: string } = {}): Promise<Page<Notification>> {
    return toPage(await this.get(`/me/notifications${query(opts)}`), toNotification);
  }

  async orders(opts: { limit?: number; cursor?: string } = {}): Promise<Page<Order>> {
    return toPage(await this.get(`/orders${query(opts)}`), toOrder);
  }

  async order(id: string): Promise<Order> {
    return toOrder(await this.get(`/orders/${encodeURIComponent(id)}`));
  }

  /** The idempotency key makes a retried submit (double click, network retry) create one order only. */
  async placeOrder(input: OrderInput, idempotencyKey: string): Promise<Order> {
    return toOrder(await this.request('POST', '/orders', input, { 'idempotency-key': idempotencyKey }));
  }

  async putWebhook(input: WebhookInput): Promise<unknown> {
    return this.request('PUT', '/me/webhook', input);
  }

  private get(path: string): Promise<unknown> {
    return this.request('GET', path);
  }

  private async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    let token = await this.deps.token();
    if (!token) throw new ApiError(401, 'You are signed out.', 'SIGNED_OUT');
    let res = await this.send(method, path, token, body, headers);
    if (res.status === 401) {
      token = await this.deps.refresh();
      if (token) res = await this.send(method, path, token, body, headers);
      if (!token || res.status === 401) {
        this.deps.onUnauthorized();
        throw new ApiError(401, 'Your session has ended. Please sign in again.', 'SIGNED_OUT');
      }
    }
    const text = await res.text();
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        if (res.ok) throw new ApiError(res.status, 'The server sent a reply the page could not read.');
      }
    }
    if (!res.ok) {
      throw new ApiError(res.status, errorMessage(json, res.status), typeof obj(json).code === 'string' ? (obj(json).code as string) : undefined);
    }
    return json;
  }

  private async send(method: string, path: string, token: string, body: unknown, headers: Record<string, string>): Promise<Response> {
    try {
      return await this.deps.fetch(`${this.deps.baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'Could not reach the server. Check your connection and try again.', 'NETWORK');
    }
  }
}

/** The API's `{message}`, with the fields a validation error names (`details: [{path, message}]`). */
export function errorMessage(body: unknown, status: number): string {
  const e = obj(body);
  const base = typeof e.message === 'string' && e.message ? e.message : `Request failed (HTTP ${status}).`;
  const details = Array.isArray(e.details)
    ? e.details
        .map((d) => obj(d))
        .filter((d) => typeof d.message === 'string')
        .map((d) => (typeof d.path === 'string' && d.path ? `${d.path}: ${d.message as string}` : (d.message as string)))
    : [];
  return details.length ? `${base} (${details.join('; ')})` : base;
}

function query(opts: { limit?: number; cursor?: string }): string {
  const q = new URLSearchParams();
  if (opts.limit) q.set('limit', String(opts.limit));
  if (opts.cursor) q.set('cursor', opts.cursor);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// --- reading replies: tolerant of field names, strict about types (the page renders only what it checked) ------

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export function toProfile(raw: unknown): Profile {
  const o = obj(raw);
  const user = obj(o.user);
  const counts = obj(o.counts);
  const email = str(o.email) ?? str(user.email);
  return {
    sub: str(o.sub) ?? str(user.sub) ?? '',
    username: str(o.username) ?? str(user.username) ?? '',
    ...(email ? { email } : {}),
    counts: { orders: num(counts.orders) ?? num(o.orderCount), notifications: num(counts.notifications) ?? num(o.notificationCount) },
  };
}

export function toOrder(raw: unknown): Order {
  const o = obj(obj(raw).order ?? raw);
  const note = str(o.note);
  return {
    id: str(o.id) ?? str(o.orderId) ?? '',
    item: str(o.item) ?? '',
    quantity: num(o.quantity) ?? 0,
    ...(note ? { note } : {}),
    ...(str(o.status) ? { status: str(o.status) } : {}),
    ...(str(o.createdAt) ? { createdAt: str(o.createdAt) } : {}),
  };
}

export function toNotification(raw: unknown): Notification {
  const o = obj(raw);
  const orderId = str(o.orderId) ?? str(obj(o.order).id) ?? str(obj(o.data).orderId);
  return {
    id: str(o.id) ?? '',
    ...(orderId ? { orderId } : {}),
    message: str(o.message) ?? str(o.text) ?? str(o.title) ?? str(o.type) ?? 'Notification',
    ...(str(o.createdAt) ? { createdAt: str(o.createdAt) } : {}),
  };
}

export function toPage<T>(raw: unknown, one: (x: unknown) => T): Page<T> {
  const o = obj(raw);
  const list = Array.isArray(raw) ? raw : Array.isArray(o.items) ? o.items : Array.isArray(o.orders) ? o.orders : Array.isArray(o.notifications) ? o.notifications : [];
  const next = str(o.nextCursor) ?? str(o.cursor);
  return { items: list.map(one), ...(next ? { nextCursor: next } : {}) };
}
