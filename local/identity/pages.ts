import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CognitoError } from './errors.js';
import { html, page, sendHtml, type Html } from './html.js';
import { cookies, CsrfGuard, fields, SESSION_COOKIE, setCookie, SIGNUP_COOKIE } from './http.js';
import { redirectWithCode, validateAuthorize, type AuthorizeRequest } from './oauth.js';
import type { UserPool } from './pool.js';
import type { UserRecord } from './store.js';

export function errorPage(reply: FastifyReply, e: { status: number; error: string; description: string }): FastifyReply {
  return sendHtml(reply, e.status, page('Something went wrong', html`<p class="error">${e.description}</p><p class="hint">Error: <code>${e.error}</code>. Go back to the application and try again.</p>`));
}

// Fixed messages by key: the page never echoes a free-text message from the URL.
const NOTICES: Record<string, string> = {
  confirmed: 'Your account is confirmed. Sign in to continue.',
  reset: 'Your password has been changed. Sign in with the new password.',
  resent: 'We sent a new code. Look for it in the identity log.',
  signedout: 'You are signed out.',
};

type Params = Record<string, string>;

const qs = (params: Params, extra: Params = {}) => new URLSearchParams({ ...params, ...extra }).toString();

const hidden = (params: Params, csrf: string): Html =>
  html`<input type="hidden" name="_csrf" value="${csrf}">${Object.entries(params).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}`;

const messages = (error?: string, notice?: string): Html => html`${error ? html`<p class="error" role="alert">${error}</p>` : ''}${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}`;

interface View {
  params: Params;
  csrf: string;
  error?: string;
  notice?: string;
  email?: string;
}

const views = {
  login: (v: View) =>
    page('Sign in', html`${messages(v.error, v.notice)}
<form method="post" action="/login">${hidden(v.params, v.csrf)}
<label for="username">Email</label><input id="username" name="username" type="email" autocomplete="username" required value="${v.email ?? ''}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" name="signIn">Sign in</button></form>
<nav><a href="/forgotPassword?${qs(v.params)}">Forgot your password?</a><a href="/signup?${qs(v.params)}">Need an account? Sign up</a></nav>`),
  signup: (v: View) =>
    page('Sign up', html`${messages(v.error, v.notice)}
<form method="post" action="/signup">${hidden(v.params, v.csrf)}
<label for="username">Email</label><input id="username" name="username" type="email" autocomplete="email" required value="${v.email ?? ''}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="new-password" required minlength="8">
<p class="hint">At least 8 characters, with upper and lower case letters, a number and a symbol.</p>
<button type="submit" name="signUp">Sign up</button></form>
<nav><a href="/login?${qs(v.params)}">Already have an account? Sign in</a></nav>`),
  confirm: (v: View) =>
    page('Confirm your account', html`${messages(v.error, v.notice)}
<p>We sent a code to ${v.email ?? 'your email'}. Running locally, the code is printed in the identity log.</p>
<form method="post" action="/confirmUser">${hidden(v.params, v.csrf)}<input type="hidden" name="username" value="${v.email ?? ''}">
<label for="code">Verification code</label><input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required pattern="[0-9]{6}">
<button type="submit" name="confirm">Confirm account</button></form>
<form method="post" action="/resendCode">${hidden(v.params, v.csrf)}<input type="hidden" name="username" value="${v.email ?? ''}"><button class="link" type="submit">Send a new code</button></form>`),
  newPassword: (v: View & { ticket: string }) =>
    page('Change your password', html`${messages(v.error, v.notice)}
<p>Your account was created with a temporary password. Choose your own to continue.</p>
<form method="post" action="/changePassword">${hidden(v.params, v.csrf)}<input type="hidden" name="session" value="${v.ticket}">
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" required minlength="8">
<label for="confirmPassword">Enter new password again</label><input id="confirmPassword" name="confirmPassword" type="password" autocomplete="new-password" required minlength="8">
<button type="submit" name="changePassword">Change password</button></form>`),
  forgot: (v: View) =>
    page('Forgot your password?', html`${messages(v.error, v.notice)}
<p>Enter your email and we will send a code to reset your password.</p>
<form method="post" action="/forgotPassword">${hidden(v.params, v.csrf)}
<label for="username">Email</label><input id="username" name="username" type="email" autocomplete="username" required value="${v.email ?? ''}">
<button type="submit" name="reset">Reset my password</button></form>
<nav><a href="/login?${qs(v.params)}">Back to sign in</a></nav>`),
  confirmForgot: (v: View) =>
    page('Set a new password', html`${messages(v.error, v.notice)}
<p>Enter the code sent to ${v.email ?? 'your email'} (locally: printed in the identity log) and a new password.</p>
<form method="post" action="/confirmForgotPassword">${hidden(v.params, v.csrf)}<input type="hidden" name="username" value="${v.email ?? ''}">
<label for="code">Code</label><input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required pattern="[0-9]{6}">
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" required minlength="8">
<label for="confirmPassword">Enter new password again</label><input id="confirmPassword" name="confirmPassword" type="password" autocomplete="new-password" required minlength="8">
<button type="submit" name="changePassword">Change password</button></form>`),
};

