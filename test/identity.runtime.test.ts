import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../local/runtime.js';
import { tokenVerifierFromConfig } from '../src/auth/index.js';
import { readEndpoints, startTestRuntime } from './support/runtime.js';

let dir: string;
let runtime: LocalRuntime | undefined;

const start = () => startTestRuntime(dir);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-identity-runtime-'));
});
afterAll(async () => {
  await runtime?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('identity in the local runtime (npm start)', () => {
  it('starts the identity part, points the roles at it and seeds a demo account that can sign in', async () => {
    runtime = await start();
    const endpoints = await readEndpoints(dir);
    expect(endpoints.identity).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints).toMatchObject({ userPoolId: 'us-east-1_PierLocal1', clientId: 'pier-web-local', issuer: `${endpoints.identity}/us-east-1_PierLocal1` });
    expect(runtime.config.COGNITO_ISSUER).toBe(endpoints.issuer);
    expect(runtime.config.COGNITO_JWKS_URL).toBe(`${endpoints.identity}/us-east-1_PierLocal1/.well-known/jwks.json`);
    expect(runtime.config.COGNITO_DOMAIN).toBe(endpoints.identity);
    for (const file of ['signing-key.pem', 'state.json', 'demo-password.txt']) expect((await stat(join(dir, 'data', 'identity', file))).mode & 0o777).toBe(0o600);

    const note = runtime.parts.find((p) => p.name === 'identity')?.notes?.find((n) => n.startsWith('demo account:'));
    const password = /password: (\S+)/.exec(note ?? '')?.[1];
    expect(password).toBeTruthy();
    const cognito = new CognitoIdentityProviderClient({ endpoint: endpoints.identity, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const auth = await cognito.send(new InitiateAuthCommand({ ClientId: 'pier-web-local', AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'demo@pier.local', PASSWORD: password! } }));
      // The roles' own verifier, built from the runtime's config, accepts the token.
      const user = await tokenVerifierFromConfig(runtime.config).verify(auth.AuthenticationResult!.AccessToken!);
      expect(user.clientId).toBe('pier-web-local');
    } finally {
      cognito.destroy();
    }

    // A restart on the same folder keeps the account and does not make a second one.
    await runtime.close();
    runtime = await start();
    const state = JSON.parse(await readFile(join(dir, 'data', 'identity', 'state.json'), 'utf8')) as { users: Record<string, { email: string }> };
    expect(Object.values(state.users).filter((u) => u.email === 'demo@pier.local')).toHaveLength(1);
    expect(runtime.parts.find((p) => p.name === 'identity')?.notes?.[0]).toContain(password);
  });
});
