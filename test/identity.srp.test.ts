import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AuthenticationDetails, CognitoUser, CognitoUserPool, type CognitoUserSession } from 'amazon-cognito-identity-js';
import { Amplify } from 'aws-amplify';
import { signIn, signOut } from 'aws-amplify/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../local/identity/password.js';
import { claimSignature, formatTimestamp, g, k, modPow, N, padHex, passwordExponent } from '../local/identity/srp.js';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, GOOD_PASSWORD, PUBLIC_CLIENT, startTestIdentity, TEST_POOL_ID, uniqueEmail, type TestIdentity } from '../local/identity/testing.js';

let t: TestIdentity;
let cognito: CognitoIdentityProviderClient;

const sdk = () => new CognitoIdentityProviderClient({ endpoint: t.identity.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });

async function signUpConfirmed(email = uniqueEmail('srp'), password = GOOD_PASSWORD) {
  await cognito.send(new SignUpCommand({ ClientId: PUBLIC_CLIENT, Username: email, Password: password, UserAttributes: [{ Name: 'email', Value: email }] }));
  await cognito.send(new ConfirmSignUpCommand({ ClientId: PUBLIC_CLIENT, Username: email, ConfirmationCode: await t.codeFor(email) }));
  return email;
}

const pool = () => new CognitoUserPool({ UserPoolId: TEST_POOL_ID, ClientId: PUBLIC_CLIENT, endpoint: t.identity.url });

type Outcome = { session: CognitoUserSession } | { error: { name: string; code?: string; message: string } } | { newPassword: CognitoUser };

/** amazon-cognito-identity-js `authenticateUser`, unchanged: its default flow is USER_SRP_AUTH. */
function authenticate(email: string, password: string): Promise<Outcome> {
  const user = new CognitoUser({ Username: email, Pool: pool() });
  return new Promise((resolve) =>
    user.authenticateUser(new AuthenticationDetails({ Username: email, Password: password }), {
      onSuccess: (session) => resolve({ session }),
      onFailure: (err: Error & { code?: string }) => resolve({ error: { name: err.name, code: err.code, message: err.message } }),
      newPasswordRequired: () => resolve({ newPassword: user }),
    }),
  );
}

const errorOf = (o: Outcome): { code?: string; message?: string } => ('error' in o ? { code: o.error.code, message: o.error.message } : { message: `no error: ${Object.keys(o).join()}` });

/** The raw InitiateAuth USER_SRP_AUTH answer, to compare shapes. */
const srpInit = (username: string) =>
  cognito.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: username, SRP_A: modPow(g, 12345n, N).toString(16) } }));

beforeAll(async () => {
  t = await startTestIdentity();
  cognito = sdk();
  Amplify.configure({ Auth: { Cognito: { userPoolId: TEST_POOL_ID, userPoolClientId: PUBLIC_CLIENT, userPoolEndpoint: t.identity.url } } });
});
afterAll(async () => {
  await t?.close();
});