/**
 * The hosted login pages (Cognito's classic hosted UI paths): server-rendered HTML forms that work without
 * JavaScript. Each page carries the validated /oauth2/authorize parameters forward in hidden fields, and each POST
 * checks them again and the CSRF token (signed with a key of this server, see CsrfGuard).
 */
export function registerPages(app: FastifyInstance, pool: UserPool): void {
  const csrf = new CsrfGuard();
  /** Validates the OAuth parameters (query for GET, body for POST) and the CSRF token, or answers with an error. */
  const start = (req: FastifyRequest, reply: FastifyReply) => {
    const isPost = req.method === 'POST';
    const source = isPost ? req.body : req.query;
    const v = validateAuthorize(pool, source);
    if (!v.ok) {
      if ('redirect' in v) return { done: reply.redirect(v.redirect, 302) };
      return { done: errorPage(reply, v.page) };
    }
    const f = fields(source);
    if (isPost && !csrf.valid(req, f.get('_csrf'))) {
      return { done: errorPage(reply, { status: 403, error: 'invalid_csrf', description: 'This form expired or did not come from this site. Go back, reload the page and try again.' }) };
    }
    const email = f.get('username');
    const notice = f.get('notice');
    return {
      v,
      f,
      view: (extra: Partial<View> = {}): View => ({
        params: v.params,
        csrf: csrf.token(req, reply),
        ...(email ? { email } : {}),
        // Own keys only: `?notice=constructor` must not find Object.prototype's.
        ...(notice && Object.hasOwn(NOTICES, notice) ? { notice: NOTICES[notice] } : {}),
        ...extra,
      }),
    };
  };

  /** Starts the hosted-login session (the `cognito` cookie) and returns to the app with a code. */
  const signedIn = (req: FastifyRequest, reply: FastifyReply, request: AuthorizeRequest, user: UserRecord) => {
    const authTime = Math.floor(Date.now() / 1000);
    pool.endSession(cookies(req)[SESSION_COOKIE]);
    setCookie(reply, SESSION_COOKIE, pool.createSession(user, authTime), 3600);
    return redirectWithCode(reply, pool, request, user.sub, authTime);
  };

  const show = (reply: FastifyReply, status: number, body: Html) => sendHtml(reply, status, body);
  const message = (err: unknown) => {
    if (err instanceof CognitoError) return err.message;
    throw err;
  };

  app.get('/login', async (req, reply) => {
    const s = start(req, reply);
    return s.done ?? show(reply, 200, views.login(s.view()));
  });
  app.post('/login', async (req, reply) => {
    const s = start(req, reply);
    if (s.done) return s.done;
    const email = s.f.get('username') ?? '';
    try {
      const user = await pool.authenticate(email, s.f.get('password') ?? '');
      if (user.status === 'FORCE_CHANGE_PASSWORD') return show(reply, 200, views.newPassword({ ...s.view(), ticket: pool.newPasswordTicket(user) }));
      return signedIn(req, reply, s.v.request, user);
    } catch (err) {
      if (err instanceof CognitoError && err.type === 'UserNotConfirmedException') {
        return reply.redirect(`/confirmUser?${qs(s.v.params, { username: email })}`, 302);
      }
      return show(reply, 400, views.login(s.view({ error: message(err) })));
    }
  });

  app.post('/changePassword', async (req, reply) => {
    const s = start(req, reply);
    if (s.done) return s.done;
    const user = pool.takeNewPasswordTicket(s.f.get('session'));
    if (!user) return show(reply, 400, views.login(s.view({ error: 'Invalid session for the user, session is expired.' })));
    const password = s.f.get('password') ?? '';
    // A refused password gets the form again with a fresh ticket (the old one is spent).
    const again = (error: string) => show(reply, 400, views.newPassword({ ...s.view({ error }), ticket: pool.newPasswordTicket(user) }));
    if (password !== s.f.get('confirmPassword')) return again('The passwords do not match.');
    try {
      await pool.setPassword(user, password, true);
    } catch (err) {
      return again(message(err));
    }
    return signedIn(req, reply, s.v.request, user);
  });

  app.get('/signup', async (req, reply) => {
    const s = start(req, reply);
    return s.done ?? show(reply, 200, views.signup(s.view()));
  });
  app.post('/signup', async (req, reply) => {
    const s = start(req, reply);
    if (s.done) return s.done;
    const email = s.f.get('username') ?? '';
    try {
      const { user } = await pool.signUp(s.v.request.client.clientId, email, s.f.get('password') ?? '', {}, undefined);
      setCookie(reply, SIGNUP_COOKIE, pool.rememberSignUp(user), 3600);
      return reply.redirect(`/confirmUser?${qs(s.v.params, { username: email })}`, 302);
    } catch (err) {
      return show(reply, 400, views.signup(s.view({ error: message(err) })));
    }
  });

  app.get('/confirmUser', async (req, reply) => {
    const s = start(req, reply);
    return s.done ?? show(reply, 200, views.confirm(s.view()));
  });
  app.post('/confirmUser', async (req, reply) => {
    const s = start(req, reply);
    if (s.done) return s.done;
    const email = s.f.get('username') ?? '';
    try {
      await pool.confirmSignUp(email, (s.f.get('code') ?? '').trim());
      // Confirmed in the browser that signed up: signed in straight away, back to the app with a code.
      const user = pool.takeSignUp(cookies(req)[SIGNUP_COOKIE], email);
      setCookie(reply, SIGNUP_COOKIE, '', 0);
      if (user) return signedIn(req, reply, s.v.request, user);
      return reply.redirect(`/login?${qs(s.v.params, { username: email, notice: 'confirmed' })}`, 302);
    } catch (err) {
      // Same answer for an unknown e-mail as for a wrong code: the page does not reveal who has an account.
      const text = err instanceof CognitoError && err.type === 'UserNotFoundException' ? 'Invalid verification code provided, please try again.' : message(err);
      return show(reply, 400, views.confirm(s.view({ error: text })));
    }
  });
  app.post('/resendCode', async (req, reply) => {
    const s = start(req, reply);
    if (s.done) return s.done;
    try {
      await pool.resendConfirmationCode(s.f.get('username') ?? '');
    } catch (err) {
      if (!(err instanceof CognitoError && err.type === 'UserNotFoundException')) return show(reply, 400, views.confirm(s.view({ error: message(err) })));
    }
    return show(reply, 200, views.confirm(s.view({ notice: NOTICES.resent })));
  });

  app.get('/forgotPassword', async (req, reply) => {
    const s = start(req, reply);
    return s.done ?? show(reply, 200, views.forgot(s.view()));
  });
  app.post('/forgotPassword', async (req, reply) => {
    const s = start(req, reply);
    if (s.done) return s.done;
    const email = s.f.get('username') ?? '';
    try {
      await pool.forgotPassword(email);
      return reply.redirect(`/confirmForgotPassword?${qs(s.v.params, { username: email })}`, 302);
    } catch (err) {
      return show(reply, 400, views.forgot(s.view({ error: message(err) })));
    }
  });

  app.get('/confirmForgotPassword', async (req, reply) => {
    const s = start(req, reply);
    return s.done ?? show(reply, 200, views.confirmForgot(s.view()));
  });
  app.post('/confirmForgotPassword', async (req, reply) => {
    const s = start(req, reply);
    if (s.done) return s.done;
    const email = s.f.get('username') ?? '';
    const password = s.f.get('password') ?? '';
    if (password !== s.f.get('confirmPassword')) return show(reply, 400, views.confirmForgot(s.view({ error: 'The passwords do not match.' })));
    try {
      await pool.confirmForgotPassword(email, (s.f.get('code') ?? '').trim(), password);
      return reply.redirect(`/login?${qs(s.v.params, { username: email, notice: 'reset' })}`, 302);
    } catch (err) {
      return show(reply, 400, views.confirmForgot(s.view({ error: message(err) })));
    }
  });

  /**
   * Cognito's /logout: ends the hosted-login session, then redirects to a registered `logout_uri` of `client_id`
   * (or, given `redirect_uri` and `response_type` instead, back to the sign-in page).
   */
  app.get('/logout', async (req, reply) => {
    const q = fields(req.query);
    const client = pool.findClient(q.get('client_id'));
    if (q.repeated || !client) return errorPage(reply, { status: 400, error: 'invalid_request', description: 'Missing or unknown client_id.' });
    const logoutUri = q.get('logout_uri');
    let target: string;
    if (logoutUri !== undefined) {
      if (!client.logoutUrls.includes(logoutUri)) return errorPage(reply, { status: 400, error: 'redirect_mismatch', description: 'logout_uri is not registered for this client.' });
      target = logoutUri;
    } else {
      const v = validateAuthorize(pool, req.query);
      if (!v.ok) return errorPage(reply, 'page' in v ? v.page : { status: 400, error: 'invalid_request', description: 'Missing logout_uri.' });
      target = `/login?${qs(v.params, { notice: 'signedout' })}`;
    }
    pool.endSession(cookies(req)[SESSION_COOKIE]);
    setCookie(reply, SESSION_COOKIE, '', 0);
    return reply.header('cache-control', 'no-store').redirect(target, 302);
  });

  app.get('/error', async (req, reply) => errorPage(reply, { status: 400, error: fields(req.query).get('error') ?? 'error', description: 'The sign-in request could not be completed.' }));
}

