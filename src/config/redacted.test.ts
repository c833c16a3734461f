import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { Redacted, isRedacted } from './redacted.js';
import { resolveConfig } from './resolve.js';

const SECRET = 'postgres://app:hunter2-s3cr3t@db.internal:5432/pier';
const KEY = 'whsec_c2VjcmV0LXNpZ25pbmcta2V5LXZhbHVl';

function config() {
  return resolveConfig([{ name: 'environment', values: { DATABASE_URL: SECRET, WEBHOOK_SIGNING_KEY: KEY, LOG_LEVEL: 'debug' } }]);
}

describe('secret values in the config object', () => {
  it('are Redacted and only reveal() hands the value out', () => {
    const c = config();
    expect(isRedacted(c.DATABASE_URL)).toBe(true);
    expect(c.DATABASE_URL?.reveal()).toBe(SECRET);
    expect(c.WEBHOOK_SIGNING_KEY?.reveal()).toBe(KEY);
    // Plain settings stay plain.
    expect(c.LOG_LEVEL).toBe('debug');
  });

  it('print as [redacted] in JSON.stringify', () => {
    const text = JSON.stringify(config());
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(KEY);
    expect(JSON.parse(text)).toMatchObject({ DATABASE_URL: '[redacted]', WEBHOOK_SIGNING_KEY: '[redacted]', LOG_LEVEL: 'debug' });
  });

  it('print as [redacted] in util.inspect (console.log) and string conversion', () => {
    const c = config();
    const shown = inspect(c, { depth: 5 });
    expect(shown).toContain('DATABASE_URL: [redacted]');
    expect(shown).not.toContain('hunter2');
    expect(inspect({ nested: { deeper: c } }, { depth: 10 })).not.toContain('hunter2');
    expect(`${c.DATABASE_URL}`).toBe('[redacted]');
    expect(String(c.WEBHOOK_SIGNING_KEY)).toBe('[redacted]');
    expect('' + c.DATABASE_URL).toBe('[redacted]');
  });

  it('print as [redacted] in pino logs, whole config or one value', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
    const c = config();
    logger.info({ config: c }, 'config loaded');
    logger.info({ url: c.DATABASE_URL }, 'connecting');
    logger.child({ key: c.WEBHOOK_SIGNING_KEY }).info('signing');
    logger.info(`interpolated ${c.DATABASE_URL}`);
    expect(lines).toHaveLength(4);
    const all = lines.join('');
    expect(all).not.toContain('hunter2');
    expect(all).not.toContain(KEY);
    const first = JSON.parse(lines[0] as string);
    expect(first.config.DATABASE_URL).toBe('[redacted]');
    expect(first.config.LOG_LEVEL).toBe('debug');
    expect(JSON.parse(lines[1] as string).url).toBe('[redacted]');
    expect(JSON.parse(lines[2] as string).key).toBe('[redacted]');
    expect(JSON.parse(lines[3] as string).msg).toBe('interpolated [redacted]');
  });

  it('cannot be changed or reached through the object', () => {
    const r = new Redacted('x');
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.keys(r)).toEqual([]);
    expect(Object.values(config()).some((v) => typeof v === 'string' && v.includes('hunter2'))).toBe(false);
  });
});
