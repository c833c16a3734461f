import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { actionHandler, isWellFormed } from '../awsJson.js';
import { CHALLENGE_SESSION_MINUTES, domainDescription, userPoolClientType, userPoolType, WRITABLE_ATTRIBUTES } from './describe.js';
import { CognitoError, OAuthError } from './errors.js';
import { checkPasswordPolicy } from './password.js';
import { ADMIN_SCOPE, type UserPool, type Tokens } from './pool.js';
import type { UserRecord } from './store.js';

type Input = Record<string, unknown>;
type Handler = (input: Input, ctx: { signed: boolean }) => Promise<unknown>;

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
export const AMZ_JSON = 'application/x-amz-json-1.1';

const notNull = (field: string) => new CognitoError('InvalidParameterException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);

function str(input: Input, key: string): string {
  const v = input[key];
  if (v === undefined || v === null) throw notNull(key.charAt(0).toLowerCase() + key.slice(1));
  if (typeof v !== 'string') throw new CognitoError('SerializationException', `${key} must be a string`);
  return v;
}
function optStr(input: Input, key: string): string | undefined {
  return input[key] === undefined || input[key] === null ? undefined : str(input, key);
}
function strMap(input: Input, key: string): Record<string, string> {
  const v = input[key] ?? {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v as object).some((x) => typeof x !== 'string')) throw new CognitoError('SerializationException', `${key} must be a map of strings`);
  return v as Record<string, string>;
}

/** `[{Name, Value}]` to a map, refusing attributes outside the pool's schema as Cognito does. */
function attributes(input: Input, key: string): Record<string, string> {
  const list = input[key] ?? [];
  if (!Array.isArray(list)) throw new CognitoError('SerializationException', `${key} must be a list`);
  const out: Record<string, string> = {};
  for (const item of list as { Name?: unknown; Value?: unknown }[]) {
    if (typeof item?.Name !== 'string' || typeof (item.Value ?? '') !== 'string') throw new CognitoError('InvalidParameterException', 'Attribute name and value must be strings.');
    const name = item.Name;
    if (!['email', 'email_verified', 'sub'].includes(name) && !WRITABLE_ATTRIBUTES.includes(name) && !name.startsWith('custom:')) {
      throw new CognitoError('InvalidParameterException', `Attributes did not conform to the schema: ${name}: Attribute does not exist in the schema.\n`);
    }
    if (name === 'sub') throw new CognitoError('InvalidParameterException', 'Cannot modify an already provided sub attribute.');
    out[name] = String(item.Value ?? '');
  }
  return out;
}

/**
 * Where the request holds a string, as a value or a key at any depth, that is not well-formed Unicode (a lone UTF-16
 * surrogate), named as Cognito's validation messages name a field (`username`, `userAttributes.1.member.value`).
 * Such a string is no text at all: it cannot be encoded as UTF-8, so an e-mail, a name or a password holding one
 * would be stored, compared and hashed as some other string.
 */
function malformedField(input: Input): string | undefined {
  const lowerFirst = (k: string) => k.charAt(0).toLowerCase() + k.slice(1);
  const pending: [unknown, string][] = [[input, '']];
  // A loop, not recursion: the body may nest as deep as its size allows.
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (typeof value === 'string') {
      if (!isWellFormed(value)) return path;
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => pending.push([v, `${path}.${i + 1}.member`]));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        const at = path ? `${path}.${lowerFirst(k)}` : lowerFirst(k);
        if (!isWellFormed(k)) return at;
        pending.push([v, at]);
      }
    }
  }
  return undefined;
}

const epoch = (ms: number) => ms / 1000;

function userAttributes(u: UserRecord) {
  return [
    { Name: 'sub', Value: u.sub },
    ...Object.entries(u.attributes).map(([Name, Value]) => ({ Name, Value })),
    { Name: 'email_verified', Value: String(u.emailVerified) },
    { Name: 'email', Value: u.email },
  ];
}

function userType(u: UserRecord) {
  return { Username: u.username, Attributes: userAttributes(u), UserCreateDate: epoch(u.createdAt), UserLastModifiedDate: epoch(u.updatedAt), Enabled: u.enabled, UserStatus: u.status };
}