describe('USER_SRP_AUTH with amazon-cognito-identity-js authenticateUser', () => {
  it('signs in with the right password, and the tokens work', async () => {
    const email = await signUpConfirmed();
    const outcome = await authenticate(email, GOOD_PASSWORD);
    if (!('session' in outcome)) throw new Error(`no session: ${JSON.stringify(outcome)}`);
    expect(outcome.session.isValid()).toBe(true);
    expect(outcome.session.getIdToken().payload.email).toBe(email);
    const me = await fetch(t.identity.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.GetUser' },
      body: JSON.stringify({ AccessToken: outcome.session.getAccessToken().getJwtToken() }),
    });
    expect(((await me.json()) as { UserAttributes: { Name: string; Value: string }[] }).UserAttributes).toContainEqual({ Name: 'email', Value: email });
  });

  it("answers a wrong password and an unknown e-mail alike, with Cognito's message and the same challenge shape", async () => {
    const email = await signUpConfirmed();
    const unknown = uniqueEmail('nobody');
    expect(errorOf(await authenticate(email, 'Wrong-pass-1'))).toEqual({ code: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    expect(errorOf(await authenticate(unknown, GOOD_PASSWORD))).toEqual({ code: 'NotAuthorizedException', message: 'Incorrect username or password.' });

    const [known1, known2, none1, none2] = [await srpInit(email), await srpInit(email), await srpInit(unknown), await srpInit(unknown)];
    const shape = (r: typeof known1) => ({
      name: r.ChallengeName,
      session: r.Session,
      keys: Object.keys(r.ChallengeParameters ?? {}).sort(),
      salt: /^[0-9a-f]{32}$/.test(r.ChallengeParameters!.SALT!),
      id: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(r.ChallengeParameters!.USER_ID_FOR_SRP!),
      sameId: r.ChallengeParameters!.USERNAME === r.ChallengeParameters!.USER_ID_FOR_SRP,
      b: /^[0-9a-f]{700,768}$/.test(r.ChallengeParameters!.SRP_B!),
    });
    expect(shape(none1)).toEqual(shape(known1));
    expect(shape(known1)).toEqual({ name: 'PASSWORD_VERIFIER', session: undefined, keys: ['SALT', 'SECRET_BLOCK', 'SRP_B', 'USERNAME', 'USER_ID_FOR_SRP'], salt: true, id: true, sameId: true, b: true });
    // Salt and id stay the same from one attempt to the next for both; B is fresh each time for both.
    expect(known2.ChallengeParameters!.SALT).toBe(known1.ChallengeParameters!.SALT);
    expect(none2.ChallengeParameters!.SALT).toBe(none1.ChallengeParameters!.SALT);
    expect(none2.ChallengeParameters!.USER_ID_FOR_SRP).toBe(none1.ChallengeParameters!.USER_ID_FOR_SRP);
    expect(none2.ChallengeParameters!.SRP_B).not.toBe(none1.ChallengeParameters!.SRP_B);
    expect(known2.ChallengeParameters!.SRP_B).not.toBe(known1.ChallengeParameters!.SRP_B);
    // The sealed blocks differ in length only by the few hex digits B and b happen to have.
    expect(Math.abs(none1.ChallengeParameters!.SECRET_BLOCK!.length - known1.ChallengeParameters!.SECRET_BLOCK!.length)).toBeLessThanOrEqual(12);
  });

  it('locks out after five wrong SRP proofs, for accounts and unknown e-mails alike', async () => {
    const email = await signUpConfirmed();
    const unknown = uniqueEmail('nobody');
    for (let i = 0; i < 5; i++) {
      expect(errorOf(await authenticate(email, 'Wrong-pass-1')).message).toBe('Incorrect username or password.');
      expect(errorOf(await authenticate(unknown, 'Wrong-pass-1')).message).toBe('Incorrect username or password.');
    }
    expect(errorOf(await authenticate(email, GOOD_PASSWORD))).toEqual({ code: 'NotAuthorizedException', message: 'Password attempts exceeded' });
    expect(errorOf(await authenticate(unknown, GOOD_PASSWORD))).toEqual({ code: 'NotAuthorizedException', message: 'Password attempts exceeded' });
  });

  it('keeps a disabled user out (only once the password is proven, as with USER_PASSWORD_AUTH)', async () => {
    const email = await signUpConfirmed();
    await cognito.send(new AdminDisableUserCommand({ UserPoolId: TEST_POOL_ID, Username: email }));
    expect(errorOf(await authenticate(email, GOOD_PASSWORD))).toEqual({ code: 'NotAuthorizedException', message: 'User is disabled.' });
    expect(errorOf(await authenticate(email, 'Wrong-pass-1'))).toEqual({ code: 'NotAuthorizedException', message: 'Incorrect username or password.' });
  });

  it('asks an admin-created user for a new password (NEW_PASSWORD_REQUIRED), then completeNewPasswordChallenge signs in', async () => {
    const email = uniqueEmail('srp-new');
    await cognito.send(new AdminCreateUserCommand({ UserPoolId: TEST_POOL_ID, Username: email, TemporaryPassword: 'Temporary-pass-1', MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email_verified', Value: 'true' }] }));
    const outcome = await authenticate(email, 'Temporary-pass-1');
    if (!('newPassword' in outcome)) throw new Error(`no challenge: ${JSON.stringify(outcome)}`);
    const session = await new Promise<CognitoUserSession>((resolve, reject) =>
      outcome.newPassword.completeNewPasswordChallenge('Brand-new-pass-2', {}, { onSuccess: resolve, onFailure: reject }),
    );
    expect(session.getIdToken().payload.email).toBe(email);
    // The new password now signs in with SRP; the temporary one no longer does.
    expect('session' in (await authenticate(email, 'Brand-new-pass-2'))).toBe(true);
    expect(errorOf(await authenticate(email, 'Temporary-pass-1')).message).toBe('Incorrect username or password.');
  });

  it('refuses A = 0 mod N, a forged or reused SECRET_BLOCK, and an answer to another client', async () => {
    const email = await signUpConfirmed();
    const bad = await cognito.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: email, SRP_A: N.toString(16) } })).catch((e: Error) => e);
    expect(bad).toMatchObject({ name: 'InvalidParameterException' });
    const init = await srpInit(email);
    const p = init.ChallengeParameters!;
    const answer = (block: string, clientId = PUBLIC_CLIENT) =>
      cognito
        .send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: { USERNAME: p.USER_ID_FOR_SRP!, PASSWORD_CLAIM_SECRET_BLOCK: block, PASSWORD_CLAIM_SIGNATURE: Buffer.alloc(32).toString('base64'), TIMESTAMP: formatTimestamp(new Date()) } }))
        .catch((e: Error) => ({ name: e.name, message: e.message }));
    const forged = Buffer.from(p.SECRET_BLOCK!, 'base64');
    forged[40]! ^= 1;
    expect(await answer(forged.toString('base64'))).toEqual({ name: 'NotAuthorizedException', message: 'Invalid session for the user, session is expired.' });
    expect(await answer(p.SECRET_BLOCK!, 'pier-backend-test')).toMatchObject({ name: 'NotAuthorizedException' });
    expect(await answer(p.SECRET_BLOCK!)).toEqual({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    expect(await answer(p.SECRET_BLOCK!)).toEqual({ name: 'NotAuthorizedException', message: 'Invalid session for the user, session is expired.' });
  });

  it('AdminInitiateAuth USER_SRP_AUTH with AdminRespondToAuthChallenge', async () => {
    const email = await signUpConfirmed();
    const init = await cognito.send(new AdminInitiateAuthCommand({ UserPoolId: TEST_POOL_ID, ClientId: PUBLIC_CLIENT, AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: email, SRP_A: modPow(g, 777n, N).toString(16) } }));
    expect(init.ChallengeName).toBe('PASSWORD_VERIFIER');
    const wrong = await cognito
      .send(new AdminRespondToAuthChallengeCommand({ UserPoolId: TEST_POOL_ID, ClientId: PUBLIC_CLIENT, ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: { USERNAME: init.ChallengeParameters!.USER_ID_FOR_SRP!, PASSWORD_CLAIM_SECRET_BLOCK: init.ChallengeParameters!.SECRET_BLOCK!, PASSWORD_CLAIM_SIGNATURE: Buffer.alloc(32).toString('base64'), TIMESTAMP: formatTimestamp(new Date()) } }))
      .catch((e: Error) => ({ name: e.name, message: e.message }));
    expect(wrong).toEqual({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
  });
});

