import { Stack } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { SECRET_KEYS } from '../../src/config/schema.js';
import { ecsSecrets, operatorSecretKeys, plainEnvironment, SettingsWiringError, STACK_OWNED_SECRETS } from './appSettings.js';

describe('settings wiring (src/config/schema.ts -> tasks)', () => {
  it('passes plain settings through as environment variables', () => {
    expect(plainEnvironment({ LOG_LEVEL: 'info', SERVICE_PORT: '8080' })).toEqual({ LOG_LEVEL: 'info', SERVICE_PORT: '8080' });
  });

  it.each(SECRET_KEYS)('refuses to put the secret setting %s in an environment', (key) => {
    expect(() => plainEnvironment({ [key]: 'x' })).toThrow(SettingsWiringError);
    expect(() => plainEnvironment({ [key]: 'x' })).toThrow(/secret setting/);
  });

  it('refuses names that are not settings (a typo would otherwise be silently ignored by the loader)', () => {
    expect(() => plainEnvironment({ LOG_LEVL: 'info' })).toThrow(/not a setting/);
  });

  it('makes the stack-owned secrets ECS secret references and leaves the rest to the app secret', () => {
    const stack = new Stack();
    const database = new Secret(stack, 'Db');
    const secrets = ecsSecrets({ database });
    expect(Object.keys(secrets)).toEqual(Object.keys(STACK_OWNED_SECRETS));
    expect(secrets.DATABASE_URL!.arn).toContain(':DATABASE_URL::');
    expect(operatorSecretKeys()).toContain('WEBHOOK_SIGNING_KEY');
    expect([...operatorSecretKeys(), ...Object.keys(secrets)].sort()).toEqual([...SECRET_KEYS].sort());
  });
});
