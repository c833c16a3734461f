import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import { JwtExpiredError } from 'aws-jwt-verify/error';
import type { CognitoAccessTokenPayload } from 'aws-jwt-verify/jwt-model';
import type { Logger } from '../../src/log.js';
import { isWellFormed } from '../awsJson.js';
import { CognitoError, OAuthError, incorrectCredentials } from './errors.js';
import { signJwt, type SigningKey } from './keys.js';
import { checkPasswordPolicy, generateCode, hashPassword, verifyPassword } from './password.js';
import { claimSignature, fakeVerifier, makeVerifier, parseA, parseTimestamp, SecretBlocks, serverEphemeral, sessionKey, signatureMatches, srpPoolName, type SrpState, type SrpVerifier } from './srp.js';
import type { CodeRecord, IdentityState, RefreshRecord, StateFile, UserRecord } from './store.js';

/** An app client as Cognito registers it: a public client has no secret (and must use PKCE at the hosted login). */
export interface AppClient {
  clientId: string;
  /** Set for a confidential client: then the token endpoint and the API require it (Basic auth, body, SECRET_HASH). */
  secret?: string;
  /** The only URLs /oauth2/authorize redirects to (exact match, as Cognito compares them). */
  callbackUrls: string[];
  /** The only URLs /logout redirects to. */
  logoutUrls: string[];
  /** OAuth scopes this client may ask for; default: openid email profile, the API's scopes and the admin scope. */
  allowedScopes?: string[];
}

/** What Cognito would e-mail: handed to `onCode` and written to the log, since nothing is mailed locally. */
export interface CodeDelivery {
  kind: 'signup' | 'forgot';
  email: string;
  username: string;
  code: string;
}

export interface Tokens {
  idToken?: string;
  accessToken: string;
  refreshToken?: string;
  expiresIn: number;
}

export interface PoolOptions {
  userPoolId: string;
  clients: AppClient[];
  key: SigningKey;
  file: StateFile;
  logger: Logger;
  onCode?: (delivery: CodeDelivery) => void;
  /** ID and access token lifetime; Cognito's default is one hour. */
  tokenTtlSeconds: number;
  refreshTtlSeconds: number;
  /** Consecutive wrong passwords before sign-in is refused with "Password attempts exceeded". */
  maxFailedAttempts: number;
  lockoutSeconds: number;
  /** Codes e-mailed to one user per hour before LimitExceededException. */
  maxCodesPerHour: number;
}

interface AuthCode {
  clientId: string;
  redirectUri: string;
  sub: string;
  scope: string[];
  codeChallenge?: string;
  nonce?: string;
  authTime: number;
  expiresAt: number;
}

/** Consecutive wrong passwords and the lock they led to: a user's, or an unknown name's. */
interface Attempts {
  failedAttempts: number;
  lockedUntil: number;
}

interface Session {
  sub: string;
  authTime: number;
  expiresAt: number;
}

