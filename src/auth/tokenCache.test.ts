import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from './tokenCache.js';
import type { User } from './types.js';

const user = (sub: string): User => ({ sub, username: sub, groups: [], scopes: [], tokenUse: 'access', clientId: 'c' });

describe('VerifiedTokenCache', () => {
  it('returns entries until their exp, then forgets them', () => {
    let now = 1_000_000;
    const cache = new VerifiedTokenCache(10, () => now);
    cache.set('t1', user('a'), 1_000 + 5); // exp 1_005 s = 1_005_000 ms
    expect(cache.get('t1')?.sub).toBe('a');
    now = 1_004_999;
    expect(cache.get('t1')?.sub).toBe('a');
    now = 1_005_000;
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not store a token that has already expired', () => {
    const cache = new VerifiedTokenCache(10, () => 2_000_000);
    cache.set('old', user('a'), 1_999);
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const cache = new VerifiedTokenCache(2, () => 0);
    cache.set('a', user('a'), 100);
    cache.set('b', user('b'), 100);
    expect(cache.get('a')?.sub).toBe('a'); // a is now the most recent
    cache.set('c', user('c'), 100);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.sub).toBe('a');
    expect(cache.get('c')?.sub).toBe('c');
    expect(cache.size).toBe(2);
  });

  it('refuses a nonsensical capacity', () => {
    expect(() => new VerifiedTokenCache(0)).toThrow(RangeError);
  });
});
