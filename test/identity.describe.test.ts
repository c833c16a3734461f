import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  DescribeUserPoolDomainCommand,
  GetUserPoolMfaConfigCommand,
  InitiateAuthCommand,
  ListUserPoolClientsCommand,
  paginateListUserPoolClients,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD_POLICY } from '../local/identity/password.js';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, GOOD_PASSWORD, PUBLIC_CLIENT, startTestIdentity, TEST_POOL_ID, uniqueEmail, type TestIdentity } from '../local/identity/testing.js';
import { failure } from './support/failure.js';

let t: TestIdentity;
let cognito: CognitoIdentityProviderClient;

const clientFor = (identity: TestIdentity) =>
  new CognitoIdentityProviderClient({ endpoint: identity.identity.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });

/** An unsigned call, as a web page would make it. */
const unsigned = (action: string, body: object) =>
  fetch(t.identity.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${action}` }, body: JSON.stringify(body) });

beforeAll(async () => {
  t = await startTestIdentity();
  cognito = clientFor(t);
});
afterAll(async () => {
  cognito.destroy();
  await t.close();
});

describe('pool descriptions through the AWS SDK', () => {
  it('DescribeUserPool reports the pool as the stand-in runs it', async () => {
    const before = Date.now() / 1000;
    const { UserPool: pool } = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: TEST_POOL_ID }));
    expect(pool).toMatchObject({
      Id: TEST_POOL_ID,
      Name: TEST_POOL_ID,
      Arn: `arn:aws:cognito-idp:us-east-1:000000000000:userpool/${TEST_POOL_ID}`,
      Policies: { PasswordPolicy: { MinimumLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true } },
      LambdaConfig: {},
      AutoVerifiedAttributes: ['email'],
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      MfaConfiguration: 'OFF',
      AccountRecoverySetting: { RecoveryMechanisms: [{ Priority: 1, Name: 'verified_email' }] },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      UserPoolTier: 'LITE',
      DeletionProtection: 'ACTIVE',
      CustomDomain: new URL(t.identity.url).host,
    });
    expect(pool?.Policies?.PasswordPolicy).toEqual(PASSWORD_POLICY);
    // The JSON protocol sends epoch seconds; the SDK turns them into Dates.
    expect(pool?.CreationDate).toBeInstanceOf(Date);
    expect(pool!.CreationDate!.getTime()).toBeLessThanOrEqual(pool!.LastModifiedDate!.getTime());
    expect(pool!.LastModifiedDate!.getTime() / 1000).toBeLessThanOrEqual(before + 1);
    const schema = Object.fromEntries((pool?.SchemaAttributes ?? []).map((a) => [a.Name, a]));
    expect(schema.sub).toMatchObject({ AttributeDataType: 'String', Mutable: false, Required: true });
    expect(schema.email).toMatchObject({ AttributeDataType: 'String', Mutable: false, Required: true });
    expect(schema.email_verified).toMatchObject({ AttributeDataType: 'Boolean', Mutable: true });
    expect(Object.keys(schema)).toEqual(expect.arrayContaining(['name', 'given_name', 'family_name', 'locale', 'updated_at']));
    expect(schema.phone_number).toBeUndefined();
  });

  it('DescribeUserPool keeps its CreationDate across a restart', async () => {
    const other = await startTestIdentity();
    const created = async () => {
      const sdk = clientFor(other);
      try {
        return (await sdk.send(new DescribeUserPoolCommand({ UserPoolId: TEST_POOL_ID }))).UserPool?.CreationDate?.getTime();
      } finally {
        sdk.destroy();
      }
    };
    try {
      const before = await created();
      await new Promise((r) => setTimeout(r, 20));
      await other.restart();
      expect(await created()).toBe(before);
    } finally {
      await other.close();
    }
  });

  it('DescribeUserPool counts users, and its policy is the one sign-up enforces', async () => {
    const count = async () => (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: TEST_POOL_ID }))).UserPool?.EstimatedNumberOfUsers;
    const start = await count();
    await cognito.send(new AdminCreateUserCommand({ UserPoolId: TEST_POOL_ID, Username: uniqueEmail('count') }));
    expect(await count()).toBe((start ?? 0) + 1);
    // One character short of MinimumLength, otherwise meeting the policy.
    const short = 'Aa1!aaaaaaaaaaaa'.slice(0, PASSWORD_POLICY.MinimumLength - 1);
    expect(await failure(() => cognito.send(new SignUpCommand({ ClientId: PUBLIC_CLIENT, Username: uniqueEmail(), Password: short })))).toMatchObject({ name: 'InvalidPasswordException' });
  });

  it('DescribeUserPoolClient reports each client as registered, the secret only for a confidential one', async () => {
    const { UserPoolClient: pub } = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: TEST_POOL_ID, ClientId: PUBLIC_CLIENT }));
    expect(pub).toMatchObject({
      UserPoolId: TEST_POOL_ID,
      ClientId: PUBLIC_CLIENT,
      ClientName: PUBLIC_CLIENT,
      CallbackURLs: ['http://127.0.0.1:9/callback'],
      LogoutURLs: ['http://127.0.0.1:9/'],
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile', 'pier/orders.read', 'pier/orders.write', 'aws.cognito.signin.user.admin'],
      AllowedOAuthFlowsUserPoolClient: true,
      ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      SupportedIdentityProviders: ['COGNITO'],
      // startIdentity's defaults: one hour, 30 days.
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
      RefreshTokenValidity: 30,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AuthSessionValidity: 3,
    });
    expect(pub).not.toHaveProperty('ClientSecret');
    expect(pub?.CreationDate).toBeInstanceOf(Date);
    const { UserPoolClient: conf } = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: TEST_POOL_ID, ClientId: CONFIDENTIAL_CLIENT }));
    expect(conf).toMatchObject({ ClientId: CONFIDENTIAL_CLIENT, ClientSecret: CONFIDENTIAL_SECRET });
  });

  it('DescribeUserPoolClient reports the token lifetimes the pool really issues', async () => {
    const other = await startTestIdentity({ tokenTtlSeconds: 300, refreshTtlSeconds: 7200 });
    const sdk = clientFor(other);
    try {
      const { UserPoolClient: c } = await sdk.send(new DescribeUserPoolClientCommand({ UserPoolId: TEST_POOL_ID, ClientId: PUBLIC_CLIENT }));
      expect(c).toMatchObject({ AccessTokenValidity: 5, IdTokenValidity: 5, RefreshTokenValidity: 2, TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'hours' } });
      const email = uniqueEmail('ttl');
      await other.identity.pool.createUser({ email, password: GOOD_PASSWORD, status: 'CONFIRMED', emailVerified: true });
      const auth = await sdk.send(new InitiateAuthCommand({ ClientId: PUBLIC_CLIENT, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: GOOD_PASSWORD } }));
      expect(auth.AuthenticationResult?.ExpiresIn).toBe(c!.AccessTokenValidity! * 60);
    } finally {
      sdk.destroy();
      await other.close();
    }
  });

  it('ListUserPoolClients pages through every registered client', async () => {
    for (const n of [1, 2, 3]) t.identity.setClient({ clientId: `extra-${n}`, callbackUrls: ['http://127.0.0.1:9/callback'], logoutUrls: [] });
    const first = await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: TEST_POOL_ID, MaxResults: 2 }));
    expect(first.UserPoolClients).toEqual([
      { ClientId: PUBLIC_CLIENT, ClientName: PUBLIC_CLIENT, UserPoolId: TEST_POOL_ID },
      { ClientId: CONFIDENTIAL_CLIENT, ClientName: CONFIDENTIAL_CLIENT, UserPoolId: TEST_POOL_ID },
    ]);
    expect(first.NextToken).toBeTruthy();
    const ids: string[] = [];
    const pageSizes: number[] = [];
    for await (const page of paginateListUserPoolClients({ client: cognito, pageSize: 2 }, { UserPoolId: TEST_POOL_ID })) {
      pageSizes.push(page.UserPoolClients?.length ?? 0);
      ids.push(...(page.UserPoolClients ?? []).map((c) => c.ClientId!));
    }
    expect(pageSizes).toEqual([2, 2, 1]);
    expect(ids).toEqual([PUBLIC_CLIENT, CONFIDENTIAL_CLIENT, 'extra-1', 'extra-2', 'extra-3']);
    const all = await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: TEST_POOL_ID }));
    expect(all.UserPoolClients).toHaveLength(5);
    expect(all.NextToken).toBeUndefined();
    const described = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: TEST_POOL_ID, ClientId: 'extra-2' }));
    expect(described.UserPoolClient).toMatchObject({ ClientId: 'extra-2', LogoutURLs: [] });
    const dcr = await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: TEST_POOL_ID, ClientType: 'DCR' }));
    expect(dcr.UserPoolClients).toEqual([]);
  });

  it('ListUserPoolClients refuses a bad page size or token', async () => {
    for (const MaxResults of [0, 61]) {
      expect(await failure(() => cognito.send(new ListUserPoolClientsCommand({ UserPoolId: TEST_POOL_ID, MaxResults })))).toMatchObject({ name: 'InvalidParameterException' });
    }
    for (const NextToken of ['not-a-token', Buffer.from('-1').toString('base64url')]) {
      expect(await failure(() => cognito.send(new ListUserPoolClientsCommand({ UserPoolId: TEST_POOL_ID, NextToken })))).toMatchObject({ name: 'InvalidParameterException' });
    }
  });

  it('GetUserPoolMfaConfig: MFA is off', async () => {
    const mfa = await cognito.send(new GetUserPoolMfaConfigCommand({ UserPoolId: TEST_POOL_ID }));
    expect(mfa.MfaConfiguration).toBe('OFF');
  });

  it('DescribeUserPoolDomain describes the hosted domain by name, and answers {} for any other', async () => {
    const host = new URL(t.identity.url).host;
    const { DomainDescription: found } = await cognito.send(new DescribeUserPoolDomainCommand({ Domain: host }));
    expect(found).toEqual({ UserPoolId: TEST_POOL_ID, AWSAccountId: '000000000000', Domain: host, Status: 'ACTIVE', ManagedLoginVersion: 1 });
    for (const Domain of ['no-such-domain', 'auth.example.com', t.identity.url]) {
      expect((await cognito.send(new DescribeUserPoolDomainCommand({ Domain }))).DomainDescription).toEqual({});
    }
    expect(await failure(() => cognito.send(new DescribeUserPoolDomainCommand({ Domain: '' })))).toMatchObject({ name: 'InvalidParameterException' });
  });

  it('a wrong pool or client id is ResourceNotFoundException, as in Cognito', async () => {
    const wrongPool = 'us-east-1_NoSuchPool';
    const calls = [
      () => cognito.send(new DescribeUserPoolCommand({ UserPoolId: wrongPool })),
      () => cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: wrongPool, ClientId: PUBLIC_CLIENT })),
      () => cognito.send(new ListUserPoolClientsCommand({ UserPoolId: wrongPool })),
      () => cognito.send(new GetUserPoolMfaConfigCommand({ UserPoolId: wrongPool })),
    ];
    for (const call of calls) expect(await failure(call)).toEqual({ name: 'ResourceNotFoundException', message: `User pool ${wrongPool} does not exist.` });
    expect(await failure(() => cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: TEST_POOL_ID, ClientId: 'no-such-client' })))).toEqual({
      name: 'ResourceNotFoundException',
      message: 'User pool client no-such-client does not exist.',
    });
  });

  it('the descriptions need a signed (IAM) request', async () => {
    const host = new URL(t.identity.url).host;
    for (const [action, body] of [
      ['DescribeUserPool', { UserPoolId: TEST_POOL_ID }],
      ['DescribeUserPoolClient', { UserPoolId: TEST_POOL_ID, ClientId: CONFIDENTIAL_CLIENT }],
      ['ListUserPoolClients', { UserPoolId: TEST_POOL_ID }],
      ['GetUserPoolMfaConfig', { UserPoolId: TEST_POOL_ID }],
      ['DescribeUserPoolDomain', { Domain: host }],
    ] as const) {
      const res = await unsigned(action, body);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    }
  });
});