function authResult(t: Tokens) {
  return {
    AuthenticationResult: { AccessToken: t.accessToken, ExpiresIn: t.expiresIn, TokenType: 'Bearer', ...(t.idToken ? { IdToken: t.idToken } : {}), ...(t.refreshToken ? { RefreshToken: t.refreshToken } : {}) },
    ChallengeParameters: {},
  };
}

/**
 * The Cognito user-pool API as the AWS SDK speaks it: `POST /` with `X-Amz-Target`, JSON 1.1 bodies, errors as
 * `{ __type, message }` with HTTP 400. Admin actions need a SigV4-signed request (any credentials: there is no IAM
 * here), which a web page cannot send cross-origin (CORS below does not allow the Authorization header).
 */
export function registerUserPoolApi(app: FastifyInstance, pool: UserPool, baseUrl: () => string): void {
  // Sign-in challenges (NEW_PASSWORD_REQUIRED after AdminCreateUser), keyed by an opaque session value.
  const challenges = new Map<string, { sub: string; clientId: string; expiresAt: number }>();

  // Calls Cognito authorizes with IAM (SigV4); `admin` ones also name the pool.
  const signed = (h: Handler): Handler => async (input, ctx) => {
    if (!ctx.signed) throw new CognitoError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
    return h(input, ctx);
  };
  const admin = (h: Handler): Handler =>
    signed(async (input, ctx) => {
      pool.requirePool(str(input, 'UserPoolId'));
      return h(input, ctx);
    });

  const signIn = async (user: UserRecord, clientId: string) => {
    const client = pool.requireClient(clientId);
    return authResult(await pool.issueTokens(user, client, { scope: [ADMIN_SCOPE], authTime: Math.floor(Date.now() / 1000) }));
  };

  // After the password (or SRP proof) checked out: tokens, or NEW_PASSWORD_REQUIRED for a user made by AdminCreateUser.
  const signedIn = async (user: UserRecord, clientId: string) => {
    if (user.status === 'FORCE_CHANGE_PASSWORD') {
      const session = randomBytes(48).toString('base64url');
      challenges.set(session, { sub: user.sub, clientId, expiresAt: Date.now() + CHALLENGE_SESSION_MINUTES * 60_000 });
      return {
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: session,
        ChallengeParameters: { USER_ID_FOR_SRP: user.username, requiredAttributes: '[]', userAttributes: JSON.stringify({ email_verified: String(user.emailVerified), email: user.email }) },
      };
    }
    return signIn(user, clientId);
  };

  const actions: Record<string, Handler> = {
    SignUp: async (i) => {
      const username = str(i, 'Username');
      const { user, delivery } = await pool.signUp(str(i, 'ClientId'), username, str(i, 'Password'), attributes(i, 'UserAttributes'), optStr(i, 'SecretHash'));
      return { UserConfirmed: false, UserSub: user.sub, CodeDeliveryDetails: delivery };
    },
    ConfirmSignUp: async (i) => {
      const client = pool.requireClient(str(i, 'ClientId'));
      pool.checkSecretHash(client, str(i, 'Username'), optStr(i, 'SecretHash'));
      await pool.confirmSignUp(str(i, 'Username'), str(i, 'ConfirmationCode'));
      return {};
    },
    ResendConfirmationCode: async (i) => {
      const client = pool.requireClient(str(i, 'ClientId'));
      pool.checkSecretHash(client, str(i, 'Username'), optStr(i, 'SecretHash'));
      return { CodeDeliveryDetails: await pool.resendConfirmationCode(str(i, 'Username')) };
    },
    ForgotPassword: async (i) => {
      const client = pool.requireClient(str(i, 'ClientId'));
      pool.checkSecretHash(client, str(i, 'Username'), optStr(i, 'SecretHash'));
      return { CodeDeliveryDetails: await pool.forgotPassword(str(i, 'Username')) };
    },
    ConfirmForgotPassword: async (i) => {
      const client = pool.requireClient(str(i, 'ClientId'));
      pool.checkSecretHash(client, str(i, 'Username'), optStr(i, 'SecretHash'));
      await pool.confirmForgotPassword(str(i, 'Username'), str(i, 'ConfirmationCode'), str(i, 'Password'));
      return {};
    },
    InitiateAuth: async (i) => {
      const clientId = str(i, 'ClientId');
      const client = pool.requireClient(clientId);
      const params = strMap(i, 'AuthParameters');
      const flow = str(i, 'AuthFlow');
      if (flow === 'USER_PASSWORD_AUTH') {
        if (!params.USERNAME) throw new CognitoError('InvalidParameterException', 'Missing required parameter USERNAME');
        if (!params.PASSWORD) throw new CognitoError('InvalidParameterException', 'Missing required parameter PASSWORD');
        pool.checkSecretHash(client, params.USERNAME, params.SECRET_HASH);
        return signedIn(await pool.authenticate(params.USERNAME, params.PASSWORD), clientId);
      }
      if (flow === 'USER_SRP_AUTH') {
        if (!params.USERNAME) throw new CognitoError('InvalidParameterException', 'Missing required parameter USERNAME');
        if (!params.SRP_A) throw new CognitoError('InvalidParameterException', 'Missing required parameter SRP_A');
        pool.checkSecretHash(client, params.USERNAME, params.SECRET_HASH);
        // Cognito answers this challenge without a Session: SECRET_BLOCK carries the state.
        return { ChallengeName: 'PASSWORD_VERIFIER', ChallengeParameters: pool.srpChallenge(params.USERNAME, clientId, params.SRP_A) };
      }
      if (flow === 'REFRESH_TOKEN_AUTH' || flow === 'REFRESH_TOKEN') {
        if (!params.REFRESH_TOKEN) throw new CognitoError('InvalidParameterException', 'Missing required parameter REFRESH_TOKEN');
        // Cognito checks SECRET_HASH against the username (the sub here) that the refresh token belongs to.
        if (client.secret) pool.checkSecretHash(client, pool.refreshTokenUser(params.REFRESH_TOKEN)?.username ?? '', params.SECRET_HASH);
        const tokens = await pool.refresh(params.REFRESH_TOKEN, client);
        if (!tokens) throw new CognitoError('NotAuthorizedException', 'Invalid Refresh Token');
        return authResult(tokens);
      }
      if (flow === 'CUSTOM_AUTH' || flow === 'USER_AUTH') {
        throw new CognitoError('InvalidParameterException', `${flow} is not supported by the local identity endpoint; use USER_SRP_AUTH or USER_PASSWORD_AUTH.`);
      }
      throw new CognitoError('InvalidParameterException', `1 validation error detected: Value '${flow}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set`);
    },
    RespondToAuthChallenge: async (i) => {
      const clientId = str(i, 'ClientId');
      const name = str(i, 'ChallengeName');
      const responses = strMap(i, 'ChallengeResponses');
      if (name === 'PASSWORD_VERIFIER') {
        const client = pool.requireClient(clientId);
        for (const key of ['USERNAME', 'PASSWORD_CLAIM_SECRET_BLOCK', 'PASSWORD_CLAIM_SIGNATURE', 'TIMESTAMP'] as const) {
          if (!responses[key]) throw new CognitoError('InvalidParameterException', `Missing required parameter ${key}`);
        }
        // The client signs with USER_ID_FOR_SRP as USERNAME, and computes SECRET_HASH with it.
        pool.checkSecretHash(client, responses.USERNAME!, responses.SECRET_HASH);
        const user = await pool.srpVerify(clientId, {
          USERNAME: responses.USERNAME!,
          PASSWORD_CLAIM_SECRET_BLOCK: responses.PASSWORD_CLAIM_SECRET_BLOCK!,
          PASSWORD_CLAIM_SIGNATURE: responses.PASSWORD_CLAIM_SIGNATURE!,
          TIMESTAMP: responses.TIMESTAMP!,
        });
        return signedIn(user, clientId);
      }
      const session = str(i, 'Session');
      const pending = challenges.get(session);
      if (!pending || pending.expiresAt <= Date.now() || pending.clientId !== clientId || name !== 'NEW_PASSWORD_REQUIRED') {
        challenges.delete(session);
        throw new CognitoError('NotAuthorizedException', 'Invalid session for the user, session is expired.');
      }
      if (!responses.NEW_PASSWORD) throw new CognitoError('InvalidParameterException', 'Missing required parameter NEW_PASSWORD');
      // A password the policy refuses may be retried within the same session; a good one spends it.
      checkPasswordPolicy(responses.NEW_PASSWORD);
      challenges.delete(session);
      const user = pool.requireUser(pending.sub);
      await pool.setPassword(user, responses.NEW_PASSWORD, true);
      return signIn(user, clientId);
    },
    GetUser: async (i) => {
      const { user, scope } = await pool.verifyAccessToken(optStr(i, 'AccessToken'));
      if (!scope.includes(ADMIN_SCOPE)) throw new CognitoError('NotAuthorizedException', 'Access Token does not have required scopes');
      return { Username: user.username, UserAttributes: userAttributes(user) };
    },
    GlobalSignOut: async (i) => {
      const { user } = await pool.verifyAccessToken(optStr(i, 'AccessToken'));
      await pool.signOutEverywhere(user);
      return {};
    },
    RevokeToken: async (i) => {
      const clientId = str(i, 'ClientId');
      const client = pool.requireClient(clientId);
      if (!pool.checkClientSecret(client, optStr(i, 'ClientSecret'))) throw new CognitoError('NotAuthorizedException', 'Unable to verify secret hash for client ' + clientId);
      try {
        await pool.revokeRefreshToken(str(i, 'Token'), client);
      } catch (err) {
        if (err instanceof OAuthError) throw new CognitoError('UnauthorizedException', 'Token was not issued to this client.');
        throw err;
      }
      return {};
    },
    // The server-side sign-in (ADMIN_USER_PASSWORD_AUTH): the same checks as InitiateAuth, for signed callers.
    AdminInitiateAuth: admin(async (i, ctx) => {
      const flow = str(i, 'AuthFlow');
      const mapped = flow === 'ADMIN_USER_PASSWORD_AUTH' || flow === 'ADMIN_NO_SRP_AUTH' ? 'USER_PASSWORD_AUTH' : flow === 'REFRESH_TOKEN_AUTH' || flow === 'REFRESH_TOKEN' || flow === 'USER_SRP_AUTH' ? flow : `unsupported:${flow}`;
      if (mapped.startsWith('unsupported:')) throw new CognitoError('InvalidParameterException', `${flow} is not supported by the local identity endpoint; use ADMIN_USER_PASSWORD_AUTH.`);
      return (actions.InitiateAuth as Handler)({ ...i, AuthFlow: mapped }, ctx);
    }),
    // AdminInitiateAuth's challenges (PASSWORD_VERIFIER, NEW_PASSWORD_REQUIRED), answered by a signed caller.
    AdminRespondToAuthChallenge: admin(async (i, ctx) => (actions.RespondToAuthChallenge as Handler)(i, ctx)),
    AdminCreateUser: admin(async (i) => {
      const attrs = attributes(i, 'UserAttributes');
      const username = str(i, 'Username');
      if (attrs.email !== undefined && attrs.email.toLowerCase() !== username.toLowerCase()) throw new CognitoError('InvalidParameterException', 'Email and username must match when email is the username.');
      const { email: _e, email_verified: verified, ...rest } = attrs;
      const temporary = optStr(i, 'TemporaryPassword');
      const user = await pool.createUser({ email: username, password: temporary, status: 'FORCE_CHANGE_PASSWORD', emailVerified: verified === 'true', attributes: rest });
      return { User: userType(user) };
    }),
    AdminSetUserPassword: admin(async (i) => {
      const user = pool.requireUser(str(i, 'Username'));
      await pool.setPassword(user, str(i, 'Password'), i.Permanent === true);
      return {};
    }),
    AdminConfirmSignUp: admin(async (i) => {
      const user = pool.requireUser(str(i, 'Username'));
      if (user.status !== 'UNCONFIRMED') throw new CognitoError('NotAuthorizedException', `User cannot be confirmed. Current status is ${user.status}`);
      await pool.update(user, (u) => {
        u.status = 'CONFIRMED';
        delete u.codes.signup;
      });
      return {};
    }),
    AdminGetUser: admin(async (i) => {
      const u = pool.requireUser(str(i, 'Username'));
      return { Username: u.username, UserAttributes: userAttributes(u), UserCreateDate: epoch(u.createdAt), UserLastModifiedDate: epoch(u.updatedAt), Enabled: u.enabled, UserStatus: u.status };
    }),
    AdminUpdateUserAttributes: admin(async (i) => {
      const user = pool.requireUser(str(i, 'Username'));
      const attrs = attributes(i, 'UserAttributes');
      if (attrs.email !== undefined) throw new CognitoError('InvalidParameterException', 'The e-mail is the sign-in name in this pool; create a new user instead.');
      await pool.update(user, (u) => {
        if (attrs.email_verified !== undefined) u.emailVerified = attrs.email_verified === 'true';
        const { email_verified: _v, ...rest } = attrs;
        Object.assign(u.attributes, rest);
      });
      return {};
    }),
    AdminDeleteUser: admin(async (i) => {
      await pool.deleteUser(pool.requireUser(str(i, 'Username')));
      return {};
    }),
    AdminDisableUser: admin(async (i) => {
      const user = pool.requireUser(str(i, 'Username'));
      await pool.update(user, (u) => (u.enabled = false));
      return {};
    }),
    AdminEnableUser: admin(async (i) => {
      const user = pool.requireUser(str(i, 'Username'));
      await pool.update(user, (u) => (u.enabled = true));
      return {};
    }),
    AdminUserGlobalSignOut: admin(async (i) => {
      await pool.signOutEverywhere(pool.requireUser(str(i, 'Username')));
      return {};
    }),
    AdminAddUserToGroup: admin(async (i) => {
      await pool.addToGroup(pool.requireUser(str(i, 'Username')), str(i, 'GroupName'));
      return {};
    }),
    AdminRemoveUserFromGroup: admin(async (i) => {
      await pool.removeFromGroup(pool.requireUser(str(i, 'Username')), str(i, 'GroupName'));
      return {};
    }),
    AdminListGroupsForUser: admin(async (i) => {
      const user = pool.requireUser(str(i, 'Username'));
      return { Groups: user.groups.map((g) => groupType(pool, g)) };
    }),
    CreateGroup: admin(async (i) => {
      const name = str(i, 'GroupName');
      await pool.createGroup(name, optStr(i, 'Description'), typeof i.Precedence === 'number' ? i.Precedence : undefined);
      return { Group: groupType(pool, name) };
    }),
    ListGroups: admin(async () => ({ Groups: Object.keys(pool.groups).map((g) => groupType(pool, g)) })),
    ListUsers: admin(async (i) => {
      const filter = optStr(i, 'Filter');
      let users = pool.listUsers();
      if (filter) {
        // Cognito's filter grammar for the common cases: `attr = "v"` and `attr ^= "v"`.
        const m = /^\s*(email|sub|username|status)\s*(\^?=)\s*"([^"]*)"\s*$/.exec(filter);
        if (!m) throw new CognitoError('InvalidParameterException', 'Error while parsing filter.');
        const [, attr, op, value = ''] = m;
        const get = (u: UserRecord) => (attr === 'email' ? u.email : attr === 'sub' ? u.sub : attr === 'username' ? u.username : u.status);
        users = users.filter((u) => (op === '=' ? get(u) === value : get(u).startsWith(value)));
      }
      const limit = typeof i.Limit === 'number' ? i.Limit : 60;
      if (!Number.isInteger(limit) || limit < 1 || limit > 60) throw new CognitoError('InvalidParameterException', "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60");
      // The token is the offset of the next page: fine for a local pool whose order is creation time.
      const token = optStr(i, 'PaginationToken');
      const offset = token === undefined ? 0 : Number(Buffer.from(token, 'base64url').toString());
      if (!Number.isInteger(offset) || offset < 0) throw new CognitoError('InvalidParameterException', 'Invalid pagination token.');
      const next = offset + limit < users.length ? Buffer.from(String(offset + limit)).toString('base64url') : undefined;
      return { Users: users.slice(offset, offset + limit).map(userType), ...(next ? { PaginationToken: next } : {}) };
    }),
    // Pool descriptions, for tools and libraries that read the pool's settings (see describe.ts).
    DescribeUserPool: admin(async () => ({ UserPool: userPoolType(pool, baseUrl()) })),
    DescribeUserPoolClient: admin(async (i) => ({ UserPoolClient: userPoolClientType(pool, pool.requireClient(str(i, 'ClientId'))) })),
    ListUserPoolClients: admin(async (i) => {
      const max = i.MaxResults ?? 60;
      if (typeof max !== 'number' || !Number.isInteger(max)) throw new CognitoError('SerializationException', 'MaxResults must be an integer');
      if (max < 1 || max > 60) throw new CognitoError('InvalidParameterException', `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value ${max < 1 ? 'greater than or equal to 1' : 'less than or equal to 60'}`);
      const type = optStr(i, 'ClientType');
      if (type !== undefined && type !== 'REGULAR' && type !== 'DCR') throw new CognitoError('InvalidParameterException', `1 validation error detected: Value '${type}' at 'clientType' failed to satisfy constraint: Member must satisfy enum value set: [REGULAR, DCR]`);
      // No client here comes from dynamic client registration.
      const clients = type === 'DCR' ? [] : pool.listClients();
      // The token is the offset of the next page, as in ListUsers.
      const token = optStr(i, 'NextToken');
      const offset = token === undefined ? 0 : Number(/^[1-9][0-9]{0,8}$/.exec(Buffer.from(token, 'base64url').toString())?.[0] ?? NaN);
      if (Number.isNaN(offset)) throw new CognitoError('InvalidParameterException', 'Invalid pagination token.');
      const next = offset + max < clients.length ? Buffer.from(String(offset + max)).toString('base64url') : undefined;
      return {
        UserPoolClients: clients.slice(offset, offset + max).map((c) => ({ ClientId: c.clientId, UserPoolId: pool.userPoolId, ClientName: c.clientId })),
        ...(next ? { NextToken: next } : {}),
      };
    }),
    GetUserPoolMfaConfig: admin(async () => ({ MfaConfiguration: 'OFF' })),
    // Takes no pool id. An unknown domain is no error in Cognito: it answers an empty DomainDescription.
    DescribeUserPoolDomain: signed(async (i) => {
      const domain = str(i, 'Domain');
      if (domain === '') throw new CognitoError('InvalidParameterException', "1 validation error detected: Value '' at 'domain' failed to satisfy constraint: Member must have length greater than or equal to 1");
      return { DomainDescription: domainDescription(pool, baseUrl(), domain) };
    }),
  };

  const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type(AMZ_JSON).send(JSON.stringify(body));

  app.addContentTypeParser(AMZ_JSON, { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post('/', async (req, reply) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const handler = actionHandler(actions, action);
    try {
      if (!handler) throw new CognitoError('UnknownOperationException', target ? `Unknown operation ${target}` : 'Missing X-Amz-Target header');
      let input: unknown;
      try {
        input = typeof req.body === 'string' ? JSON.parse(req.body || '{}') : (req.body ?? {});
      } catch {
        throw new CognitoError('SerializationException', 'Request body is not valid JSON.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new CognitoError('SerializationException', 'Request body must be a JSON object.');
      const malformed = malformedField(input as Input);
      if (malformed !== undefined) {
        throw new CognitoError('InvalidParameterException', `1 validation error detected: Value at '${malformed.replace(/\p{Cs}/gu, '\uFFFD')}' failed to satisfy constraint: Member must be a well-formed Unicode string`);
      }
      const signed = String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ');
      return send(reply, 200, await handler(input as Input, { signed }));
    } catch (err) {
      if (err instanceof CognitoError) {
        reply.header('x-amzn-errortype', `${err.type}:`);
        req.log.info({ action, error: err.type }, 'identity: user-pool API error');
        return send(reply, err.status, { __type: err.type, message: err.message });
      }
      req.log.error({ err, action }, 'identity: user-pool API failure');
      return send(reply, 500, { __type: 'InternalErrorException', message: 'Internal error.' });
    }
  });
}

function groupType(pool: UserPool, name: string) {
  const g = pool.groups[name];
  return {
    GroupName: name,
    UserPoolId: pool.userPoolId,
    ...(g?.description ? { Description: g.description } : {}),
    ...(g?.precedence !== undefined ? { Precedence: g.precedence } : {}),
    CreationDate: epoch(g?.createdAt ?? 0),
    LastModifiedDate: epoch(g?.createdAt ?? 0),
  };
}
