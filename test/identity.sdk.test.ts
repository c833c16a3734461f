import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  CreateGroupCommand,
  ForgotPasswordCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  RespondToAuthChallengeCommand,
  ResendConfirmationCodeCommand,
  RevokeTokenCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, GOOD_PASSWORD, PUBLIC_CLIENT, startTestIdentity, TEST_POOL_ID, uniqueEmail, type TestIdentity } from '../local/identity/testing.js';
import { failure } from './support/failure.js';

let t: TestIdentity;
let cognito: CognitoIdentityProviderClient;

const client = () =>
  new CognitoIdentityProviderClient({ endpoint: t.identity.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });

/**
 * aws-jwt-verify with Cognito's checks (`validateCognitoJwtFields`, as `CognitoJwtVerifier` runs them), fed the JWKS
 * the local endpoint serves; the issuer is the endpoint's own URL, which `CognitoJwtVerifier` would not accept.
 */
async function verifierFor(tokenUse: 'id' | 'access') {
  const v = JwtVerifier.create({ issuer: t.identity.settings.issuer, audience: null });
  v.cacheJwks((await (await fetch(t.identity.settings.jwksUrl)).json()) as Parameters<typeof v.cacheJwks>[0]);
  return {
    async verify(token: string, opts: { groups?: string } = {}) {
      const payload = await v.verify(token);
      validateCognitoJwtFields(payload, { tokenUse, clientId: PUBLIC_CLIENT, groups: opts.groups ?? null });
      // Cognito's tokens always carry both (as CognitoJwtVerifier's payload types say).
      return payload as typeof payload & { exp: number; iat: number };
    },
  };
}

async function signUpConfirmed(email = uniqueEmail(), password = GOOD_PASSWORD) {
  await cognito.send(new SignUpCommand({ ClientId: PUBLIC_CLIENT, Username: email, Password: password, UserAttributes: [{ Name: 'email', Value: email }] }));
  await cognito.send(new ConfirmSignUpCommand({ ClientId: PUBLIC_CLIENT, Username: email, ConfirmationCode: await t.codeFor(email) }));
  return email;
}

const passwordAuth = (email: string, password = GOOD_PASSWORD) =>
  cognito.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: password } }));

beforeAll(async () => {
  t = await startTestIdentity();
  cognito = client();
});
afterAll(async () => {
  cognito?.destroy();
  await t?.close();
});

