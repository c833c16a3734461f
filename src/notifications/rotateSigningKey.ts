/**
 * The rotation function for the webhook signing key: a Lambda that Secrets Manager invokes four times per rotation,
 * `{ Step, SecretId, ClientRequestToken }` with Step createSecret, setSecret, testSecret, finishSecret in that order
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html, "Four steps in a
 * rotation function"; event shape: https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda.html).
 * It follows AWS's generic rotation template (aws-samples/aws-secrets-manager-rotation-lambdas,
 * SecretsManagerRotationTemplate/lambda_function.py): the version named by ClientRequestToken must be staged
 * AWSPENDING (or already AWSCURRENT: a retry of a finished rotation does nothing), and every step is idempotent, so
 * Secrets Manager may retry any step, or the whole rotation, with the same token.
 *
 * The secret is Pier's JSON object of settings. The new version keeps every other key, gets a new WEBHOOK_SIGNING_KEY
 * and carries the current key as WEBHOOK_SIGNING_KEY_PREVIOUS, so senders sign with both until the next rotation and a
 * receiver holding either key verifies (docs/secrets.md, "Rotating the webhook signing key"). The key of two rotations
 * ago is dropped. Nothing here logs or returns a key.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { localCredentials } from '../config/localCredentials.js';
import { settings } from '../config/schema.js';
import { generateSigningKey } from './signingKey.js';
import { signingKeyBytes, signWebhook } from './webhook.js';

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';

export const rotationEventSchema = z.object({
  Step: z.enum(['createSecret', 'setSecret', 'testSecret', 'finishSecret']),
  SecretId: z.string().min(1),
  ClientRequestToken: z.string().min(1),
  RotationToken: z.string().optional(),
});
export type RotationEvent = z.infer<typeof rotationEventSchema>;

/** The secret or the event is not what a rotation of this secret needs; the step fails and the rotation with it. */
export class RotationError extends Error {
  override readonly name = 'RotationError';
}

type SecretJson = Record<string, unknown>;

function parseSecret(text: string | undefined, what: string): SecretJson {
  let parsed: unknown;
  try {
    parsed = text === undefined ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new RotationError(`${what} is not a JSON object of settings`);
  return parsed as SecretJson;
}

/** Whether `value` is a usable key: the setting's own schema, and it signs. Names the key, never its value. */
function checkKey(value: unknown, key: string, what: string): string {
  if (typeof value !== 'string' || !settings.WEBHOOK_SIGNING_KEY.schema.safeParse(value).success) throw new RotationError(`${what}: ${key} is missing or not a whsec_ key`);
  const bytes = signingKeyBytes(value);
  if (bytes.length < 24) throw new RotationError(`${what}: ${key} is shorter than 24 bytes`);
  if (!signWebhook(bytes, 'msg_rotation_test', 0, '{}').startsWith('v1,')) throw new RotationError(`${what}: ${key} does not sign`);
  return value;
}

const isNotFound = (err: unknown) => (err as Error).name === 'ResourceNotFoundException';

export function createRotationHandler(client: () => SecretsManagerClient) {
  return async function rotateSigningKey(raw: unknown): Promise<void> {
    const parsed = rotationEventSchema.safeParse(raw);
    if (!parsed.success) throw new RotationError(`invalid rotation event: ${parsed.error.issues.map((i) => i.path.join('.') || 'event').join(', ')}`);
    const { Step: step, SecretId: arn, ClientRequestToken: token } = parsed.data;
    const sm = client();

    // The template's preamble: rotation on, and the token's version staged for this rotation.
    const meta = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
    if (!meta.RotationEnabled) throw new RotationError(`secret ${arn} is not enabled for rotation`);
    const stages = meta.VersionIdsToStages?.[token];
    if (!stages) throw new RotationError(`secret version ${token} has no stage for rotation of ${arn}`);
    if (stages.includes(CURRENT)) return; // this rotation already finished: a retry changes nothing
    if (!stages.includes(PENDING)) throw new RotationError(`secret version ${token} is not AWSPENDING for rotation of ${arn}`);

    switch (step) {
      case 'createSecret': {
        const current = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: CURRENT }));
        try {
          await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: PENDING }));
          return; // created by an earlier attempt with this token
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        const value = parseSecret(current.SecretString, 'the AWSCURRENT version');
        const next: SecretJson = { ...value, WEBHOOK_SIGNING_KEY: generateSigningKey() };
        // The current key signs alongside the new one until the next rotation; the one before it is dropped here.
        if (typeof value.WEBHOOK_SIGNING_KEY === 'string') next.WEBHOOK_SIGNING_KEY_PREVIOUS = value.WEBHOOK_SIGNING_KEY;
        else delete next.WEBHOOK_SIGNING_KEY_PREVIOUS;
        await sm.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: JSON.stringify(next), VersionStages: [PENDING] }));
        return;
      }
      case 'setSecret':
        // Nothing to set: unlike a database password, this key exists nowhere but in this secret. Pier's senders read
        // it from here (ConfigStore refresh), and receivers get it from the user, out of band; the overlap
        // (WEBHOOK_SIGNING_KEY_PREVIOUS) is what keeps receivers verifying while they switch.
        return;
      case 'testSecret': {
        const pending = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: PENDING }));
        const value = parseSecret(pending.SecretString, 'the AWSPENDING version');
        checkKey(value.WEBHOOK_SIGNING_KEY, 'WEBHOOK_SIGNING_KEY', 'the AWSPENDING version');
        if (value.WEBHOOK_SIGNING_KEY_PREVIOUS !== undefined) checkKey(value.WEBHOOK_SIGNING_KEY_PREVIOUS, 'WEBHOOK_SIGNING_KEY_PREVIOUS', 'the AWSPENDING version');
        // The overlap: receivers holding today's key must keep verifying after finishSecret.
        const current = parseSecret((await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: CURRENT }))).SecretString, 'the AWSCURRENT version');
        if (typeof current.WEBHOOK_SIGNING_KEY === 'string' && value.WEBHOOK_SIGNING_KEY_PREVIOUS !== current.WEBHOOK_SIGNING_KEY) {
          throw new RotationError('the AWSPENDING version does not carry the current key as WEBHOOK_SIGNING_KEY_PREVIOUS');
        }
        return;
      }
      case 'finishSecret': {
        const currentVersion = Object.entries(meta.VersionIdsToStages ?? {}).find(([, s]) => s.includes(CURRENT))?.[0];
        await sm.send(
          new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: CURRENT, MoveToVersionId: token, ...(currentVersion ? { RemoveFromVersionId: currentVersion } : {}) }),
        );
        await sm.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: PENDING, RemoveFromVersionId: token }));
        return;
      }
    }
  };
}

let sharedClient: SecretsManagerClient | undefined;

/** One client per Lambda container; SECRETSMANAGER_ENDPOINT (a local stand-in) and AWS_REGION from the environment. */
function containerClient(): SecretsManagerClient {
  const endpoint = process.env.SECRETSMANAGER_ENDPOINT || undefined;
  sharedClient ??= new SecretsManagerClient({ region: process.env.AWS_REGION || 'us-east-1', ...(endpoint ? { endpoint } : {}), ...localCredentials(endpoint) });
  return sharedClient;
}

/** The Lambda entry (the CDK rotation schedule's function). */
export const handler = createRotationHandler(containerClient);
