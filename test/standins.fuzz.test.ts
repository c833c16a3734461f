/**
 * Property-based tests of the AWS-protocol stand-ins (SQS, Secrets Manager, the Cognito user-pool API, Lambda
 * Invoke), each started on port 0: random X-Amz-Target action names (Object.prototype's among them), random JSON
 * bodies (nested objects and arrays, `__proto__` and other inherited names as keys, numbers beyond double range,
 * strings across the whole Unicode range including lone surrogates), and the real action names with such bodies.
 * Whatever comes in, the answer is never a 5xx, a 4xx is a JSON error naming its type, and the server stays up.
 *
 * Bounded for `npm test` (a few seconds); `FUZZ_RUNS=2000 npx vitest run test/standins.fuzz.test.ts` runs each
 * property that many times.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, ListQueuesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOD_PASSWORD, PUBLIC_CLIENT, startTestIdentity, TEST_POOL_ID, type TestIdentity } from '../local/identity/testing.js';
import { startLambdaInvoke } from '../local/lambda/index.js';
import type { RunningPart } from '../local/part.js';
import { startSecretsManager } from '../local/secretsmanager/index.js';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';
import { createLogger } from '../src/log.js';

const RUNS = Number(process.env.FUZZ_RUNS) > 0 ? Number(process.env.FUZZ_RUNS) : 40;
const logger = createLogger({ level: 'silent' });

// --- a JSON generator that JSON.stringify cannot express ------------------------------------------------------

/** A number written as-is into the JSON text: beyond double range, more digits than a double holds, -0. */
class RawNumber {
  constructor(readonly text: string) {}
}
/** An object as a list of entries, so `__proto__` is an ordinary key and a key may repeat. */
class Entries {
  constructor(readonly entries: [string, Json][]) {}
}
type Json = null | boolean | number | string | RawNumber | Entries | Json[];

function toJson(v: Json): string {
  if (v instanceof RawNumber) return v.text;
  if (v instanceof Entries) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (typeof v === 'number' && !Number.isFinite(v)) return v > 0 ? '1e999' : v < 0 ? '-1e999' : 'null';
  // JSON.stringify writes a lone surrogate as a \udxxx escape, so it reaches the server as such.
  return JSON.stringify(v);
}

const INHERITED = Object.getOwnPropertyNames(Object.prototype);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** Any code point, a lone surrogate now and then. */
const anyChar = fc.oneof({ weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: loneSurrogate });
const anyString = fc.string({ unit: anyChar, maxLength: 24 });
const rawNumber = fc.constantFrom('1e400', '-1e400', '1e-400', '-0', '123456789012345678901234567890', '9007199254740993', '0.1e1', '1E+2').map((t) => new RawNumber(t));

/** A JSON document for the fields a stand-in knows, with values from `interesting` and anything else. */
function jsonBody(fieldNames: readonly string[], interesting: readonly Json[]): fc.Arbitrary<Entries> {
  const key = fc.oneof(fc.constantFrom(...fieldNames, ...INHERITED, 'prototype'), anyString);
  const leaf: fc.Arbitrary<Json> = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    rawNumber,
    anyString,
    fc.constantFrom(...interesting),
  );
  const { value } = fc.letrec<{ value: Json; array: Json[]; object: Entries }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', maxDepth: 4 }, leaf, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map((e) => new Entries(e)),
  }));
  // The top level mostly names real fields, so the checks behind the first ones are reached too.
  const field = fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...fieldNames) }, { weight: 1, arbitrary: key }), value);
  return fc.array(field, { maxLength: 6 }).map((e) => new Entries(e));
}

