import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CognitoError, OAuthError } from './errors.js';
import { errorPage } from './pages.js';
import { fields, cookies, SESSION_COOKIE } from './http.js';
import type { AppClient, UserPool } from './pool.js';

/** A validated /oauth2/authorize request (also carried through the hosted pages as hidden fields). */
export interface AuthorizeRequest {
  client: AppClient;
  redirectUri: string;
  scope: string[];
  state?: string;
  codeChallenge?: string;
  nonce?: string;
  prompt?: string;
}

const AUTHORIZE_PARAMS = ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'nonce'] as const;

export type AuthorizeValidation =
  | { ok: true; request: AuthorizeRequest; params: Record<string, string> }
  /** Nothing trustworthy to redirect to: show an error page. */
  | { ok: false; page: { status: number; error: string; description: string } }
  /** The client and redirect URI are good: report the error to the client, as OAuth says. */
  | { ok: false; redirect: string };

const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/;

function withParams(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * Cognito's order of checks: client and redirect URI first (failures stay on an error page, so an attacker cannot
 * bounce users to their site), then everything else is reported to the registered redirect URI.
 */
export function validateAuthorize(pool: UserPool, source: unknown): AuthorizeValidation {
  const f = fields(source);
  if (f.repeated) return { ok: false, page: { status: 400, error: 'invalid_request', description: `Parameter ${f.repeated} was given more than once.` } };
  const clientId = f.get('client_id');
  if (!clientId) return { ok: false, page: { status: 400, error: 'invalid_request', description: 'Missing client_id.' } };
  const client = pool.findClient(clientId);
  if (!client) return { ok: false, page: { status: 400, error: 'invalid_request', description: 'Unknown client_id.' } };
  const redirectUri = f.get('redirect_uri');
  if (!redirectUri) return { ok: false, page: { status: 400, error: 'invalid_request', description: 'Missing redirect_uri.' } };
  if (!client.callbackUrls.includes(redirectUri)) return { ok: false, page: { status: 400, error: 'redirect_mismatch', description: 'redirect_uri is not registered for this client.' } };

  const state = f.get('state');
  const fail = (error: string, description: string): AuthorizeValidation => ({ ok: false, redirect: withParams(redirectUri, { error, error_description: description, state }) });
  const responseType = f.get('response_type');
  if (!responseType) return fail('invalid_request', 'Missing response_type.');
  if (responseType !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported.');

  const allowed = pool.allowedScopes(client);
  const requested = (f.get('scope') ?? '').split(/\s+/).filter(Boolean);
  if (requested.some((s) => !allowed.includes(s))) return fail('invalid_scope', 'A requested scope is not allowed for this client.');
  // Cognito grants the client's scopes when none are asked for.
  const scope = requested.length ? [...new Set(requested)] : allowed;

  const codeChallenge = f.get('code_challenge');
  const method = f.get('code_challenge_method');
  if (codeChallenge !== undefined || method !== undefined) {
    if (method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256.');
    if (!codeChallenge || !PKCE_VALUE.test(codeChallenge)) return fail('invalid_request', 'Invalid code_challenge.');
  } else if (!client.secret) {
    return fail('invalid_request', 'PKCE (code_challenge with S256) is required for public clients.');
  }
  const params: Record<string, string> = {};
  for (const k of AUTHORIZE_PARAMS) {
    const v = f.get(k);
    if (v !== undefined) params[k] = v;
  }
  const nonce = f.get('nonce');
  const prompt = f.get('prompt');
  return { ok: true, params, request: { client, redirectUri, scope, ...(state !== undefined ? { state } : {}), ...(codeChallenge ? { codeChallenge } : {}), ...(nonce ? { nonce } : {}), ...(prompt ? { prompt } : {}) } };
}

/** Signed in: issue the code and send the browser to the registered redirect URI. */
export function redirectWithCode(reply: FastifyReply, pool: UserPool, request: AuthorizeRequest, sub: string, authTime: number): FastifyReply {
  const code = pool.issueAuthCode({
    clientId: request.client.clientId,
    redirectUri: request.redirectUri,
    sub,
    scope: request.scope,
    authTime,
    ...(request.codeChallenge ? { codeChallenge: request.codeChallenge } : {}),
    ...(request.nonce ? { nonce: request.nonce } : {}),
  });
  return reply.header('cache-control', 'no-store').redirect(withParams(request.redirectUri, { code, state: request.state }), 302);
}

const sendOAuthError = (reply: FastifyReply, err: OAuthError) => {
  if (err.status === 401) reply.header('www-authenticate', 'Basic realm="cognito"');
  return reply.code(err.status).header('cache-control', 'no-store').send({ error: err.error, ...(err.message !== err.error ? { error_description: err.message } : {}) });
};

/** Client authentication at the token and revoke endpoints: HTTP Basic or `client_id`/`client_secret` in the body. */
function authenticateClient(pool: UserPool, req: FastifyRequest, body: ReturnType<typeof fields>): AppClient {
  let clientId = body.get('client_id');
  let secret = body.get('client_secret');
  const auth = String(req.headers.authorization ?? '');
  if (auth) {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(auth);
    const decoded = m ? Buffer.from(m[1] as string, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', 'Malformed Basic authorization.', 401);
    const basicId = decodeURIComponent(decoded.slice(0, colon));
    if (clientId && clientId !== basicId) throw new OAuthError('invalid_client', 'client_id does not match the authorization header.', 401);
    if (secret !== undefined) throw new OAuthError('invalid_request', 'Use one client authentication method.');
    clientId = basicId;
    secret = decodeURIComponent(decoded.slice(colon + 1));
  }
  if (!clientId) throw new OAuthError('invalid_request', 'Missing client_id.');
  const client = pool.findClient(clientId);
  if (!client || !pool.checkClientSecret(client, secret)) throw new OAuthError('invalid_client', 'Client authentication failed.', 401);
  return client;
}

function formBody(req: FastifyRequest) {
  if (!String(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
  }
  const body = fields(req.body);
  if (body.repeated) throw new OAuthError('invalid_request', `Parameter ${body.repeated} was given more than once.`);
  return body;
}

function pkceMatches(verifier: string | undefined, challenge: string): boolean {
  if (!verifier || !PKCE_VALUE.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

export function registerOAuth(app: FastifyInstance, pool: UserPool, baseUrl: () => string): void {
  app.get('/oauth2/authorize', async (req, reply) => {
    const v = validateAuthorize(pool, req.query);
    if (!v.ok) return 'redirect' in v ? reply.redirect(v.redirect, 302) : errorPage(reply, v.page);
    const session = v.request.prompt === 'login' ? undefined : pool.sessionUser(cookies(req)[SESSION_COOKIE]);
    if (session) return redirectWithCode(reply, pool, v.request, session.user.sub, session.authTime);
    return reply.redirect(`/login?${new URLSearchParams(v.params).toString()}`, 302);
  });

  app.post('/oauth2/token', async (req, reply) => {
    try {
      const body = formBody(req);
      const grant = body.get('grant_type');
      if (!grant) throw new OAuthError('invalid_request', 'Missing grant_type.');
      const client = authenticateClient(pool, req, body);
      let tokens;
      if (grant === 'authorization_code') {
        const code = body.get('code');
        const redirectUri = body.get('redirect_uri');
        if (!code || !redirectUri) throw new OAuthError('invalid_request', `Missing ${code ? 'redirect_uri' : 'code'}.`);
        const entry = pool.takeAuthCode(code);
        if (!entry || entry.clientId !== client.clientId || entry.redirectUri !== redirectUri) throw new OAuthError('invalid_grant');
        if (entry.codeChallenge && !pkceMatches(body.get('code_verifier'), entry.codeChallenge)) throw new OAuthError('invalid_grant', 'PKCE code_verifier does not match.');
        const user = pool.findUser(entry.sub);
        if (!user || !user.enabled) throw new OAuthError('invalid_grant');
        tokens = await pool.issueTokens(user, client, { scope: entry.scope, authTime: entry.authTime, ...(entry.nonce ? { nonce: entry.nonce } : {}) });
      } else if (grant === 'refresh_token') {
        const refreshToken = body.get('refresh_token');
        if (!refreshToken) throw new OAuthError('invalid_request', 'Missing refresh_token.');
        try {
          tokens = await pool.refresh(refreshToken, client);
        } catch (err) {
          if (err instanceof CognitoError) throw new OAuthError('invalid_grant', err.message);
          throw err;
        }
        if (!tokens) throw new OAuthError('invalid_grant', 'Refresh token is invalid, expired or revoked.');
      } else if (grant === 'client_credentials') {
        throw new OAuthError('unauthorized_client', 'This client may not use client_credentials.');
      } else {
        throw new OAuthError('unsupported_grant_type');
      }
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send({
        ...(tokens.idToken ? { id_token: tokens.idToken } : {}),
        access_token: tokens.accessToken,
        ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
        expires_in: tokens.expiresIn,
        token_type: 'Bearer',
      });
    } catch (err) {
      if (err instanceof OAuthError) {
        req.log.info({ error: err.error }, 'identity: token request refused');
        return sendOAuthError(reply, err);
      }
      throw err;
    }
  });

  app.post('/oauth2/revoke', async (req, reply) => {
    try {
      const body = formBody(req);
      const token = body.get('token');
      if (!token) throw new OAuthError('invalid_request', 'Missing token.');
      const client = authenticateClient(pool, req, body);
      // Only refresh tokens can be revoked; access and ID tokens are JWTs.
      if (token.split('.').length === 3) throw new OAuthError('unsupported_token_type');
      await pool.revokeRefreshToken(token, client);
      return reply.code(200).header('cache-control', 'no-store').send('');
    } catch (err) {
      if (err instanceof OAuthError) return sendOAuthError(reply, err);
      throw err;
    }
  });

  const userInfo = async (req: FastifyRequest, reply: FastifyReply) => {
    const m = /^Bearer (\S+)$/i.exec(String(req.headers.authorization ?? ''));
    const refuse = (error: string, description: string, status = 401) =>
      reply.code(status).header('www-authenticate', `Bearer error="${error}", error_description="${description}"`).send({ error, error_description: description });
    if (!m) return refuse('invalid_request', 'Access token is missing');
    try {
      const { user, scope } = await pool.verifyAccessToken(m[1]);
      if (!scope.includes('openid')) return refuse('insufficient_scope', 'The openid scope is required', 403);
      return reply.header('cache-control', 'no-store').send({
        sub: user.sub,
        ...(scope.includes('email') || scope.includes('aws.cognito.signin.user.admin') ? { email_verified: String(user.emailVerified), email: user.email } : {}),
        ...(scope.includes('profile') ? user.attributes : {}),
        username: user.username,
      });
    } catch (err) {
      if (err instanceof CognitoError) return refuse('invalid_token', err.message === 'Access Token has expired' ? 'Access token is expired' : 'Access token is invalid or revoked');
      throw err;
    }
  };
  app.get('/oauth2/userInfo', userInfo);
  app.post('/oauth2/userInfo', userInfo);

  const openidConfiguration = () => {
    const base = baseUrl();
    return {
      authorization_endpoint: `${base}/oauth2/authorize`,
      end_session_endpoint: `${base}/logout`,
      id_token_signing_alg_values_supported: ['RS256'],
      issuer: pool.issuer,
      jwks_uri: `${base}/${pool.userPoolId}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      revocation_endpoint: `${base}/oauth2/revoke`,
      scopes_supported: ['openid', 'email', 'phone', 'profile'],
      subject_types_supported: ['public'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint: `${base}/oauth2/token`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      userinfo_endpoint: `${base}/oauth2/userInfo`,
    };
  };
  for (const prefix of ['', `/${pool.userPoolId}`]) {
    app.get(`${prefix}/.well-known/jwks.json`, async (_req, reply) => reply.header('cache-control', 'public, max-age=300').send(pool.jwks));
    app.get(`${prefix}/.well-known/openid-configuration`, async () => openidConfiguration());
  }
}
