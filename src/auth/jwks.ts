import { assertIsJwks, type Jwk, type Jwks } from 'aws-jwt-verify/jwk';
import { safeJsonParse } from 'aws-jwt-verify/safe-json-parse';
import { JwksValidationError } from 'aws-jwt-verify/error';

/**
 * Cognito signs with RS256 only. aws-jwt-verify checks the token's `alg` against the key's `alg` but accepts
 * RS384/RS512/ES* from a key that declares none; pinning every key to RS256 here makes the library refuse any other
 * algorithm at no cost per token. Keys that are not RSA, or declare another algorithm, are dropped.
 */
export function rs256Only(jwks: Jwks): Jwks {
  const keys: Jwk[] = [];
  for (const key of jwks.keys) {
    if (key.kty !== 'RSA' || (key.alg !== undefined && key.alg !== 'RS256')) continue;
    keys.push(key.alg === 'RS256' ? key : { ...key, alg: 'RS256' });
  }
  return { ...jwks, keys };
}

/** A `jwksParser` for aws-jwt-verify's `SimpleJwksCache`: its own checks, then `rs256Only`. */
export function parseJwks(body: ArrayBuffer): Jwks {
  let jwks: unknown;
  try {
    jwks = safeJsonParse(new TextDecoder('utf8', { fatal: true, ignoreBOM: true }).decode(body));
  } catch (err) {
    throw new JwksValidationError(`JWKS could not be parsed as JSON: ${String(err)}`);
  }
  assertIsJwks(jwks as Jwks);
  return rs256Only(jwks as Jwks);
}