/** A body that is not a JSON object: other JSON, broken JSON, very deep nesting, bytes. */
const notAnObject = fc.oneof(
  fc.constantFrom('[]', '"x"', '42', 'null', 'true', '{', '{"a":}', '{"a":1,}', '\u0000', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', '{"a":{"b":{"c":'),
  fc.nat({ max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.nat({ max: 5000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  anyString,
);

/** X-Amz-Target suffixes: Object.prototype's names, real actions, printable junk (header values are bytes). */
function actionName(actions: readonly string[]): fc.Arbitrary<string> {
  const headerChar = fc.integer({ min: 0x21, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c));
  return fc.oneof(fc.constantFrom(...INHERITED, 'prototype', ''), fc.constantFrom(...actions), fc.string({ unit: headerChar, maxLength: 30 }));
}

// --- the checks every answer must pass ---------------------------------------------------------------------------

interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

async function post(url: string, headers: Record<string, string>, body: string, timeoutMs = 10_000): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** Never a 5xx; a 4xx carries a JSON body with `__type` (AWS JSON protocol); a 2xx is JSON. */
function expectAwsJsonAnswer(a: Answer, what: string): void {
  expect(a.status, `${what} -> ${a.status} ${a.body.slice(0, 300)}`).toBeLessThan(500);
  const parsed = JSON.parse(a.body) as unknown;
  if (a.status >= 400) expect(typeof (parsed as { __type?: unknown }).__type, `${what}: ${a.body.slice(0, 300)}`).toBe('string');
}

const show = (target: string, body: string) => `${JSON.stringify(target)} ${body.length > 200 ? `${body.slice(0, 200)}...` : body}`;

// --- the stand-ins -----------------------------------------------------------------------------------------------

let sqs: TestSqs;
let secrets: RunningPart;
let identity: TestIdentity;
let lambda: RunningPart;
let dir: string;
const queueUrls: string[] = [];

const SQS_ACTIONS = [
  'CreateQueue', 'GetQueueUrl', 'ListQueues', 'DeleteQueue', 'PurgeQueue', 'GetQueueAttributes', 'SetQueueAttributes', 'TagQueue', 'UntagQueue',
  'ListQueueTags', 'ListDeadLetterSourceQueues', 'SendMessage', 'SendMessageBatch', 'ReceiveMessage', 'DeleteMessage', 'DeleteMessageBatch',
  'ChangeMessageVisibility', 'ChangeMessageVisibilityBatch', 'StartMessageMoveTask', 'CancelMessageMoveTask', 'ListMessageMoveTasks',
] as const;
// No WaitTimeSeconds: a valid one would make the run wait for a long poll, which is no finding.
const SQS_FIELDS = [
  'QueueUrl', 'QueueName', 'QueueNamePrefix', 'Attributes', 'AttributeNames', 'MessageSystemAttributeNames', 'MessageAttributeNames', 'tags', 'Tags',
  'TagKeys', 'MessageBody', 'MessageAttributes', 'MessageSystemAttributes', 'DelaySeconds', 'MessageGroupId', 'MessageDeduplicationId', 'Entries', 'Id',
  'ReceiptHandle', 'VisibilityTimeout', 'MaxNumberOfMessages', 'MaxResults', 'NextToken', 'SourceArn', 'DestinationArn', 'MaxNumberOfMessagesPerSecond',
  'TaskHandle', 'DataType', 'StringValue', 'BinaryValue', 'RedrivePolicy', 'FifoQueue', 'ContentBasedDeduplication',
] as const;

const SECRETS_ACTIONS = [
  'CreateSecret', 'PutSecretValue', 'GetSecretValue', 'DescribeSecret', 'ListSecrets', 'DeleteSecret', 'RestoreSecret',
  'RotateSecret', 'CancelRotateSecret', 'ListSecretVersionIds', 'UpdateSecretVersionStage',
] as const;
const SECRETS_FIELDS = [
  'Name', 'SecretId', 'SecretString', 'SecretBinary', 'ClientRequestToken', 'Description', 'KmsKeyId', 'Tags', 'Key', 'Value', 'VersionId', 'VersionStage',
  'VersionStages', 'MaxResults', 'NextToken', 'IncludePlannedDeletion', 'SortOrder', 'Filters', 'Values', 'RecoveryWindowInDays', 'ForceDeleteWithoutRecovery',
  'RotationLambdaARN', 'RotationRules', 'AutomaticallyAfterDays', 'ScheduleExpression', 'Duration', 'RotateImmediately', 'MoveToVersionId', 'RemoveFromVersionId',
  'IncludeDeprecated',
] as const;

const COGNITO_ACTIONS = [
  'SignUp', 'ConfirmSignUp', 'ResendConfirmationCode', 'ForgotPassword', 'ConfirmForgotPassword', 'InitiateAuth', 'RespondToAuthChallenge', 'GetUser',
  'GlobalSignOut', 'RevokeToken', 'AdminInitiateAuth', 'AdminCreateUser', 'AdminSetUserPassword', 'AdminConfirmSignUp', 'AdminGetUser',
  'AdminUpdateUserAttributes', 'AdminDeleteUser', 'AdminDisableUser', 'AdminEnableUser', 'AdminUserGlobalSignOut', 'AdminAddUserToGroup',
  'AdminRemoveUserFromGroup', 'AdminListGroupsForUser', 'CreateGroup', 'ListGroups', 'ListUsers',
] as const;
const COGNITO_FIELDS = [
  'ClientId', 'Username', 'Password', 'UserAttributes', 'Name', 'Value', 'SecretHash', 'ConfirmationCode', 'AuthFlow', 'AuthParameters', 'USERNAME', 'PASSWORD',
  'REFRESH_TOKEN', 'SECRET_HASH', 'Session', 'ChallengeName', 'ChallengeResponses', 'NEW_PASSWORD', 'AccessToken', 'Token', 'ClientSecret', 'UserPoolId',
  'TemporaryPassword', 'MessageAction', 'Permanent', 'GroupName', 'Description', 'Precedence', 'Filter', 'Limit', 'PaginationToken', 'ClientMetadata',
] as const;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-fuzz-'));
  [sqs, secrets, identity, lambda] = await Promise.all([
    startTestSqs({ sync: false }),
    startSecretsManager({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'sm'), region: 'us-east-1', logger }),
    startTestIdentity(),
    startLambdaInvoke({ host: '127.0.0.1', port: 0, functions: { echo: async (e) => e, fail: async () => Promise.reject(new TypeError('boom')) }, logger }),
  ]);
  // Queues to aim at, so bodies get past the QueueUrl check into the checks behind it.
  for (const [name, attrs] of [['fuzz', {}], ['fuzz-dlq', {}], ['fuzz.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' }]] as const) {
    queueUrls.push((await sqs.client.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }))).QueueUrl!);
  }
  for (let i = 0; i < 20; i++) await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrls[0], MessageBody: `m${i}` }));
  await identity.identity.pool.createUser({ email: 'fuzz@example.com', password: GOOD_PASSWORD, status: 'CONFIRMED', emailVerified: true });
});

