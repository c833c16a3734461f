import { describe, expect, it } from 'vitest';
import { claimsForEvent, decodeVerifiedPayload } from './claims.js';

describe('claimsForEvent', () => {
  it('renders every claim as a string, as API Gateway passes them', () => {
    expect(
      claimsForEvent({
        sub: 'u1',
        exp: 1767225600,
        ratio: 0.5,
        email_verified: true,
        'cognito:groups': ['admin', 'ops'],
        empty: [],
        nested: { b: 2, a: 'x' },
        nothing: null,
        gone: undefined,
      }),
    ).toEqual({
      sub: 'u1',
      exp: '1767225600',
      ratio: '0.5',
      email_verified: 'true',
      'cognito:groups': '[admin ops]',
      empty: '[]',
      nested: 'map[a:x b:2]',
      nothing: '<nil>',
    });
  });
});

describe('decodeVerifiedPayload', () => {
  it('reads the payload segment', () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'u1', n: 1 })).toString('base64url');
    expect(decodeVerifiedPayload(`h.${payload}.s`)).toEqual({ sub: 'u1', n: 1 });
  });
});
