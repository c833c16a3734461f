import { describe, expect, it, vi } from 'vitest';
import { Api, ApiError, errorMessage, toNotification, toOrder, toPage, toProfile } from './api';

function api(responses: Array<Response | Error>, tokens: { current: string | null; next: string | null } = { current: 't1', next: 't2' }) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const onUnauthorized = vi.fn();
  const client = new Api({
    baseUrl: 'http://api.test',
    fetch: (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      const r = responses.shift();
      if (!r) throw new Error('no more responses');
      if (r instanceof Error) throw r;
      return r;
    }) as unknown as typeof fetch,
    token: async () => tokens.current,
    refresh: async () => {
      tokens.current = tokens.next;
      return tokens.next;
    },
    onUnauthorized,
  });
  return { client, calls, onUnauthorized };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('Api', () => {
  it('sends the bearer token and the idempotency key with a new order', async () => {
    const { client, calls } = api([json(201, { id: 'o1', item: 'mug', quantity: 2, note: null, status: 'placed', createdAt: '2026-01-01T00:00:00Z' })]);
    const order = await client.placeOrder({ item: 'mug', quantity: 2 }, 'key-1');
    expect(order).toEqual({ id: 'o1', item: 'mug', quantity: 2, status: 'placed', createdAt: '2026-01-01T00:00:00Z' });
    const { url, init } = calls[0] as { url: string; init: RequestInit };
    expect(url).toBe('http://api.test/orders');
    expect(init.method).toBe('POST');
    expect(init.headers).toMatchObject({ authorization: 'Bearer t1', 'idempotency-key': 'key-1', 'content-type': 'application/json' });
    expect(JSON.parse(init.body as string)).toEqual({ item: 'mug', quantity: 2 });
  });

  it('pages notifications with limit and cursor', async () => {
    const { client, calls } = api([json(200, { items: [{ id: 'n1', orderId: 'o1', message: 'Order placed', createdAt: 'x' }], nextCursor: 'c2' })]);
    const page = await client.notifications({ limit: 5, cursor: 'c/1' });
    expect(calls[0]?.url).toBe('http://api.test/me/notifications?limit=5&cursor=c%2F1');
    expect(page).toEqual({ items: [{ id: 'n1', orderId: 'o1', message: 'Order placed', createdAt: 'x' }], nextCursor: 'c2' });
  });

  it('retries once with a refreshed token after a 401', async () => {
    const { client, calls, onUnauthorized } = api([json(401, { message: 'Unauthorized' }), json(200, { sub: 's', username: 'u', counts: { orders: 1, notifications: 2 } })]);
    expect(await client.me()).toEqual({ sub: 's', username: 'u', counts: { orders: 1, notifications: 2 } });
    expect((calls[1]?.init.headers as Record<string, string>).authorization).toBe('Bearer t2');
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('ends the session when a fresh token is refused too', async () => {
    const { client, onUnauthorized } = api([json(401, {}), json(401, {})]);
    await expect(client.orders()).rejects.toMatchObject({ status: 401, code: 'SIGNED_OUT' });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('does not call the API when signed out', async () => {
    const { client, calls } = api([], { current: null, next: null });
    await expect(client.me()).rejects.toMatchObject({ code: 'SIGNED_OUT' });
    expect(calls).toHaveLength(0);
  });

  it("turns the API's {message} and validation details into the error", async () => {
    const { client } = api([json(400, { message: 'the order is invalid', code: 'VALIDATION_FAILED', details: [{ path: 'quantity', message: 'Too big' }] })]);
    const err = await client.placeOrder({ item: 'x', quantity: 5000 }, 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', message: 'the order is invalid (quantity: Too big)' });
  });

  it('reports a network failure as status 0 and an unreadable reply clearly', async () => {
    const { client } = api([new TypeError('fetch failed'), new Response('<html>', { status: 200 }), new Response('oops', { status: 502 })]);
    await expect(client.me()).rejects.toMatchObject({ status: 0, code: 'NETWORK' });
    await expect(client.me()).rejects.toThrow(/could not read/);
    await expect(client.me()).rejects.toMatchObject({ status: 502, message: 'Request failed (HTTP 502).' });
  });
});

describe('reading replies', () => {
  it('keeps only typed fields', () => {
    expect(toOrder({ id: 'o', item: 5, quantity: '3', note: null })).toEqual({ id: 'o', item: '5', quantity: 0 });
    expect(toNotification({ id: 'n', message: { evil: true }, type: 'order.placed' })).toEqual({ id: 'n', message: 'order.placed' });
    expect(toProfile({ user: { sub: 's', username: 'u', email: 'e@x' }, counts: { orders: 2 } })).toEqual({ sub: 's', username: 'u', email: 'e@x', counts: { orders: 2, notifications: undefined } });
    expect(toPage('nonsense', toOrder)).toEqual({ items: [] });
    expect(errorMessage(null, 500)).toBe('Request failed (HTTP 500).');
  });
});