/** A minimal SRP client (the textbook client side, independent of the server code's session-key function). */
function srpClient() {
  const a = BigInt(`0x${randomBytes(32).toString('hex')}`);
  const A = modPow(g, a, N);
  const H = (hex: string) => BigInt(`0x${createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex')}`);
  return {
    A: A.toString(16),
    respond(p: Record<string, string>, password: string, TIMESTAMP = formatTimestamp(new Date())) {
      const B = BigInt(`0x${p.SRP_B}`);
      const u = H(padHex(A) + padHex(B));
      const x = passwordExponent(TEST_POOL_ID.split('_')[1]!, p.USER_ID_FOR_SRP!, password, p.SALT!);
      const S = modPow((((B - ((k * modPow(g, x, N)) % N)) % N) + N) % N, a + u * x, N);
      const key = Buffer.from(hkdfSync('sha256', Buffer.from(padHex(S), 'hex'), Buffer.from(padHex(u), 'hex'), 'Caldera Derived Key', 16));
      const signature = claimSignature(key, TEST_POOL_ID.split('_')[1]!, p.USER_ID_FOR_SRP!, Buffer.from(p.SECRET_BLOCK!, 'base64'), TIMESTAMP);
      return { USERNAME: p.USER_ID_FOR_SRP!, PASSWORD_CLAIM_SECRET_BLOCK: p.SECRET_BLOCK!, PASSWORD_CLAIM_SIGNATURE: signature.toString('base64'), TIMESTAMP };
    },
  };
}

