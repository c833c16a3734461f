import { describe, expect, it } from 'vitest';
import { listClaim } from './http.js';

describe('listClaim', () => {
  it('reads list claims as API Gateway renders them', () => {
    expect(listClaim('[admin ops]')).toEqual(['admin', 'ops']);
    expect(listClaim('[]')).toEqual([]);
    expect(listClaim('solo')).toEqual(['solo']);
    expect(listClaim('openid pier/orders.read')).toEqual(['openid', 'pier/orders.read']);
    expect(listClaim(['a'])).toEqual(['a']);
    expect(listClaim(undefined)).toEqual([]);
  });
});
