/**
 * An error of the Cognito user-pool API: `type` is the `__type` the AWS SDK turns into an exception class, and the
 * message is Cognito's own wording, so clients written against Cognito see what they would see in AWS.
 */
export class CognitoError extends Error {
  override readonly name = 'CognitoError';
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** An OAuth 2.0 error (RFC 6749 §5.2): `{ "error": code }` with the status Cognito uses. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly error: string,
    message: string = error,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const incorrectCredentials = () => new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
