import { describe, expect, it } from 'vitest';
import { validateOrder, validateWebhook } from './forms';

describe('order form validation', () => {
  const ok = { item: 'Blue mug', quantity: '2', note: '' };
  it('accepts a good order, trimming text and dropping an empty note', () => {
    expect(validateOrder({ item: '  Blue mug ', quantity: ' 2 ', note: '  ' })).toEqual({ ok: true, value: { item: 'Blue mug', quantity: 2 } });
    expect(validateOrder({ ...ok, note: ' gift wrap ' })).toEqual({ ok: true, value: { item: 'Blue mug', quantity: 2, note: 'gift wrap' } });
  });
  it('names each bad field', () => {
    const r = validateOrder({ item: ' ', quantity: '', note: 'x'.repeat(2001) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.item).toMatch(/what you want/);
    expect(r.errors.quantity).toMatch(/Enter a quantity/);
    expect(r.errors.note).toMatch(/2000/);
  });
  it.each([
    ['0', /between 1 and 1000/],
    ['1001', /between 1 and 1000/],
    ['2.5', /whole number/],
    ['-3', /whole number/],
    ['1e3', /whole number/],
    ['abc', /whole number/],
    ['99999999999999999999', /whole number/],
  ])('refuses quantity %s', (quantity, message) => {
    const r = validateOrder({ ...ok, quantity });
    expect(r.ok ? undefined : r.errors.quantity).toMatch(message);
  });
  it('allows exactly the limits', () => {
    expect(validateOrder({ item: 'x'.repeat(200), quantity: '1000', note: 'n'.repeat(2000) }).ok).toBe(true);
    expect(validateOrder({ ...ok, item: 'x'.repeat(201) }).ok).toBe(false);
    expect(validateOrder({ ...ok, quantity: '1' }).ok).toBe(true);
  });
  it('counts length as the server does (UTF-16 units)', () => {
    expect(validateOrder({ ...ok, item: '🙂'.repeat(100) }).ok).toBe(true);
    expect(validateOrder({ ...ok, item: '🙂'.repeat(101) }).ok).toBe(false);
  });
});

describe('webhook form validation', () => {
  it('accepts https URLs and loopback http', () => {
    expect(validateWebhook({ url: ' https://example.com/h ', enabled: true })).toEqual({ ok: true, value: { url: 'https://example.com/h', enabled: true } });
    expect(validateWebhook({ url: 'http://127.0.0.1:9000/h', enabled: true }).ok).toBe(true);
    expect(validateWebhook({ url: 'http://localhost/h', enabled: false }).ok).toBe(true);
  });
  it.each([
    ['', true, /Enter the URL/],
    ['example.com/h', true, /full URL/],
    ['http://example.com/h', true, /https/],
    ['ftp://example.com/h', true, /https/],
    ['https://user:pw@example.com/h', true, /user name or password/],
    [`https://example.com/${'a'.repeat(2048)}`, true, /2048/],
  ])('refuses %s', (url, enabled, message) => {
    const r = validateWebhook({ url, enabled });
    expect(r.ok ? undefined : r.errors.url).toMatch(message);
  });
  it('needs a URL even to turn the webhook off', () => {
    expect(validateWebhook({ url: ' ', enabled: false }).ok).toBe(false);
  });
});
