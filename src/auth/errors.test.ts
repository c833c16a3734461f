import { JwtExpiredError, JwtParseError, ParameterValidationError } from 'aws-jwt-verify/error';
import { describe, expect, it } from 'vitest';
import { AUTH_ERROR_MESSAGES, authErrorStatus, toAuthError } from './errors.js';
import { AuthError, type AuthErrorCode } from './types.js';

describe('toAuthError', () => {
  it('keeps an AuthError as it is', () => {
    const e = new AuthError('TOKEN_EXPIRED', 'x');
    expect(toAuthError(e)).toBe(e);
  });

  it('maps library errors to codes, keeping the original as cause', () => {
    const lib = new JwtExpiredError('Token expired at ...', 1);
    const e = toAuthError(lib);
    expect(e).toMatchObject({ code: 'TOKEN_EXPIRED', message: AUTH_ERROR_MESSAGES.TOKEN_EXPIRED });
    expect(e.cause).toBe(lib);
    expect(toAuthError(new ParameterValidationError('issuer not configured: https://evil')).code).toBe('TOKEN_ISSUER_INVALID');
    expect(toAuthError(new JwtParseError('bad')).code).toBe('TOKEN_MALFORMED');
  });

  it('turns anything unknown into TOKEN_MALFORMED', () => {
    expect(toAuthError(new TypeError('boom')).code).toBe('TOKEN_MALFORMED');
    expect(toAuthError('a string').code).toBe('TOKEN_MALFORMED');
    expect(toAuthError(undefined).code).toBe('TOKEN_MALFORMED');
  });
});

describe('authErrorStatus', () => {
  it.each<[AuthErrorCode, number]>([
    ['TOKEN_SCOPE_MISSING', 403],
    ['JWKS_UNAVAILABLE', 503],
    ['TOKEN_EXPIRED', 401],
    ['TOKEN_MISSING', 401],
    ['TOKEN_USE_INVALID', 401],
  ])('%s → %i', (code, status) => {
    expect(authErrorStatus(code)).toBe(status);
  });
});
