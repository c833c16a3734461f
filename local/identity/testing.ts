import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import type { CodeDelivery } from './pool.js';
import { startIdentity, type IdentityOptions, type IdentityPart } from './server.js';

/** Helpers for the identity test suites: a server on a free port over a temp folder, with codes captured. */
export interface TestIdentity {
  identity: IdentityPart;
  dir: string;
  /** Every log line the server wrote (to check nothing secret is logged). */
  logs: string[];
  codes: CodeDelivery[];
  /** The latest code sent to `email`, waiting briefly for it to arrive. */
  codeFor(email: string, kind?: CodeDelivery['kind']): Promise<string>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const TEST_POOL_ID = 'us-east-1_PierTest1';
export const PUBLIC_CLIENT = 'pier-web-test';
export const CONFIDENTIAL_CLIENT = 'pier-backend-test';
export const CONFIDENTIAL_SECRET = 'test-secret-0123456789';

export async function startTestIdentity(opts: { callbackUrls?: string[]; logoutUrls?: string[]; dir?: string } & Partial<IdentityOptions> = {}): Promise<TestIdentity> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'pier-identity-')));
  const logs: string[] = [];
  const codes: CodeDelivery[] = [];
  const logger = createLogger({ level: 'debug', destination: new Writable({ write: (chunk, _enc, cb) => (logs.push(String(chunk)), cb()) }) });
  const callbackUrls = opts.callbackUrls ?? ['http://127.0.0.1:9/callback'];
  const logoutUrls = opts.logoutUrls ?? ['http://127.0.0.1:9/'];
  const options: IdentityOptions = {
    dataDir: dir,
    port: 0,
    userPoolId: TEST_POOL_ID,
    logger,
    demoUser: false,
    // Suites call fast; the limit has its own test (which passes a small one).
    requestsPerSecond: 100_000,
    onCode: (d) => codes.push(d),
    clients: [
      { clientId: PUBLIC_CLIENT, callbackUrls, logoutUrls },
      { clientId: CONFIDENTIAL_CLIENT, secret: CONFIDENTIAL_SECRET, callbackUrls, logoutUrls },
    ],
    ...opts,
  };
  const t: TestIdentity = {
    identity: await startIdentity(options),
    dir,
    logs,
    codes,
    async codeFor(email, kind) {
      for (let i = 0; i < 50; i++) {
        const hit = [...codes].reverse().find((c) => c.email === email.toLowerCase() && (!kind || c.kind === kind));
        if (hit) return hit.code;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no code was sent to ${email}`);
    },
    async restart() {
      // On the same port, as `npm start` restarts on IDENTITY_PORT: the issuer (`<url>/<pool>`) stays the same.
      const port = Number(new URL(t.identity.url).port);
      await t.identity.close();
      t.identity = await startIdentity({ ...options, port });
    },
    async close() {
      await t.identity.close();
      if (!opts.dir) await rm(dir, { recursive: true, force: true });
    },
  };
  return t;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

let counter = 0;
export const uniqueEmail = (prefix = 'user') => `${prefix}.${Date.now().toString(36)}${(counter++).toString(36)}@example.com`;
export const GOOD_PASSWORD = 'Correct-horse-9';
