import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { requireSetting, resolveConfig } from './resolve.js';
import { settings, type SettingKey } from './schema.js';

function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('applies defaults and parses types into one frozen object', () => {
    const c = resolveConfig([{ name: 'environment', values: { SERVICE_PORT: '8080', WEBHOOK_ALLOW_LOOPBACK: 'yes', CORS_ALLOWED_ORIGINS: 'https://a.example, https://b.example,' } }]);
    expect(c.SERVICE_PORT).toBe(8080);
    expect(c.WEBHOOK_ALLOW_LOOPBACK).toBe(true);
    expect(c.CORS_ALLOWED_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(c.PIER_ENV).toBe('local');
    expect(c.SECRETS_REFRESH_SECONDS).toBe(300);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.CORS_ALLOWED_ORIGINS)).toBe(true);
    expect(() => {
      (c as { SERVICE_PORT: number }).SERVICE_PORT = 1;
    }).toThrow(TypeError);
  });

  it('takes each key from the first layer that has it; an empty value counts as unset', () => {
    const c = resolveConfig([
      { name: 'environment', values: { LOG_LEVEL: 'warn', SERVICE_PORT: '' } },
      { name: '.env', values: { LOG_LEVEL: 'debug', SERVICE_PORT: '5000' } },
    ]);
    expect(c.LOG_LEVEL).toBe('warn');
    expect(c.SERVICE_PORT).toBe(5000);
  });

  it('names the key and the source of an invalid value, never the value', () => {
    const err = failure(() =>
      resolveConfig([
        { name: 'environment', values: {} },
        { name: 'Docker secrets in /run/secrets', values: { DATABASE_URL: 'mysql://app:hunter2@db/pier' } },
      ]),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues).toEqual([expect.objectContaining({ code: 'CONFIG_INVALID', key: 'DATABASE_URL', source: 'Docker secrets in /run/secrets' })]);
    expect(err.message).toContain('DATABASE_URL from Docker secrets in /run/secrets is invalid');
    expect(err.message).not.toContain('hunter2');
    expect(JSON.stringify(err.issues)).not.toContain('hunter2');
  });

  it('says what a number setting accepts, for text and for out-of-range values alike', () => {
    for (const value of ['abc', '99999', '1.5']) {
      const err = failure(() => resolveConfig([{ name: 'environment', values: { SERVICE_PORT: value } }]));
      expect(err.message).toBe('SERVICE_PORT from environment is invalid: must be a whole number from 0 to 65535');
    }
  });

  it('reports every bad key at once', () => {
    const err = failure(() => resolveConfig([{ name: 'environment', values: { SERVICE_PORT: '99999', LOG_LEVEL: 'loud', AWS_REGION: 'moon' } }]));
    expect(err.issues.map((i) => i.key).sort()).toEqual(['AWS_REGION', 'LOG_LEVEL', 'SERVICE_PORT']);
    expect(err.message).toMatch(/^3 configuration problems:/);
  });

  it('never echoes the value for any setting, whatever its type', () => {
    const sentinel = 'zz-SENTINEL-9f3a not/valid';
    const failed: SettingKey[] = [];
    for (const key of Object.keys(settings) as SettingKey[]) {
      let err: ConfigError | undefined;
      try {
        resolveConfig([{ name: 'environment', values: { [key]: sentinel } }]);
      } catch (e) {
        err = e as ConfigError;
      }
      if (!err) continue; // free-text settings accept it
      failed.push(key);
      expect(err.message).toContain(`${key} from environment is invalid`);
      expect(err.message).not.toContain('SENTINEL');
      expect(JSON.stringify(err.issues)).not.toContain('SENTINEL');
    }
    // Enums, numbers, ports, booleans, URLs and patterned settings all refuse it: the check is not vacuous.
    expect(failed.length).toBeGreaterThanOrEqual(15);
    expect(failed).toEqual(expect.arrayContaining(['PIER_ENV', 'SERVICE_PORT', 'DATABASE_URL', 'WEBHOOK_SIGNING_KEY', 'SECRETSMANAGER_ENDPOINT']));
  });
});

describe('requireSetting', () => {
  it('returns a set value and names a missing key', () => {
    const c = resolveConfig([{ name: 'environment', values: { ORDER_EVENTS_QUEUE_URL: 'http://127.0.0.1:4003/000000000000/order-events' } }]);
    expect(requireSetting(c, 'ORDER_EVENTS_QUEUE_URL')).toContain('order-events');
    const err = failure(() => requireSetting(c, 'WEBHOOK_SIGNING_KEY'));
    expect(err.code).toBe('CONFIG_MISSING');
    expect(err.issues[0]?.key).toBe('WEBHOOK_SIGNING_KEY');
    expect(err.message).toContain('WEBHOOK_SIGNING_KEY');
  });
});