export const ADMIN_SCOPE = 'aws.cognito.signin.user.admin';
const SIGNUP_CODE_TTL_MS = 24 * 3600_000;
const FORGOT_CODE_TTL_MS = 3600_000;
const AUTH_CODE_TTL_MS = 5 * 60_000;
const SESSION_TTL_MS = 3600_000;
const MAX_CODE_ATTEMPTS = 5;
/** Sign-in names without an account whose failures are counted (least recently tried forgotten first). */
const MAX_UNKNOWN_NAMES = 50_000;
/** How long a PASSWORD_VERIFIER challenge (its SECRET_BLOCK) may be answered: Cognito's 3-minute auth session. */
const SRP_CHALLENGE_TTL_MS = 3 * 60_000;
/** How far a TIMESTAMP may be from this server's clock. */
const SRP_CLOCK_SKEW_MS = 5 * 60_000;
/** Spent SECRET_BLOCK ids remembered (until they expire) so a block answers once. */
const MAX_SPENT_BLOCKS = 100_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const sha256 = (v: string) => createHash('sha256').update(v).digest('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * What Pier's verifier checks (aws-jwt-verify: signature by the pool's key, `iss`, expiry, then Cognito's
 * `token_use` check), for access tokens presented back to the pool. `CognitoJwtVerifier` accepts only Cognito's
 * issuer URLs, not the stand-in's own.
 */
function accessTokenVerifier(issuer: string, jwk: SigningKey['publicJwk']) {
  const verifier = JwtVerifier.create({
    issuer,
    audience: null,
    customJwtCheck: ({ payload }) => validateCognitoJwtFields(payload, { tokenUse: 'access', clientId: null }),
  });
  verifier.cacheJwks({ keys: [jwk] });
  return { verify: (token: string) => verifier.verify(token) as Promise<CognitoAccessTokenPayload> };
}

/**
 * The user pool: users, codes, sign-in with lock-out, and Cognito-shaped tokens. The HTTP layers (user-pool API,
 * OAuth endpoints, hosted pages) all go through here, so a rule (disabled users, password policy) holds everywhere.
 */
export class UserPool {
  /** `iss` of the tokens: Cognito's URL until the server knows its own (`useIssuer`). */
  issuer!: string;
  readonly region: string;
  private readonly clients = new Map<string, AppClient>();
  /** When each client was first registered and last replaced on this server (epoch ms), for DescribeUserPoolClient. */
  private readonly clientDates = new Map<string, { createdAt: number; updatedAt: number }>();
  /** When this server applied the pool's configuration (clients, token lifetimes): DescribeUserPool's LastModifiedDate. */
  readonly configuredAt = Date.now();
  private readonly authCodes = new Map<string, AuthCode>();
  private readonly sessions = new Map<string, Session>();
  /** Browsers that just signed up (cookie value -> sub), so confirming in the same browser signs in, as in Cognito. */
  private readonly passwordTickets = new Map<string, { sub: string; expiresAt: number }>();
  private readonly codesSent = new Map<string, number[]>();
  private readonly pendingSignUps = new Map<string, { sub: string; expiresAt: number }>();
  /** Failed sign-ins for names that have no account, so they lock out as an account would (see authenticate). */
  private readonly unknownAttempts = new Map<string, Attempts>();
  private verifier!: ReturnType<typeof accessTokenVerifier>;
  // Compared against when the user does not exist, so a wrong e-mail costs the same time as a wrong password.
  private dummyHash: Promise<string> | undefined;
  /** Seals SRP challenge state into SECRET_BLOCK (key in memory only: open challenges end with a restart). */
  private readonly secretBlocks = new SecretBlocks();
  /** SECRET_BLOCK ids already answered, with their expiry. */
  private readonly spentBlocks = new Map<string, number>();
  /** Key for the stand-in salts and verifiers of names without an account; derived from the signing key, so stable. */
  private readonly srpFakeKey: Buffer;
  readonly srpPoolName: string;

  constructor(private readonly opts: PoolOptions) {
    this.region = opts.userPoolId.split('_')[0] as string;
    this.useIssuer(`https://cognito-idp.${this.region}.amazonaws.com/${opts.userPoolId}`);
    for (const c of opts.clients) this.setClient(c);
    this.srpPoolName = srpPoolName(opts.userPoolId);
    this.srpFakeKey = createHmac('sha256', 'pier-identity-srp-fake-users').update(opts.key.privateKey.export({ type: 'pkcs8', format: 'der' })).digest();
  }

  /** Tokens issued from now on name `issuer`, and only tokens naming it are accepted back (GetUser, userInfo). */
  useIssuer(issuer: string): void {
    this.issuer = issuer;
    this.verifier = accessTokenVerifier(issuer, this.opts.key.publicJwk);
  }

  get userPoolId(): string {
    return this.opts.userPoolId;
  }
  /** Lifetime of ID and access tokens, and of refresh tokens, in seconds. */
  get tokenTtlSeconds(): number {
    return this.opts.tokenTtlSeconds;
  }
  get refreshTtlSeconds(): number {
    return this.opts.refreshTtlSeconds;
  }
  /** When the pool (its state file) was created, epoch ms. */
  get createdAt(): number {
    return this.state.createdAt;
  }
  get jwks() {
    return { keys: [this.opts.key.publicJwk] };
  }
  private get state(): IdentityState {
    return this.opts.file.state;
  }
  private save(): Promise<void> {
    return this.opts.file.save();
  }

  setClient(client: AppClient): void {
    this.clients.set(client.clientId, { ...client, callbackUrls: [...client.callbackUrls], logoutUrls: [...client.logoutUrls] });
    const now = Date.now();
    this.clientDates.set(client.clientId, { createdAt: this.clientDates.get(client.clientId)?.createdAt ?? now, updatedAt: now });
  }

  /** Every registered app client, in the order they were first registered. */
  listClients(): AppClient[] {
    return [...this.clients.values()];
  }

  clientDatesOf(client: AppClient): { createdAt: number; updatedAt: number } {
    return this.clientDates.get(client.clientId) ?? { createdAt: this.configuredAt, updatedAt: this.configuredAt };
  }

  findClient(clientId: string | undefined): AppClient | undefined {
    return clientId === undefined ? undefined : this.clients.get(clientId);
  }

  requireClient(clientId: string): AppClient {
    const client = this.clients.get(clientId);
    if (!client) throw new CognitoError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
    return client;
  }

  requirePool(userPoolId: string): void {
    if (userPoolId !== this.opts.userPoolId) throw new CognitoError('ResourceNotFoundException', `User pool ${userPoolId} does not exist.`);
  }

  allowedScopes(client: AppClient): string[] {
    return client.allowedScopes ?? ['openid', 'email', 'profile', 'pier/orders.read', 'pier/orders.write', ADMIN_SCOPE];
  }

  /** For a confidential client, the API calls carry HMAC-SHA256(secret, username + clientId), as in Cognito. */
  checkSecretHash(client: AppClient, username: string, secretHash: string | undefined): void {
    if (!client.secret) return;
    if (!secretHash) throw new CognitoError('NotAuthorizedException', `Client ${client.clientId} is configured for secret but secret was not received`);
    const expected = createHmac('sha256', client.secret).update(username + client.clientId).digest();
    const given = Buffer.from(secretHash, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new CognitoError('NotAuthorizedException', `Unable to verify secret hash for client ${client.clientId}`);
  }

  checkClientSecret(client: AppClient, secret: string | undefined): boolean {
    if (!client.secret) return secret === undefined || secret === '';
    if (secret === undefined) return false;
    const a = Buffer.from(sha256(secret));
    const b = Buffer.from(sha256(client.secret));
    return timingSafeEqual(a, b);
  }

  // --- users ---------------------------------------------------------------------------------------------------

  /** By e-mail (the sign-in name, case-insensitive) or by username/sub. */
  findUser(name: string | undefined): UserRecord | undefined {
    if (!name) return undefined;
    const lower = name.trim().toLowerCase();
    return this.state.users[name] ?? Object.values(this.state.users).find((u) => u.email === lower);
  }

  requireUser(name: string | undefined): UserRecord {
    const user = this.findUser(name);
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    return user;
  }

  listUsers(): UserRecord[] {
    return Object.values(this.state.users).sort((a, b) => a.createdAt - b.createdAt);
  }

  private validateEmail(email: string | undefined): string {
    if (email !== undefined) wellFormed(email, 'username');
    if (!email || !EMAIL.test(email.trim())) throw new CognitoError('InvalidParameterException', 'Username should be an email.');
    return email.trim().toLowerCase();
  }

  async createUser(input: { email: string; password?: string; status: UserRecord['status']; emailVerified: boolean; attributes?: Record<string, string> }): Promise<UserRecord> {
    const email = this.validateEmail(input.email);
    for (const [name, value] of Object.entries(input.attributes ?? {})) {
      wellFormed(name, 'userAttributes.member.name');
      wellFormed(value, 'userAttributes.member.value');
    }
    if (this.findUser(email)) throw new CognitoError('UsernameExistsException', 'An account with the given email already exists.');
    if (input.password !== undefined) checkPasswordPolicy(input.password);
    const sub = randomUUID();
    const now = Date.now();
    const user: UserRecord = {
      sub,
      username: sub,
      email,
      emailVerified: input.emailVerified,
      attributes: { ...input.attributes },
      // No password yet (AdminCreateUser without one): an unguessable hash nobody can match.
      passwordHash: await hashPassword(input.password ?? randomBytes(32).toString('base64')),
      // Without a password there is no verifier either: SRP then answers as for an unknown name.
      ...(input.password !== undefined ? { srp: makeVerifier(this.srpPoolName, sub, input.password) } : {}),
      status: input.status,
      enabled: true,
      groups: [],
      createdAt: now,
      updatedAt: now,
      failedAttempts: 0,
      lockedUntil: 0,
      codes: {},
    };
    this.state.users[sub] = user;
    await this.save();
    return user;
  }

  async signUp(clientId: string, email: string, password: string, attributes: Record<string, string>, secretHash?: string): Promise<{ user: UserRecord; delivery: ReturnType<typeof deliveryDetails> }> {
    const client = this.requireClient(clientId);
    this.checkSecretHash(client, email, secretHash);
    if (attributes.email !== undefined && attributes.email.toLowerCase() !== email.trim().toLowerCase()) {
      throw new CognitoError('InvalidParameterException', 'Email and username must match when email is the username.');
    }
    const { email: _e, email_verified: _v, sub: _s, ...rest } = attributes;
    const user = await this.createUser({ email, password, status: 'UNCONFIRMED', emailVerified: false, attributes: rest });
    await this.sendCode(user, 'signup');
    return { user, delivery: deliveryDetails(user.email) };
  }

  async sendCode(user: UserRecord, kind: 'signup' | 'forgot'): Promise<void> {
    const hourAgo = Date.now() - 3600_000;
    const sent = (this.codesSent.get(user.sub) ?? []).filter((at) => at > hourAgo);
    if (sent.length >= this.opts.maxCodesPerHour) throw new CognitoError('LimitExceededException', 'Attempt limit exceeded, please try after some time.');
    this.codesSent.set(user.sub, [...sent, Date.now()]);
    const code = generateCode();
    const record: CodeRecord = { hash: sha256(code), expiresAt: Date.now() + (kind === 'signup' ? SIGNUP_CODE_TTL_MS : FORGOT_CODE_TTL_MS), attempts: 0 };
    user.codes[kind] = record;
    await this.save();
    // Locally the log is the mailbox: a person running `npm start` reads the code here.
    this.opts.logger.info({ kind, email: user.email, code }, `identity: ${kind === 'signup' ? 'sign-up confirmation' : 'password reset'} code for ${user.email}: ${code}`);
    this.opts.onCode?.({ kind, email: user.email, username: user.username, code });
  }

  private async useCode(user: UserRecord, kind: 'signup' | 'forgot', code: string): Promise<void> {
    const record = user.codes[kind];
    if (!record || record.expiresAt <= Date.now() || record.attempts >= MAX_CODE_ATTEMPTS) {
      throw new CognitoError('ExpiredCodeException', 'Invalid code provided, please request a code again.');
    }
    if (!/^\d{6}$/.test(code) || sha256(code) !== record.hash) {
      record.attempts += 1;
      await this.save();
      throw new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.');
    }
    delete user.codes[kind];
  }

  async confirmSignUp(email: string, code: string): Promise<void> {
    const user = this.requireUser(email);
    if (user.status === 'CONFIRMED') throw new CognitoError('NotAuthorizedException', 'User cannot be confirmed. Current status is CONFIRMED');
    await this.useCode(user, 'signup', code);
    user.status = 'CONFIRMED';
    user.emailVerified = true;
    user.updatedAt = Date.now();
    await this.save();
  }

  async resendConfirmationCode(email: string) {
    const user = this.requireUser(email);
    if (user.status === 'CONFIRMED') throw new CognitoError('InvalidParameterException', 'User is already confirmed.');
    await this.sendCode(user, 'signup');
    return deliveryDetails(user.email);
  }

  async forgotPassword(email: string) {
    const user = this.findUser(email);
    // Unknown users get the same answer as known ones (Cognito's "prevent user existence errors").
    if (!user) return deliveryDetails(email);
    if (!user.enabled) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
    if (!user.emailVerified) throw new CognitoError('InvalidParameterException', 'Cannot reset password for the user as there is no registered/verified email or phone_number');
    await this.sendCode(user, 'forgot');
    return deliveryDetails(user.email);
  }

  async confirmForgotPassword(email: string, code: string, password: string): Promise<void> {
    const user = this.findUser(email);
    if (!user) throw new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.');
    // Policy first: a refused password must not use up the code.
    checkPasswordPolicy(password);
    await this.useCode(user, 'forgot', code);
    await this.setPassword(user, password, true);
  }

  async setPassword(user: UserRecord, password: string, permanent: boolean): Promise<void> {
    checkPasswordPolicy(password);
    user.passwordHash = await hashPassword(password);
    user.srp = makeVerifier(this.srpPoolName, user.username, password);
    user.status = permanent ? 'CONFIRMED' : 'FORCE_CHANGE_PASSWORD';
    user.failedAttempts = 0;
    user.lockedUntil = 0;
    user.updatedAt = Date.now();
    await this.save();
  }

  async update(user: UserRecord, change: (u: UserRecord) => void): Promise<void> {
    change(user);
    user.updatedAt = Date.now();
    await this.save();
  }

  async deleteUser(user: UserRecord): Promise<void> {
    delete this.state.users[user.sub];
    for (const [hash, rec] of Object.entries(this.state.refreshTokens)) if (rec.sub === user.sub) delete this.state.refreshTokens[hash];
    await this.save();
  }

  async createGroup(name: string, description?: string, precedence?: number): Promise<void> {
    if (!/^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u.test(name)) throw new CognitoError('InvalidParameterException', 'Invalid group name.');
    if (this.state.groups[name]) throw new CognitoError('GroupExistsException', 'A group with the name already exists.');
    this.state.groups[name] = { createdAt: Date.now(), ...(description ? { description } : {}), ...(precedence !== undefined ? { precedence } : {}) };
    await this.save();
  }

  get groups() {
    return this.state.groups;
  }

  async addToGroup(user: UserRecord, group: string): Promise<void> {
    if (!this.state.groups[group]) throw new CognitoError('ResourceNotFoundException', 'Group not found.');
    if (!user.groups.includes(group)) await this.update(user, (u) => u.groups.push(group));
  }

  async removeFromGroup(user: UserRecord, group: string): Promise<void> {
    if (!this.state.groups[group]) throw new CognitoError('ResourceNotFoundException', 'Group not found.');
    await this.update(user, (u) => (u.groups = u.groups.filter((g) => g !== group)));
  }

  // --- sign-in -------------------------------------------------------------------------------------------------

  /**
   * Checks e-mail and password with Cognito's answers. Five wrong passwords in a row lock sign-in for
   * `lockoutSeconds`, even with the right password; a success resets the count.
   *
   * A name without an account answers exactly as an account with a wrong password does, lock-out included: it has
   * a counter of its own, so after five failures it too answers "Password attempts exceeded". Cognito with
   * PreventUserExistenceErrors ENABLED "responds with nonspecific information to API requests where its response
   * might otherwise disclose that a valid user exists" and answers an unknown user with the generic
   * NotAuthorizedException
   * (https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pool-managing-errors.html); a lock-out
   * that only real accounts reach would disclose them after five tries.
   */
  async authenticate(email: string, password: string): Promise<UserRecord> {
    const user = this.findUser(email);
    const checked = await this.attempt(user, email, async () => {
      if (user) return verifyPassword(password, user.passwordHash);
      // An unknown name costs the same scrypt check as a wrong password.
      this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(password, await this.dummyHash);
      return false;
    });
    // A user from a state file older than SRP support gets a verifier now that the password is known.
    if (!this.srpVerifierOf(checked)) {
      checked.srp = makeVerifier(this.srpPoolName, checked.username, password);
      await this.save();
    }
    return this.signInAllowed(checked);
  }

  /**
   * One sign-in attempt against the lock-out: `prove` checks the secret (password or SRP proof). A name without an
   * account (`user` undefined) has a counter of its own and always fails.
   */
  private async attempt(user: UserRecord | undefined, name: string, prove: () => Promise<boolean>): Promise<UserRecord> {
    const attempts: Attempts = user ?? this.unknownName(name);
    const now = Date.now();
    const exceeded = () => new CognitoError('NotAuthorizedException', 'Password attempts exceeded');
    if (attempts.lockedUntil > now) throw exceeded();
    // Counted before the slow check, so guesses sent in parallel cannot get past the limit.
    const before = attempts.failedAttempts;
    attempts.failedAttempts += 1;
    if (attempts.failedAttempts > this.opts.maxFailedAttempts) throw exceeded();
    const matches = await prove();
    if (!user || !matches) {
      if (attempts.failedAttempts >= this.opts.maxFailedAttempts && attempts.lockedUntil <= Date.now()) {
        attempts.lockedUntil = Date.now() + this.opts.lockoutSeconds * 1000;
        attempts.failedAttempts = 0;
      }
      // Not awaited: a disk write only for real accounts would make their failures measurably slower.
      if (user) this.save().catch((err: unknown) => this.opts.logger.warn({ err }, 'identity: could not save the failed-attempt count'));
      throw incorrectCredentials();
    }
    user.failedAttempts = 0;
    if (before) await this.save();
    return user;
  }

  /** After the secret was proven: the account-state rules every sign-in follows. */
  private signInAllowed(user: UserRecord): UserRecord {
    if (!user.enabled) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
    if (user.status === 'UNCONFIRMED') throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.');
    if (user.status === 'RESET_REQUIRED') throw new CognitoError('PasswordResetRequiredException', 'Password reset required for the user');
    return user;
  }

  // --- SRP (USER_SRP_AUTH, then PASSWORD_VERIFIER) -------------------------------------------------------------

  /** The user's SRP verifier, if it was made for this pool (x depends on the pool name, so another pool id voids it). */
  private srpVerifierOf(user: UserRecord): SrpVerifier | undefined {
    return user.srp && user.srp.poolName === this.srpPoolName ? user.srp : undefined;
  }

  /**
   * InitiateAuth USER_SRP_AUTH: the PASSWORD_VERIFIER challenge parameters. Every name gets one, whether or not it
   * has an account: a name without one (or an account without a verifier yet) gets a salt, verifier and
   * USER_ID_FOR_SRP derived from an HMAC of the name under a server key, so it looks like an account and fails only
   * at the verifier step, with the same message. Nothing about the account is checked here.
   */
  srpChallenge(name: string, clientId: string, srpA: string): Record<string, string> {
    const A = parseA(srpA);
    if (A === undefined) throw new CognitoError('InvalidParameterException', 'Invalid SRP_A value.');
    const user = this.findUser(name);
    const stored = user ? this.srpVerifierOf(user) : undefined;
    const fake = stored ? undefined : fakeVerifier(this.srpFakeKey, user ? user.sub : name.trim().toLowerCase());
    if (user && !stored) this.opts.logger.warn({ email: user.email }, `identity: ${user.email} has no SRP verifier yet (a data folder from before SRP, or no password set); sign in once with USER_PASSWORD_AUTH or the hosted login, or set the password again`);
    const salt = stored ? stored.salt : fake!.salt;
    const v = stored ? BigInt(`0x${stored.verifier}`) : fake!.verifier;
    const userIdForSrp = user ? user.username : fake!.userIdForSrp;
    const { b, B } = serverEphemeral(v);
    const state: SrpState = {
      id: randomBytes(16).toString('base64url'),
      name: name.trim().toLowerCase(),
      sub: user ? user.sub : userIdForSrp,
      known: user ? 1 : 0,
      userIdForSrp,
      clientId,
      A: A.toString(16),
      B: B.toString(16),
      b: b.toString(16),
      v: v.toString(16),
      expiresAt: Date.now() + SRP_CHALLENGE_TTL_MS,
    };
    return { SALT: salt, SECRET_BLOCK: this.secretBlocks.seal(state), SRP_B: B.toString(16), USERNAME: userIdForSrp, USER_ID_FOR_SRP: userIdForSrp };
  }

  /**
   * RespondToAuthChallenge PASSWORD_VERIFIER: checks the client's proof (PASSWORD_CLAIM_SIGNATURE over the
   * SECRET_BLOCK and TIMESTAMP, keyed by the SRP session key) under the same lock-out and account rules as a
   * password sign-in. A SECRET_BLOCK answers once, within 3 minutes, for the client it was issued to.
   */
  async srpVerify(clientId: string, r: { USERNAME: string; PASSWORD_CLAIM_SECRET_BLOCK: string; PASSWORD_CLAIM_SIGNATURE: string; TIMESTAMP: string }): Promise<UserRecord> {
    const state = this.secretBlocks.open(r.PASSWORD_CLAIM_SECRET_BLOCK);
    const now = Date.now();
    if (!state || state.clientId !== clientId || state.expiresAt <= now || this.spentBlocks.has(state.id)) {
      throw new CognitoError('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    }
    // Every block lives as long, so the Map (insertion order) is in expiry order: drop from the front.
    for (const [id, until] of this.spentBlocks) {
      if (until > now) break;
      this.spentBlocks.delete(id);
    }
    if (this.spentBlocks.size >= MAX_SPENT_BLOCKS) this.spentBlocks.delete(this.spentBlocks.keys().next().value!);
    this.spentBlocks.set(state.id, state.expiresAt);
    const user = state.known === 1 ? this.state.users[state.sub] : undefined;
    const checked = await this.attempt(user, state.name, async () => {
      // The same work whether or not the name has an account: the proof of a stand-in verifier just never matches.
      const key = sessionKey(BigInt(`0x${state.A}`), BigInt(`0x${state.B}`), BigInt(`0x${state.b}`), BigInt(`0x${state.v}`));
      const expected = key ? claimSignature(key, this.srpPoolName, state.userIdForSrp, Buffer.from(r.PASSWORD_CLAIM_SECRET_BLOCK, 'base64'), r.TIMESTAMP) : undefined;
      const signed = expected !== undefined && signatureMatches(expected, r.PASSWORD_CLAIM_SIGNATURE);
      const at = parseTimestamp(r.TIMESTAMP);
      const fresh = at !== undefined && Math.abs(at - Date.now()) <= SRP_CLOCK_SKEW_MS;
      const sameName = r.USERNAME === state.userIdForSrp || (user !== undefined && this.findUser(r.USERNAME) === user);
      const current = user ? this.srpVerifierOf(user)?.verifier === state.v : false;
      return signed && fresh && sameName && current;
    });
    return this.signInAllowed(checked);
  }

  /** The failure counter of a name that has no account, kept in memory (bounded: least recently tried dropped first). */
  private unknownName(name: string): Attempts {
    const key = name.trim().toLowerCase();
    const found = this.unknownAttempts.get(key);
    // Re-inserted on every use, so the Map's order is least recently tried first.
    if (found) this.unknownAttempts.delete(key);
    else if (this.unknownAttempts.size >= MAX_UNKNOWN_NAMES) this.unknownAttempts.delete(this.unknownAttempts.keys().next().value!);
    const attempts = found ?? { failedAttempts: 0, lockedUntil: 0 };
    this.unknownAttempts.set(key, attempts);
    return attempts;
  }

  // --- tokens --------------------------------------------------------------------------------------------------

  /** ID, access and (for a new sign-in) refresh token, with Cognito's claims. */
  async issueTokens(
    user: UserRecord,
    client: AppClient,
    opts: { scope: string[]; authTime: number; nonce?: string; refresh?: RefreshRecord },
  ): Promise<Tokens> {
    const iat = nowSeconds();
    const exp = iat + this.opts.tokenTtlSeconds;
    const originJti = opts.refresh?.originJti ?? randomUUID();
    const eventId = opts.refresh?.eventId ?? randomUUID();
    const groups = user.groups.length ? { 'cognito:groups': [...user.groups] } : {};
    const accessToken = signJwt(this.opts.key, {
      sub: user.sub,
      ...groups,
      iss: this.issuer,
      version: 2,
      client_id: client.clientId,
      origin_jti: originJti,
      event_id: eventId,
      token_use: 'access',
      scope: opts.scope.join(' '),
      auth_time: opts.authTime,
      exp,
      iat,
      jti: randomUUID(),
      username: user.username,
    });
    // Cognito issues an ID token only when `openid` was granted (always, for the user-pool API's sign-in).
    const idToken = opts.scope.includes('openid') || opts.scope.includes(ADMIN_SCOPE)
      ? signJwt(this.opts.key, {
          ...(opts.nonce ? { at_hash: atHash(accessToken) } : {}),
          sub: user.sub,
          ...groups,
          email_verified: user.emailVerified,
          iss: this.issuer,
          'cognito:username': user.username,
          ...(opts.nonce ? { nonce: opts.nonce } : {}),
          origin_jti: originJti,
          aud: client.clientId,
          event_id: eventId,
          token_use: 'id',
          auth_time: opts.authTime,
          ...user.attributes,
          exp,
          iat,
          jti: randomUUID(),
          email: user.email,
        })
      : undefined;
    let refreshToken: string | undefined;
    if (!opts.refresh) {
      refreshToken = randomBytes(48).toString('base64url');
      this.state.refreshTokens[sha256(refreshToken)] = {
        sub: user.sub,
        clientId: client.clientId,
        scope: opts.scope.join(' '),
        originJti,
        authTime: opts.authTime,
        eventId,
        expiresAt: Date.now() + this.opts.refreshTtlSeconds * 1000,
      };
      this.opts.file.prune(Date.now());
      await this.save();
    }
    return { ...(idToken ? { idToken } : {}), accessToken, ...(refreshToken ? { refreshToken } : {}), expiresIn: this.opts.tokenTtlSeconds };
  }

  /** New ID and access tokens for a live refresh token; `undefined` when it is unknown, expired or revoked. */
  async refresh(refreshToken: string, client: AppClient): Promise<Tokens | undefined> {
    const record = this.state.refreshTokens[sha256(refreshToken)];
    if (!record || record.clientId !== client.clientId || record.expiresAt <= Date.now()) return undefined;
    const user = this.state.users[record.sub];
    if (!user) return undefined;
    if (!user.enabled) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
    return this.issueTokens(user, client, { scope: record.scope.split(' ').filter(Boolean), authTime: record.authTime, refresh: record });
  }

  /** The user a refresh token belongs to (for Cognito's SECRET_HASH check on REFRESH_TOKEN_AUTH). */
  refreshTokenUser(refreshToken: string): UserRecord | undefined {
    const record = this.state.refreshTokens[sha256(refreshToken)];
    return record ? this.state.users[record.sub] : undefined;
  }

  /** RevokeToken / oauth2/revoke: the refresh token and every access token issued with it stop working. */
  async revokeRefreshToken(refreshToken: string, client: AppClient): Promise<void> {
    const hash = sha256(refreshToken);
    const record = this.state.refreshTokens[hash];
    if (!record) return; // RFC 7009: an unknown token is not an error
    if (record.clientId !== client.clientId) throw new OAuthError('invalid_request', 'The token was issued to another client.');
    this.revokeRecord(hash, record);
    await this.save();
  }

  private revokeRecord(hash: string, record: RefreshRecord): void {
    delete this.state.refreshTokens[hash];
    this.state.revokedOrigins[record.originJti] = Date.now() + this.opts.tokenTtlSeconds * 1000;
  }

  /** GlobalSignOut: every refresh token of the user, and the access tokens that came with them. */
  async signOutEverywhere(user: UserRecord): Promise<void> {
    for (const [hash, rec] of Object.entries(this.state.refreshTokens)) if (rec.sub === user.sub) this.revokeRecord(hash, rec);
    await this.save();
  }

  /**
   * Verifies an access token presented to the pool (GetUser, userInfo, GlobalSignOut) with aws-jwt-verify against
   * the pool's own key: a forged or altered token is refused, as are expired and revoked ones.
   */
  async verifyAccessToken(token: string | undefined): Promise<{ user: UserRecord; scope: string[] }> {
    if (!token) throw new CognitoError('InvalidParameterException', "1 validation error detected: Value at 'accessToken' failed to satisfy constraint: Member must not be null");
    let payload;
    try {
      payload = await this.verifier.verify(token);
    } catch (err) {
      if (err instanceof JwtExpiredError) throw new CognitoError('NotAuthorizedException', 'Access Token has expired');
      throw new CognitoError('NotAuthorizedException', 'Invalid Access Token');
    }
    const origin = payload.origin_jti as string | undefined;
    if (origin && this.state.revokedOrigins[origin]) throw new CognitoError('NotAuthorizedException', 'Access Token has been revoked');
    const user = this.state.users[payload.sub];
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    if (!user.enabled) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
    return { user, scope: (payload.scope ?? '').split(' ').filter(Boolean) };
  }

  // --- hosted login: sessions and authorization codes ------------------------------------------------------------

  createSession(user: UserRecord, authTime: number): string {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { sub: user.sub, authTime, expiresAt: Date.now() + SESSION_TTL_MS });
    return id;
  }

  /** The signed-in user of a hosted-login session cookie, if it is still valid and the user may still sign in. */
  sessionUser(id: string | undefined): { user: UserRecord; authTime: number } | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session || session.expiresAt <= Date.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    const user = this.state.users[session.sub];
    if (!user || !user.enabled || user.status !== 'CONFIRMED') return undefined;
    return { user, authTime: session.authTime };
  }

  /** A short-lived, single-use ticket for the hosted "choose a new password" step (FORCE_CHANGE_PASSWORD). */
  newPasswordTicket(user: UserRecord): string {
    const id = randomBytes(32).toString('base64url');
    this.passwordTickets.set(id, { sub: user.sub, expiresAt: Date.now() + 5 * 60_000 });
    return id;
  }

  takeNewPasswordTicket(id: string | undefined): UserRecord | undefined {
    if (!id) return undefined;
    const ticket = this.passwordTickets.get(id);
    this.passwordTickets.delete(id);
    const user = ticket && ticket.expiresAt > Date.now() ? this.state.users[ticket.sub] : undefined;
    return user && user.enabled && user.status === 'FORCE_CHANGE_PASSWORD' ? user : undefined;
  }

  rememberSignUp(user: UserRecord): string {
    for (const [k, v] of this.pendingSignUps) if (v.expiresAt <= Date.now()) this.pendingSignUps.delete(k);
    const id = randomBytes(32).toString('base64url');
    this.pendingSignUps.set(id, { sub: user.sub, expiresAt: Date.now() + SESSION_TTL_MS });
    return id;
  }

  /** The user this browser signed up as, if `email` is that user (single use). */
  takeSignUp(id: string | undefined, email: string): UserRecord | undefined {
    if (!id) return undefined;
    const pending = this.pendingSignUps.get(id);
    this.pendingSignUps.delete(id);
    const user = pending && pending.expiresAt > Date.now() ? this.state.users[pending.sub] : undefined;
    return user && user.email === email.trim().toLowerCase() && user.enabled && user.status === 'CONFIRMED' ? user : undefined;
  }

  endSession(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  issueAuthCode(input: Omit<AuthCode, 'expiresAt'>): string {
    for (const [c, v] of this.authCodes) if (v.expiresAt <= Date.now()) this.authCodes.delete(c);
    const code = randomUUID();
    this.authCodes.set(code, { ...input, expiresAt: Date.now() + AUTH_CODE_TTL_MS });
    return code;
  }

  /** Single use: the code is gone after this call, whatever the outcome. */
  takeAuthCode(code: string): AuthCode | undefined {
    const entry = this.authCodes.get(code);
    this.authCodes.delete(code);
    return entry && entry.expiresAt > Date.now() ? entry : undefined;
  }
}

/** Refuses a string that is not well-formed Unicode (a lone surrogate), as Cognito's validation refuses a field. */
function wellFormed(value: string, field: string): void {
  if (!isWellFormed(value)) throw new CognitoError('InvalidParameterException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must be a well-formed Unicode string`);
}

/** `d***@p***` as Cognito masks the destination of a code. */
function deliveryDetails(email: string) {
  const [local = '', domain = ''] = email.split('@');
  return { Destination: `${local.slice(0, 1)}***@${domain.slice(0, 1)}***`, DeliveryMedium: 'EMAIL', AttributeName: 'email' };
}

/** OIDC at_hash: left half of SHA-256 of the access token. */
function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}