describe('identity: Cognito user-pool API through the AWS SDK', () => {
  it('round-trips SignUp, ConfirmSignUp, InitiateAuth, GetUser and AdminAddUserToGroup', async () => {
    const email = uniqueEmail('Round');
    const signUp = await cognito.send(new SignUpCommand({ ClientId: PUBLIC_CLIENT, Username: email, Password: GOOD_PASSWORD, UserAttributes: [{ Name: 'email', Value: email }, { Name: 'name', Value: 'Round Trip' }] }));
    expect(signUp.UserConfirmed).toBe(false);
    expect(signUp.UserSub).toMatch(/^[0-9a-f-]{36}$/);
    expect(signUp.CodeDeliveryDetails).toMatchObject({ DeliveryMedium: 'EMAIL', AttributeName: 'email' });

    expect(await failure(() => passwordAuth(email))).toEqual({ name: 'UserNotConfirmedException', message: 'User is not confirmed.' });
    expect((await failure(() => cognito.send(new ConfirmSignUpCommand({ ClientId: PUBLIC_CLIENT, Username: email, ConfirmationCode: '000000' }))))).toMatchObject({ name: 'CodeMismatchException' });
    await cognito.send(new ResendConfirmationCodeCommand({ ClientId: PUBLIC_CLIENT, Username: email }));
    await cognito.send(new ConfirmSignUpCommand({ ClientId: PUBLIC_CLIENT, Username: email, ConfirmationCode: await t.codeFor(email) }));

    const auth = await passwordAuth(email);
    const result = auth.AuthenticationResult!;
    expect(result).toMatchObject({ TokenType: 'Bearer', ExpiresIn: 3600 });
    expect(result.RefreshToken).toBeTruthy();

    const access = await (await verifierFor('access')).verify(result.AccessToken!);
    expect(access).toMatchObject({ token_use: 'access', client_id: PUBLIC_CLIENT, sub: signUp.UserSub, username: signUp.UserSub, scope: 'aws.cognito.signin.user.admin' });
    expect(access).not.toHaveProperty('aud');
    for (const claim of ['jti', 'origin_jti', 'event_id', 'auth_time', 'iat', 'exp']) expect(access).toHaveProperty(claim);
    expect(access.exp - access.iat).toBe(3600);
    const id = await (await verifierFor('id')).verify(result.IdToken!);
    expect(id).toMatchObject({ token_use: 'id', aud: PUBLIC_CLIENT, email: email.toLowerCase(), email_verified: true, 'cognito:username': signUp.UserSub, name: 'Round Trip', iss: `${t.identity.url}/${TEST_POOL_ID}` });
    const header = JSON.parse(Buffer.from(result.AccessToken!.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ kid: expect.any(String), alg: 'RS256' });

    const me = await cognito.send(new GetUserCommand({ AccessToken: result.AccessToken }));
    expect(me.Username).toBe(signUp.UserSub);
    expect(me.UserAttributes).toEqual(expect.arrayContaining([{ Name: 'email', Value: email.toLowerCase() }, { Name: 'email_verified', Value: 'true' }, { Name: 'sub', Value: signUp.UserSub }]));

    await cognito.send(new CreateGroupCommand({ UserPoolId: TEST_POOL_ID, GroupName: 'admins' }));
    await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: TEST_POOL_ID, Username: email, GroupName: 'admins' }));
    expect(await failure(() => cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: TEST_POOL_ID, Username: email, GroupName: 'nope' })))).toEqual({ name: 'ResourceNotFoundException', message: 'Group not found.' });
    const again = await passwordAuth(email);
    const withGroup = await (await verifierFor('access')).verify(again.AuthenticationResult!.AccessToken!, { groups: 'admins' });
    expect(withGroup['cognito:groups']).toEqual(['admins']);

    // Refresh: new ID and access tokens for the same sign-in, no new refresh token.
    const refreshed = await cognito.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: again.AuthenticationResult!.RefreshToken! } }));
    expect(refreshed.AuthenticationResult?.RefreshToken).toBeUndefined();
    const refreshedClaims = await (await verifierFor('access')).verify(refreshed.AuthenticationResult!.AccessToken!);
    expect(refreshedClaims.origin_jti).toBe(withGroup.origin_jti);
  });

  it('answers bad input with the errors Cognito gives', async () => {
    const email = await signUpConfirmed();
    const weak = async (password: string) => (await failure(() => cognito.send(new SignUpCommand({ ClientId: PUBLIC_CLIENT, Username: uniqueEmail(), Password: password })))).message;
    expect(await weak('Sh0rt!')).toBe('Password did not conform with policy: Password not long enough');
    expect(await weak('nouppercase1!')).toBe('Password did not conform with policy: Password must have uppercase characters');
    expect(await weak('NOLOWERCASE1!')).toBe('Password did not conform with policy: Password must have lowercase characters');
    expect(await weak('NoDigits-here')).toBe('Password did not conform with policy: Password must have numeric characters');
    expect(await weak('NoSymbols123')).toBe('Password did not conform with policy: Password must have symbol characters');
    expect((await failure(() => cognito.send(new SignUpCommand({ ClientId: PUBLIC_CLIENT, Username: 'not-an-email', Password: GOOD_PASSWORD })))).name).toBe('InvalidParameterException');
    expect(await failure(() => cognito.send(new SignUpCommand({ ClientId: PUBLIC_CLIENT, Username: email.toUpperCase(), Password: GOOD_PASSWORD })))).toEqual({ name: 'UsernameExistsException', message: 'An account with the given email already exists.' });
    expect(await failure(() => cognito.send(new SignUpCommand({ ClientId: 'no-such-client', Username: uniqueEmail(), Password: GOOD_PASSWORD })))).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await failure(() => cognito.send(new AdminGetUserCommand({ UserPoolId: TEST_POOL_ID, Username: 'nobody@example.com' })))).toEqual({ name: 'UserNotFoundException', message: 'User does not exist.' });
    expect(await failure(() => passwordAuth('nobody@example.com'))).toEqual({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    expect(await failure(() => cognito.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: 'not-a-token' } })))).toEqual({ name: 'NotAuthorizedException', message: 'Invalid Refresh Token' });
    // A confidential client needs SECRET_HASH, computed as Cognito does.
    expect(await failure(() => cognito.send(new InitiateAuthCommand({ ClientId: CONFIDENTIAL_CLIENT, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: GOOD_PASSWORD } })))).toMatchObject({ name: 'NotAuthorizedException', message: `Client ${CONFIDENTIAL_CLIENT} is configured for secret but secret was not received` });
    expect(await failure(() => cognito.send(new InitiateAuthCommand({ ClientId: CONFIDENTIAL_CLIENT, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: GOOD_PASSWORD, SECRET_HASH: 'AAAA' } })))).toMatchObject({ name: 'NotAuthorizedException', message: `Unable to verify secret hash for client ${CONFIDENTIAL_CLIENT}` });
    const secretHash = createHmac('sha256', CONFIDENTIAL_SECRET).update(email + CONFIDENTIAL_CLIENT).digest('base64');
    const ok = await cognito.send(new InitiateAuthCommand({ ClientId: CONFIDENTIAL_CLIENT, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: GOOD_PASSWORD, SECRET_HASH: secretHash } }));
    expect(ok.AuthenticationResult?.AccessToken).toBeTruthy();
  });

  it('locks sign-in after five wrong passwords, even for the right one', async () => {
    const email = await signUpConfirmed();
    for (let i = 0; i < 5; i++) expect(await failure(() => passwordAuth(email, `Wrong-password-${i}`))).toEqual({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    expect(await failure(() => passwordAuth(email))).toEqual({ name: 'NotAuthorizedException', message: 'Password attempts exceeded' });
    // Resetting the password lifts the lock, as in Cognito.
    await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: TEST_POOL_ID, Username: email, Password: 'Another-pass-2', Permanent: true }));
    expect((await passwordAuth(email, 'Another-pass-2')).AuthenticationResult?.AccessToken).toBeTruthy();
  });

  it('counts parallel guesses before checking them, so a burst cannot get past the lock-out', async () => {
    const email = await signUpConfirmed();
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => failure(() => passwordAuth(email, `Parallel-guess-${i}`))));
    expect(outcomes.filter((o) => o.message === 'Incorrect username or password.')).toHaveLength(5);
    expect(outcomes.filter((o) => o.message === 'Password attempts exceeded')).toHaveLength(3);
    expect(await failure(() => passwordAuth(email))).toEqual({ name: 'NotAuthorizedException', message: 'Password attempts exceeded' });
  });

  it('locks an unknown e-mail out after five failures too, so the answers never tell who has an account', async () => {
    const known = await signUpConfirmed();
    const unknown = uniqueEmail('nobody');
    const answers = async (email: string) => {
      const out = [];
      for (let i = 0; i < 7; i++) out.push(await failure(() => passwordAuth(email, `Wrong-password-${i}`)));
      return out;
    };
    const forKnown = await answers(known);
    expect(forKnown.map((a) => a.message)).toEqual([...Array(5).fill('Incorrect username or password.'), 'Password attempts exceeded', 'Password attempts exceeded']);
    // The same sequence, word for word, for an e-mail that has no account (in any letter case).
    expect(await answers(unknown.toUpperCase())).toEqual(forKnown);
    expect(await failure(() => passwordAuth(unknown))).toEqual({ name: 'NotAuthorizedException', message: 'Password attempts exceeded' });
    // Parallel guesses at an unknown name are counted first too.
    const target = uniqueEmail('nobody');
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => failure(() => passwordAuth(target, `Parallel-guess-${i}`))));
    expect(burst.filter((o) => o.message === 'Incorrect username or password.')).toHaveLength(5);
    expect(burst.filter((o) => o.message === 'Password attempts exceeded')).toHaveLength(3);
  });

  it('refuses strings that are not well-formed Unicode (lone surrogates) with InvalidParameterException', async () => {
    const invalid = (field: string) => ({ name: 'InvalidParameterException', message: `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must be a well-formed Unicode string` });
    const signUp = (Username: string, extra: Partial<{ Password: string; UserAttributes: { Name: string; Value: string }[] }> = {}) =>
      failure(() => cognito.send(new SignUpCommand({ ClientId: PUBLIC_CLIENT, Username, Password: GOOD_PASSWORD, ...extra })));
    for (const lone of ['\uD800', '\uDFFF', '\uDC00x', 'x\uDBFF']) {
      const email = uniqueEmail('lone');
      expect(await signUp(email.replace('@', `${lone}@`))).toEqual(invalid('username'));
      expect(await signUp(email, { UserAttributes: [{ Name: 'email', Value: email }, { Name: 'name', Value: `Ann${lone}` }] })).toEqual(invalid('userAttributes.2.member.value'));
      expect(await signUp(email, { Password: `${GOOD_PASSWORD}${lone}` })).toEqual(invalid('password'));
      expect(t.identity.pool.findUser(email)).toBeUndefined();
      // The pool refuses them too, whatever calls it (the hosted sign-up page does).
      await expect(t.identity.pool.signUp(PUBLIC_CLIENT, email.replace('@', `${lone}@`), GOOD_PASSWORD, {})).rejects.toMatchObject({ type: 'InvalidParameterException' });
      await expect(t.identity.pool.createUser({ email, password: GOOD_PASSWORD, status: 'CONFIRMED', emailVerified: true, attributes: { name: lone } })).rejects.toMatchObject({ type: 'InvalidParameterException' });
      await expect(t.identity.pool.createUser({ email, password: `${GOOD_PASSWORD}${lone}`, status: 'CONFIRMED', emailVerified: true })).rejects.toMatchObject({ type: 'InvalidParameterException' });
    }
    // A surrogate pair is one character (an emoji) and welcome.
    const email = uniqueEmail('emoji');
    await cognito.send(new SignUpCommand({ ClientId: PUBLIC_CLIENT, Username: email, Password: `${GOOD_PASSWORD}\u{1F600}`, UserAttributes: [{ Name: 'name', Value: 'Ann \u{1F600}' }] }));
    expect(t.identity.pool.findUser(email)?.attributes.name).toBe('Ann \u{1F600}');
  });

  it('treats names like constructor and __proto__ as the unknown names they are', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect((await failure(() => cognito.send(new AdminGetUserCommand({ UserPoolId: TEST_POOL_ID, Username: name })))).name).toBe('UserNotFoundException');
      expect(await failure(() => passwordAuth(name))).toEqual({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    }
    const email = await signUpConfirmed();
    expect(await failure(() => cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: TEST_POOL_ID, Username: email, GroupName: 'constructor' })))).toEqual({ name: 'ResourceNotFoundException', message: 'Group not found.' });
    await cognito.send(new CreateGroupCommand({ UserPoolId: TEST_POOL_ID, GroupName: '__proto__' }));
    await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: TEST_POOL_ID, Username: email, GroupName: '__proto__' }));
    expect((await (await verifierFor('access')).verify((await passwordAuth(email)).AuthenticationResult!.AccessToken!))['cognito:groups']).toEqual(['__proto__']);
  });

  it('keeps disabled users out and lets admin-created users sign in once given a permanent password', async () => {
    const email = uniqueEmail('admin-made');
    const created = await cognito.send(new AdminCreateUserCommand({ UserPoolId: TEST_POOL_ID, Username: email, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }] }));
    expect(created.User?.UserStatus).toBe('FORCE_CHANGE_PASSWORD');
    await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: TEST_POOL_ID, Username: email, Password: GOOD_PASSWORD, Permanent: true }));
    expect((await cognito.send(new AdminGetUserCommand({ UserPoolId: TEST_POOL_ID, Username: email }))).UserStatus).toBe('CONFIRMED');
    const tokens = (await passwordAuth(email)).AuthenticationResult!;

    await cognito.send(new AdminDisableUserCommand({ UserPoolId: TEST_POOL_ID, Username: email }));
    expect((await cognito.send(new AdminGetUserCommand({ UserPoolId: TEST_POOL_ID, Username: email }))).Enabled).toBe(false);
    expect(await failure(() => passwordAuth(email))).toEqual({ name: 'NotAuthorizedException', message: 'User is disabled.' });
    expect(await failure(() => cognito.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken! } })))).toMatchObject({ name: 'NotAuthorizedException', message: 'User is disabled.' });
    expect(await failure(() => cognito.send(new GetUserCommand({ AccessToken: tokens.AccessToken })))).toMatchObject({ name: 'NotAuthorizedException', message: 'User is disabled.' });
  });

  it('answers NEW_PASSWORD_REQUIRED for a temporary password and signs in once a new one is chosen', async () => {
    const email = uniqueEmail('temp');
    await cognito.send(new AdminCreateUserCommand({ UserPoolId: TEST_POOL_ID, Username: email, TemporaryPassword: 'Temporary-pass-1', MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email_verified', Value: 'true' }] }));
    const first = await passwordAuth(email, 'Temporary-pass-1');
    expect(first.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    expect(first.AuthenticationResult).toBeUndefined();
    const respond = (password: string) =>
      cognito.send(new RespondToAuthChallengeCommand({ ClientId: PUBLIC_CLIENT, ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: first.Session, ChallengeResponses: { USERNAME: email, NEW_PASSWORD: password } }));
    expect((await failure(() => respond('weak'))).name).toBe('InvalidPasswordException');
    // A refused password may be retried in the same session; a good one spends it.
    const done = await respond('Chosen-pass-1');
    expect((await failure(() => respond('Chosen-pass-2'))).name).toBe('NotAuthorizedException');
    expect((await failure(() => passwordAuth(email, 'Temporary-pass-1'))).message).toBe('Incorrect username or password.');
    expect(await (await verifierFor('access')).verify(done.AuthenticationResult!.AccessToken!)).toMatchObject({ token_use: 'access' });
    expect((await cognito.send(new AdminGetUserCommand({ UserPoolId: TEST_POOL_ID, Username: email }))).UserStatus).toBe('CONFIRMED');
  });

  it('signs in server-side with AdminInitiateAuth and pages through ListUsers', async () => {
    const email = await signUpConfirmed();
    const admin = await cognito.send(new AdminInitiateAuthCommand({ UserPoolId: TEST_POOL_ID, ClientId: PUBLIC_CLIENT, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: GOOD_PASSWORD } }));
    expect(await (await verifierFor('access')).verify(admin.AuthenticationResult!.AccessToken!)).toMatchObject({ token_use: 'access' });
    expect(await failure(() => cognito.send(new AdminInitiateAuthCommand({ UserPoolId: TEST_POOL_ID, ClientId: PUBLIC_CLIENT, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: 'Wrong-pass-1' } })))).toEqual({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });

    const seen: string[] = [];
    let PaginationToken: string | undefined;
    let pages = 0;
    do {
      const page = await cognito.send(new ListUsersCommand({ UserPoolId: TEST_POOL_ID, Limit: 2, PaginationToken }));
      expect(page.Users!.length).toBeLessThanOrEqual(2);
      seen.push(...page.Users!.map((u) => u.Attributes!.find((a) => a.Name === 'email')!.Value!));
      PaginationToken = page.PaginationToken;
      pages++;
    } while (PaginationToken);
    expect(seen).toEqual(t.identity.pool.listUsers().map((u) => u.email));
    expect(pages).toBe(Math.ceil(seen.length / 2));
    const filtered = await cognito.send(new ListUsersCommand({ UserPoolId: TEST_POOL_ID, Filter: `email = "${email.toLowerCase()}"` }));
    expect(filtered.Users).toHaveLength(1);
  });

  it('refuses forged, altered and unsigned tokens in GetUser', async () => {
    const email = await signUpConfirmed();
    const real = (await passwordAuth(email)).AuthenticationResult!.AccessToken!;
    const [header, payload] = real.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forgedInput = `${header}.${b64({ ...claims, username: 'someone-else' })}`;
    const forged = `${forgedInput}.${sign('sha256', Buffer.from(forgedInput), privateKey).toString('base64url')}`;
    const altered = `${header}.${b64({ ...claims, scope: 'aws.cognito.signin.user.admin pier/orders.write' })}.${real.split('.')[2]}`;
    const unsigned = `${b64({ alg: 'none', kid: JSON.parse(Buffer.from(header, 'base64url').toString()).kid })}.${payload}.`;
    for (const token of [forged, altered, unsigned, 'not.a.jwt']) {
      expect(await failure(() => cognito.send(new GetUserCommand({ AccessToken: token })))).toEqual({ name: 'NotAuthorizedException', message: 'Invalid Access Token' });
    }
    // An ID token is not an access token.
    const idToken = (await passwordAuth(email)).AuthenticationResult!.IdToken!;
    expect((await failure(() => cognito.send(new GetUserCommand({ AccessToken: idToken })))).name).toBe('NotAuthorizedException');
  });

  it('GlobalSignOut and RevokeToken end refresh tokens and the access tokens that came with them', async () => {
    const email = await signUpConfirmed();
    const first = (await passwordAuth(email)).AuthenticationResult!;
    const second = (await passwordAuth(email)).AuthenticationResult!;

    await cognito.send(new RevokeTokenCommand({ ClientId: PUBLIC_CLIENT, Token: first.RefreshToken! }));
    expect(await failure(() => cognito.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: first.RefreshToken! } })))).toMatchObject({ name: 'NotAuthorizedException' });
    expect(await failure(() => cognito.send(new GetUserCommand({ AccessToken: first.AccessToken })))).toEqual({ name: 'NotAuthorizedException', message: 'Access Token has been revoked' });
    // The other sign-in is untouched until GlobalSignOut.
    expect((await cognito.send(new GetUserCommand({ AccessToken: second.AccessToken }))).Username).toBeTruthy();
    await cognito.send(new GlobalSignOutCommand({ AccessToken: second.AccessToken }));
    expect(await failure(() => cognito.send(new GetUserCommand({ AccessToken: second.AccessToken })))).toEqual({ name: 'NotAuthorizedException', message: 'Access Token has been revoked' });
    expect((await failure(() => cognito.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: second.RefreshToken! } })))).name).toBe('NotAuthorizedException');
  });

  it('resets a forgotten password with the e-mailed code', async () => {
    const email = await signUpConfirmed();
    await cognito.send(new ForgotPasswordCommand({ ClientId: PUBLIC_CLIENT, Username: email }));
    const code = await t.codeFor(email, 'forgot');
    expect((await failure(() => cognito.send(new ConfirmForgotPasswordCommand({ ClientId: PUBLIC_CLIENT, Username: email, ConfirmationCode: code, Password: 'weak' })))).name).toBe('InvalidPasswordException');
    expect((await failure(() => cognito.send(new ConfirmForgotPasswordCommand({ ClientId: PUBLIC_CLIENT, Username: email, ConfirmationCode: code === '111111' ? '222222' : '111111', Password: 'New-password-7' })))).name).toBe('CodeMismatchException');
    await cognito.send(new ConfirmForgotPasswordCommand({ ClientId: PUBLIC_CLIENT, Username: email, ConfirmationCode: code, Password: 'New-password-7' }));
    expect(await failure(() => cognito.send(new ConfirmForgotPasswordCommand({ ClientId: PUBLIC_CLIENT, Username: email, ConfirmationCode: code, Password: 'New-password-8' })))).toMatchObject({ name: 'ExpiredCodeException' });
    expect(await failure(() => passwordAuth(email))).toMatchObject({ message: 'Incorrect username or password.' });
    expect((await passwordAuth(email, 'New-password-7')).AuthenticationResult?.AccessToken).toBeTruthy();
  });

  it('refuses unsigned admin calls and unknown actions', async () => {
    const call = (target: string, body: unknown) =>
      fetch(t.identity.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target }, body: JSON.stringify(body) });
    const unsigned = await call('AWSCognitoIdentityProviderService.AdminGetUser', { UserPoolId: TEST_POOL_ID, Username: 'x@example.com' });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    const unknown = await call('AWSCognitoIdentityProviderService.DeleteUserPool', {});
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'toString', '__defineGetter__']) {
      const res = await call(`AWSCognitoIdentityProviderService.${name}`, { ClientId: PUBLIC_CLIENT });
      expect(res.status, name).toBe(400);
      expect(await res.json()).toMatchObject({ __type: 'UnknownOperationException' });
    }
    const badJson = await fetch(t.identity.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.SignUp' }, body: '{nope' });
    expect(await badJson.json()).toMatchObject({ __type: 'SerializationException' });
  });

  it('keeps keys and users across a restart: an old token still verifies', async () => {
    const email = await signUpConfirmed();
    const before = (await passwordAuth(email)).AuthenticationResult!;
    const jwksBefore = await (await fetch(t.identity.settings.jwksUrl)).json();
    await t.restart();
    cognito.destroy();
    cognito = client();
    expect(await (await fetch(t.identity.settings.jwksUrl)).json()).toEqual(jwksBefore);
    expect(await (await verifierFor('access')).verify(before.AccessToken!)).toMatchObject({ token_use: 'access' });
    expect((await cognito.send(new GetUserCommand({ AccessToken: before.AccessToken }))).Username).toBeTruthy();
    const refreshed = await cognito.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: before.RefreshToken! } }));
    expect(refreshed.AuthenticationResult?.AccessToken).toBeTruthy();
    expect((await passwordAuth(email)).AuthenticationResult?.AccessToken).toBeTruthy();

    // Private files stay private, and the state file holds no password or usable token.
    for (const file of ['signing-key.pem', 'state.json']) expect((await stat(join(t.dir, file))).mode & 0o777).toBe(0o600);
    const state = await readFile(join(t.dir, 'state.json'), 'utf8');
    expect(state).toContain(email.toLowerCase());
    for (const secret of [GOOD_PASSWORD, before.RefreshToken!, before.AccessToken!]) expect(state).not.toContain(secret);
  });

  it('never logs a password or a token', async () => {
    const all = t.logs.join('');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [GOOD_PASSWORD, 'Another-pass-2', 'New-password-7', CONFIDENTIAL_SECRET]) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  });
});

