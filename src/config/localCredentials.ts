/** Dummy keys for a local stand-in: it checks no signatures, but the SDK refuses to send anything without keys. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * Credentials for an AWS SDK client. Against AWS (no endpoint): the SDK's normal chain. Against a local endpoint with
 * no credentials configured in the environment: dummy keys, because the stand-in does not check signatures and the
 * SDK would otherwise fail looking for credentials before it sends anything.
 */
export function localCredentials(endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env): { credentials?: typeof LOCAL_CREDENTIALS } {
  return endpoint && !envHasCredentials(env) ? { credentials: LOCAL_CREDENTIALS } : {};
}

/** Whether the environment points the SDK's credential chain somewhere (keys, a profile, web identity, ECS). */
export function envHasCredentials(env: NodeJS.ProcessEnv): boolean {
  return Boolean(
    env.AWS_ACCESS_KEY_ID ||
      env.AWS_PROFILE ||
      env.AWS_WEB_IDENTITY_TOKEN_FILE ||
      env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ||
      env.AWS_CONTAINER_CREDENTIALS_FULL_URI,
  );
}
