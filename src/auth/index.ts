export { bearerToken } from './bearer.js';
export { AUTH_ERROR_MESSAGES, authErrorStatus, toAuthError } from './errors.js';
export { AuthError, type AuthErrorCode, type TokenVerifier, type User, type VerifyOptions } from './types.js';
export {
  createTokenVerifier,
  DEFAULT_MAX_TOKEN_BYTES,
  tokenVerifierFromConfig,
  type CognitoTokenVerifier,
  type TokenVerifierOptions,
} from './verifier.js';