describe('USER_SRP_AUTH for a confidential client', () => {
  it('needs SECRET_HASH at both steps (the second over USER_ID_FOR_SRP)', async () => {
    const email = await signUpConfirmed();
    const secretHash = (name: string) => createHmac('sha256', CONFIDENTIAL_SECRET).update(name + CONFIDENTIAL_CLIENT).digest('base64');
    const c = srpClient();
    const missing = await cognito.send(new InitiateAuthCommand({ ClientId: CONFIDENTIAL_CLIENT, AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: email, SRP_A: c.A } })).catch((e: Error) => e);
    expect(missing).toMatchObject({ name: 'NotAuthorizedException', message: `Client ${CONFIDENTIAL_CLIENT} is configured for secret but secret was not received` });
    const init = await cognito.send(new InitiateAuthCommand({ ClientId: CONFIDENTIAL_CLIENT, AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: email, SRP_A: c.A, SECRET_HASH: secretHash(email) } }));
    const responses = c.respond(init.ChallengeParameters!, GOOD_PASSWORD);
    const noHash = await cognito.send(new RespondToAuthChallengeCommand({ ClientId: CONFIDENTIAL_CLIENT, ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: responses })).catch((e: Error) => e);
    expect(noHash).toMatchObject({ name: 'NotAuthorizedException' });
    const done = await cognito.send(new RespondToAuthChallengeCommand({ ClientId: CONFIDENTIAL_CLIENT, ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: { ...responses, SECRET_HASH: secretHash(responses.USERNAME) } }));
    expect(done.AuthenticationResult?.AccessToken).toBeTruthy();
  });

  it('refuses a TIMESTAMP far from the server clock, even with a correct signature', async () => {
    const email = await signUpConfirmed();
    const c = srpClient();
    const init = await cognito.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: email, SRP_A: c.A } }));
    // Correctly signed, but with a timestamp an hour old.
    const stale = c.respond(init.ChallengeParameters!, GOOD_PASSWORD, formatTimestamp(new Date(Date.now() - 3600_000)));
    const r = await cognito
      .send(new RespondToAuthChallengeCommand({ ClientId: PUBLIC_CLIENT, ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: stale }))
      .catch((e: Error) => ({ name: e.name, message: e.message }));
    expect(r).toEqual({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
  });
});

describe('Amplify JS v6 signIn (default flow: USER_SRP_AUTH)', () => {
  it('signs in with the right password', async () => {
    const email = await signUpConfirmed();
    const result = await signIn({ username: email, password: GOOD_PASSWORD });
    expect(result).toMatchObject({ isSignedIn: true, nextStep: { signInStep: 'DONE' } });
    await signOut();
  });

  it("refuses a wrong password with Cognito's error", async () => {
    const email = await signUpConfirmed();
    const err = await signIn({ username: email, password: 'Wrong-pass-1' }).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
  });
});

describe('a data folder from before SRP', () => {
  it('still signs in with USER_PASSWORD_AUTH, and afterwards with SRP', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pier-identity-old-'));
    try {
      const email = 'old.user@example.com';
      const sub = '0b6a4c3e-1d2f-4a5b-8c7d-9e0f1a2b3c4d';
      const now = Date.now();
      // state.json as versions before SRP wrote it: a scrypt hash, no `srp` field.
      const state = {
        version: 1,
        users: {
          [sub]: { sub, username: sub, email, emailVerified: true, attributes: {}, passwordHash: await hashPassword(GOOD_PASSWORD), status: 'CONFIRMED', enabled: true, groups: [], createdAt: now, updatedAt: now, failedAttempts: 0, lockedUntil: 0, codes: {} },
        },
        groups: {},
        refreshTokens: {},
        revokedOrigins: {},
        createdAt: now,
      };
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(join(dir, 'state.json'), JSON.stringify(state), { mode: 0o600 });
      const old = await startTestIdentity({ dir });
      const url = old.identity.url;
      const oldPool = new CognitoUserPool({ UserPoolId: TEST_POOL_ID, ClientId: PUBLIC_CLIENT, endpoint: url });
      const srp = (password: string) =>
        new Promise<string>((resolve) =>
          new CognitoUser({ Username: email, Pool: oldPool }).authenticateUser(new AuthenticationDetails({ Username: email, Password: password }), {
            onSuccess: () => resolve('signed in'),
            onFailure: (err: Error) => resolve(err.message),
          }),
        );
      try {
        // No verifier yet: SRP cannot prove the password and answers as for a wrong one.
        expect(await srp(GOOD_PASSWORD)).toBe('Incorrect username or password.');
        const c = new CognitoIdentityProviderClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
        const r = await c.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: GOOD_PASSWORD } }));
        expect(r.AuthenticationResult?.IdToken).toBeTruthy();
        const saved = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { users: Record<string, { passwordHash: string; srp?: { salt: string; verifier: string; poolName: string } }> };
        expect(saved.users[sub]!.srp).toMatchObject({ poolName: TEST_POOL_ID.split('_')[1], salt: expect.stringMatching(/^[0-9a-f]{32}$/) });
        expect(saved.users[sub]!.passwordHash).toMatch(/^scrypt\$/);
        expect(await srp(GOOD_PASSWORD)).toBe('signed in');
        // And across a restart.
        await old.restart();
        const restartedPool = new CognitoUserPool({ UserPoolId: TEST_POOL_ID, ClientId: PUBLIC_CLIENT, endpoint: old.identity.url });
        const again = await new Promise<string>((resolve) =>
          new CognitoUser({ Username: email, Pool: restartedPool }).authenticateUser(new AuthenticationDetails({ Username: email, Password: GOOD_PASSWORD }), {
            onSuccess: () => resolve('signed in'),
            onFailure: (err: Error) => resolve(err.message),
          }),
        );
        expect(again).toBe('signed in');
      } finally {
        await old.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
