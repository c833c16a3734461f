import { describe, expect, it } from 'vitest';
import { MalformedResultError, mapResultV2 } from './result.js';

const text = (r: ReturnType<typeof mapResultV2>) => r.body.toString('utf8');

describe('mapResultV2', () => {
  it('infers a 200 JSON response for results without statusCode', () => {
    for (const [value, body] of [
      [{ a: 1 }, '{"a":1}'],
      ['plain', 'plain'],
      [42, '42'],
      [[1, 2], '[1,2]'],
      [null, 'null'],
      [undefined, 'null'],
      [{ statuscode: 201 }, '{"statuscode":201}'],
    ] as const) {
      const r = mapResultV2(value);
      expect(r.statusCode).toBe(200);
      expect(r.headers).toEqual({ 'content-type': 'application/json' });
      expect(text(r)).toBe(body);
    }
  });

  it('honours a structured result', () => {
    const r = mapResultV2({
      statusCode: '202',
      headers: { 'X-A': 'a', 'X-N': 5, 'X-Skip': undefined },
      multiValueHeaders: { 'x-a': ['b'] },
      cookies: ['a=1', 'b=2'],
      body: 'aGk=',
      isBase64Encoded: true,
    });
    expect(r.statusCode).toBe(202);
    expect(r.headers).toEqual({ 'x-a': ['a', 'b'], 'x-n': '5', 'set-cookie': ['a=1', 'b=2'], 'content-type': 'application/json' });
    expect(text(r)).toBe('hi');
    expect(mapResultV2({ statusCode: 204 }).body.length).toBe(0);
    expect(mapResultV2({ statusCode: 204 }).headers).toEqual({});
  });

  it('refuses results that cannot be a response', () => {
    for (const bad of [{ statusCode: 'teapot' }, { statusCode: 99 }, { statusCode: 600 }, { statusCode: 200, body: { a: 1 } }, { statusCode: 200, headers: 'x' }, { statusCode: 200, cookies: 'a=1' }]) {
      expect(() => mapResultV2(bad), JSON.stringify(bad)).toThrow(MalformedResultError);
    }
  });
});