afterAll(async () => {
  await Promise.all([sqs?.close(), secrets?.close(), identity?.close(), lambda?.close()]);
  await rm(dir, { recursive: true, force: true });
});

describe('SQS stand-in under random input', () => {
  const target = (action: string) => ({ 'x-amz-target': `AmazonSQS.${action}`, 'content-type': 'application/x-amz-json-1.0' });
  const interesting = (): Json[] => [
    ...queueUrls, 'http://127.0.0.1/000000000000/fuzz', 'file:///000000000000/fuzz', 'http://h/123456789012/fuzz', 'arn:aws:sqs:us-east-1:000000000000:fuzz-dlq',
    'All', '.*', 'String', 'Number', 'Binary', 'Binary.x', 'AAEC/w==', 'not base64', '0', '20', '-1', '1e3', 'true', 'g1', 'id-1', '', 'x'.repeat(300),
    '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:fuzz-dlq","maxReceiveCount":1}', 'null', '[]',
  ];

  /** SQS answers, and a ReceiveMessage may be a long poll: one cut short by the client is not a failure. */
  async function call(action: string, body: string): Promise<void> {
    let a: Answer;
    try {
      a = await post(sqs.sqs.url, target(action), body, action === 'ReceiveMessage' ? 3000 : 10_000);
    } catch (err) {
      if (action === 'ReceiveMessage' && (err as Error).name === 'TimeoutError') return;
      throw err;
    }
    expectAwsJsonAnswer(a, show(action, body));
  }

  it('answers any action name with a 4xx or the action, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(actionName(SQS_ACTIONS), jsonBody(SQS_FIELDS, interesting()), async (action, body) => call(action, toJson(body))),
      { numRuns: RUNS },
    );
  });

  it('answers each action with random bodies, never a 5xx', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...SQS_ACTIONS), jsonBody(SQS_FIELDS, interesting()), async (action, body) => call(action, toJson(body))), {
      numRuns: RUNS * 3,
    });
  });

  it('answers bodies that are not JSON objects with a 4xx', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...SQS_ACTIONS), notAnObject, async (action, body) => call(action, body)), { numRuns: RUNS });
  });

  it('is still up and serving afterwards', async () => {
    expect((await fetch(`${sqs.sqs.url}/health`)).status).toBe(200);
    expect((await sqs.client.send(new ListQueuesCommand({}))).QueueUrls?.length).toBeGreaterThan(0);
  });
});

