import { ECSClient } from '@aws-sdk/client-ecs';
import { envHasCredentials } from '../../src/config/localCredentials.js';

/** What to do when no AWS credentials are found: printed by deploy, pause and resume. */
export const NO_CREDENTIALS_HELP = `No AWS credentials found. Configure them first, for example:
  aws configure sso && export AWS_PROFILE=<profile>      (IAM Identity Center)
  export AWS_PROFILE=<profile>                           (a profile in ~/.aws/config)
  export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...  (access keys)
Then run the command again. See docs/deploy.md.`;

export class NoCredentialsError extends Error {
  readonly code = 'AWS_NO_CREDENTIALS';
  constructor(cause?: unknown) {
    super(NO_CREDENTIALS_HELP, { cause });
  }
}

/** Resolves the SDK's default credential chain once, so a missing login fails fast with advice, not a stack trace. */
export async function requireCredentials(region: string, timeoutMs = 10_000): Promise<void> {
  const client = new ECSClient({ region });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out resolving credentials')), timeoutMs);
    });
    const creds = await Promise.race([client.config.credentials(), timeout]);
    if (!creds?.accessKeyId) throw new Error('empty credentials');
  } catch (err) {
    throw new NoCredentialsError(err);
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}

/** Cheap check (no network): does anything in the environment or ~/.aws point at credentials? */
export function credentialsConfigured(env: NodeJS.ProcessEnv, homeHasAwsDir: boolean): boolean {
  return envHasCredentials(env) || homeHasAwsDir;
}

/** Errors the SDK raises when no credentials can be found. */
export const isCredentialsError = (err: unknown): boolean =>
  err instanceof NoCredentialsError || ['CredentialsProviderError', 'ProviderError'].includes((err as Error)?.name) ||
  /credential/i.test((err as Error)?.message ?? '');
