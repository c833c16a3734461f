/**
 * Start-up: fetch /config.json, finish a sign-in if this is the hosted login's redirect back, then show the page.
 */
import './styles.css';
import { Api } from './api';
import { App, showFatal } from './app';
import { fetchWebConfig } from './loadConfig';
import { SignInError } from './oauth';
import { Session } from './session';

const main = document.getElementById('main') as HTMLElement;
const account = document.getElementById('account') as HTMLElement;
const announcer = document.getElementById('announcer') as HTMLElement;

async function start(): Promise<void> {
  let config;
  try {
    config = await fetchWebConfig();
  } catch (err) {
    showFatal(main, `${(err as Error).message}. Is the Pier gateway running? (npm start)`);
    return;
  }

  const session = new Session({ config, fetch: (...a) => fetch(...a), storage: sessionStorage, navigate: (url) => location.assign(url) });
  const api = new Api({
    baseUrl: config.apiUrl,
    fetch: (...a) => fetch(...a),
    token: () => session.accessToken(),
    refresh: async () => (await session.refresh())?.accessToken ?? null,
    onUnauthorized: () => session.expire('The server no longer accepts your sign-in. Please sign in again.'),
  });
  const app = new App({ config, session, api, main, account, announcer });

  const callbackPath = new URL(config.redirectUri).pathname;
  if (location.pathname === callbackPath && location.search) {
    const params = new URLSearchParams(location.search);
    // Drop the code from the address bar and history before anything else: it is single-use, but still a secret.
    history.replaceState(null, '', '/');
    app.showSigningIn();
    try {
      await session.completeSignIn(params);
      app.showSignedIn();
    } catch (err) {
      app.showSignedOut({ kind: 'error', text: err instanceof SignInError ? err.message : 'Signing in failed. Please try again.' });
    }
    return;
  }
  // sessionStorage (the PKCE verifier and state) belongs to one origin: signing in from another (localhost instead
  // of 127.0.0.1) would come back to a page that cannot check the response.
  const home = new URL(config.redirectUri).origin;
  if (location.origin !== home) {
    app.showSignedOut({ kind: 'error', text: `Signing in returns to ${home}, so open the page there.`, link: { href: `${home}/`, text: `Go to ${home}` } });
    return;
  }
  app.showSignedOut();
}

void start();