describe('Secrets Manager stand-in under random input', () => {
  const target = (action: string) => ({ 'x-amz-target': `secretsmanager.${action}`, 'content-type': 'application/x-amz-json-1.1' });
  const interesting: Json[] = [
    'fuzz/secret', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:fuzz/secret', 'AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING', 'AAEC/w==', 'a'.repeat(32), 'asc',
    'name', 'all', 7, 30, 'rate(4 hours)', 'arn:aws:lambda:us-east-1:000000000000:function:echo',
  ];
  const call = async (action: string, body: string) => expectAwsJsonAnswer(await post(secrets.url!, target(action), body), show(action, body));

  it('answers any action name with a 4xx or the action, never a 5xx', async () => {
    await fc.assert(fc.asyncProperty(actionName(SECRETS_ACTIONS), jsonBody(SECRETS_FIELDS, interesting), async (action, body) => call(action, toJson(body))), {
      numRuns: RUNS,
    });
  });

  it('answers each action with random bodies, never a 5xx', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...SECRETS_ACTIONS), jsonBody(SECRETS_FIELDS, interesting), async (action, body) => call(action, toJson(body))), {
      numRuns: RUNS * 2,
    });
  });

  it('answers bodies that are not JSON objects with a 4xx', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...SECRETS_ACTIONS), notAnObject, async (action, body) => call(action, body)), { numRuns: RUNS });
  });

  it('is still up and serving afterwards', async () => {
    const a = await post(secrets.url!, target('ListSecrets'), '{}');
    expect(a.status).toBe(200);
  });
});

describe('Cognito user-pool API stand-in under random input', () => {
  const headers = (action: string, signed: boolean) => ({
    'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
    'content-type': 'application/x-amz-json-1.1',
    // Any SigV4 header reaches the admin actions (no IAM here).
    ...(signed ? { authorization: 'AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=00' } : {}),
  });
  const interesting: Json[] = [
    PUBLIC_CLIENT, TEST_POOL_ID, 'fuzz@example.com', 'FUZZ@example.com', GOOD_PASSWORD, 'USER_PASSWORD_AUTH', 'REFRESH_TOKEN_AUTH', 'ADMIN_USER_PASSWORD_AUTH',
    'NEW_PASSWORD_REQUIRED', 'email', 'name', 'custom:x', 'sub', 'email = "fuzz@example.com"', 'email ^= "f"', '123456', 'admins', 'SUPPRESS', 60, 0,
  ];
  const call = async (action: string, signed: boolean, body: string) =>
    expectAwsJsonAnswer(await post(identity.identity.url, headers(action, signed), body), show(action, body));

  it('answers any action name with a 4xx or the action, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(actionName(COGNITO_ACTIONS), fc.boolean(), jsonBody(COGNITO_FIELDS, interesting), async (action, signed, body) => call(action, signed, toJson(body))),
      { numRuns: RUNS },
    );
  });

  it('answers each action with random bodies, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COGNITO_ACTIONS), fc.boolean(), jsonBody(COGNITO_FIELDS, interesting), async (action, signed, body) => call(action, signed, toJson(body))),
      { numRuns: RUNS * 2 },
    );
  });

  it('answers bodies that are not JSON objects with a 4xx', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...COGNITO_ACTIONS), notAnObject, async (action, body) => call(action, true, body)), { numRuns: RUNS });
  });

  it('is still up and serving afterwards', async () => {
    expect((await fetch(`${identity.identity.url}/health`)).status).toBe(200);
    const a = await post(identity.identity.url, headers('InitiateAuth', false), JSON.stringify({ ClientId: PUBLIC_CLIENT, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'fuzz@example.com', PASSWORD: 'wrong' } }));
    expect([a.status, (JSON.parse(a.body) as { __type: string }).__type]).toEqual([400, 'NotAuthorizedException']);
  });
});