describe('identity: request and code limits', () => {
  it('answers a burst with TooManyRequestsException and too many codes with LimitExceededException', async () => {
    const limited = await startTestIdentity({ requestsPerSecond: 3 });
    const sdk = new CognitoIdentityProviderClient({ endpoint: limited.identity.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      const emails = Array.from({ length: 12 }, () => uniqueEmail('burst'));
      const results = await Promise.allSettled(emails.map((e) => sdk.send(new SignUpCommand({ ClientId: PUBLIC_CLIENT, Username: e, Password: GOOD_PASSWORD }))));
      const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as Error);
      expect(refused.length).toBeGreaterThan(0);
      for (const err of refused) expect([err.name, err.message]).toEqual(['TooManyRequestsException', 'Too many requests']);
      // A refused request changed nothing.
      const created = emails.filter((_, i) => results[i]!.status === 'fulfilled');
      expect(limited.identity.pool.listUsers().map((u) => u.email).sort()).toEqual(created.map((e) => e.toLowerCase()).sort());

      await new Promise((r) => setTimeout(r, 1100));
      const email = created[0]!;
      const outcomes: string[] = [];
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 350));
        outcomes.push(await sdk.send(new ResendConfirmationCodeCommand({ ClientId: PUBLIC_CLIENT, Username: email })).then(() => 'sent', (err: Error) => `${err.name}: ${err.message}`));
      }
      // Sign-up sent one; four more fit in the hour, the fifth resend is refused.
      expect(outcomes).toEqual(['sent', 'sent', 'sent', 'sent', 'LimitExceededException: Attempt limit exceeded, please try after some time.']);
    } finally {
      sdk.destroy();
      await limited.close();
    }
  });

  it('checks SECRET_HASH on refresh for a confidential client', async () => {
    const email = await signUpConfirmed();
    const hash = (user: string) => createHmac('sha256', CONFIDENTIAL_SECRET).update(user + CONFIDENTIAL_CLIENT).digest('base64');
    const auth = await cognito.send(new InitiateAuthCommand({ ClientId: CONFIDENTIAL_CLIENT, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: GOOD_PASSWORD, SECRET_HASH: hash(email) } }));
    const refresh = (secretHash?: string) =>
      cognito.send(new InitiateAuthCommand({ ClientId: CONFIDENTIAL_CLIENT, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: auth.AuthenticationResult!.RefreshToken!, ...(secretHash ? { SECRET_HASH: secretHash } : {}) } }));
    expect((await failure(() => refresh())).name).toBe('NotAuthorizedException');
    expect((await failure(() => refresh(hash('someone@example.com')))).message).toBe(`Unable to verify secret hash for client ${CONFIDENTIAL_CLIENT}`);
    const username = JSON.parse(Buffer.from(auth.AuthenticationResult!.AccessToken!.split('.')[1]!, 'base64url').toString()).username as string;
    expect((await refresh(hash(username))).AuthenticationResult?.AccessToken).toBeTruthy();
  });
});
