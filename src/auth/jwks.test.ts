import { JwtBaseError } from 'aws-jwt-verify/error';
import { describe, expect, it } from 'vitest';
import { parseJwks, rs256Only } from './jwks.js';

const rsa = { kty: 'RSA', kid: 'a', n: 'AQAB', e: 'AQAB' };

describe('rs256Only', () => {
  it('pins keys without alg to RS256 and drops keys for other algorithms', () => {
    const out = rs256Only({
      keys: [rsa, { ...rsa, kid: 'b', alg: 'RS256' }, { ...rsa, kid: 'c', alg: 'RS512' }, { kty: 'EC', kid: 'd', crv: 'P-256', x: 'x', y: 'y' }],
    });
    expect(out.keys.map((k) => [k.kid, k.alg])).toEqual([
      ['a', 'RS256'],
      ['b', 'RS256'],
    ]);
  });
});

describe('parseJwks', () => {
  const buf = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;
  it('parses and normalises a JWKS', () => {
    expect(parseJwks(buf(JSON.stringify({ keys: [rsa] }))).keys[0]).toMatchObject({ kid: 'a', alg: 'RS256' });
  });
  it.each(['not json', '[]', '{"nokeys":1}', '{"keys":[{"kid":"x"}]}', '\xff'])('refuses %j', (body) => {
    // The library's JWKS/JWK validation errors, which the verifier reports as JWKS_UNAVAILABLE.
    expect(() => parseJwks(buf(body))).toThrow(JwtBaseError);
  });
});