describe('Lambda Invoke stand-in under random input', () => {
  // REST-JSON: the error type travels in x-amzn-errortype.
  const segment = fc.oneof(
    fc.constantFrom(...INHERITED, 'prototype', 'echo', 'fail', '%E0%A4', '%', '%00', 'arn:aws:lambda:us-east-1:000000000000:function:constructor', 'arn%3Aaws%3Alambda%3Ax%3Ay%3Afunction%3A__proto__'),
    fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.:%~!$&\'()*+,;=@'.split('')), minLength: 1, maxLength: 20 }),
  );

  it('answers any function name and body without a 5xx, and only its own functions run', async () => {
    await fc.assert(
      fc.asyncProperty(segment, fc.oneof(notAnObject, jsonBody(['a', 'b'], ['x', 1]).map(toJson)), async (name, body) => {
        const a = await post(`${lambda.url!}/2015-03-31/functions/${name}/invocations`, { 'content-type': 'application/json' }, body);
        expect(a.status, `${name} -> ${a.status} ${a.body.slice(0, 200)}`).toBeLessThan(500);
        if (a.status >= 400) expect(a.headers.get('x-amzn-errortype')).toBeTruthy();
        if (a.status === 200) expect(['echo', 'fail']).toContain(decodeURIComponent(name).split(':').at(6) ?? decodeURIComponent(name));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("answers Object.prototype's names as functions that do not exist", async () => {
    for (const name of [...INHERITED, 'arn:aws:lambda:us-east-1:000000000000:function:constructor']) {
      const a = await post(`${lambda.url!}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {}, '{"echo":"me"}');
      expect([a.status, a.headers.get('x-amzn-errortype')], name).toEqual([404, 'ResourceNotFoundException']);
    }
    const ok = await post(`${lambda.url!}/2015-03-31/functions/echo/invocations`, {}, '{"echo":"me"}');
    expect(JSON.parse(ok.body)).toEqual({ echo: 'me' });
  });
});

describe("Object.prototype's names as actions, in every AWS-JSON stand-in", () => {
  it('answers each with the service’s unknown-action error', async () => {
    for (const name of [...INHERITED, 'prototype']) {
      const q = await post(sqs.sqs.url, { 'x-amz-target': `AmazonSQS.${name}`, 'content-type': 'application/x-amz-json-1.0' }, '{}');
      expect([q.status, (JSON.parse(q.body) as { __type: string }).__type], name).toEqual([400, 'com.amazonaws.sqs#InvalidAction']);
      const s = await post(secrets.url!, { 'x-amz-target': `secretsmanager.${name}`, 'content-type': 'application/x-amz-json-1.1' }, '{}');
      expect([s.status, (JSON.parse(s.body) as { __type: string }).__type], name).toEqual([400, 'UnknownOperationException']);
      const c = await post(identity.identity.url, { 'x-amz-target': `AWSCognitoIdentityProviderService.${name}`, 'content-type': 'application/x-amz-json-1.1' }, '{}');
      expect([c.status, (JSON.parse(c.body) as { __type: string }).__type], name).toEqual([400, 'UnknownOperationException']);
    }
  });
});
