import { describe, expect, it } from 'vitest';
import { formatDotenv, parseDotenv } from './dotenv.js';
import { ConfigError } from './errors.js';

describe('parseDotenv', () => {
  it('reads plain, quoted, exported and commented lines', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value # trailing comment',
      'export EXPORTED=yes',
      'HASH_INSIDE=a#b',
      'DOUBLE="line1\\nline2 \\"quoted\\""',
      "SINGLE='$literal \\n'",
      'MULTI="first',
      'second"',
      'EMPTY=',
      '  SPACED  =  padded  ',
    ].join('\r\n');
    expect(parseDotenv(text)).toEqual({
      PLAIN: 'value',
      EXPORTED: 'yes',
      HASH_INSIDE: 'a#b',
      DOUBLE: 'line1\nline2 "quoted"',
      SINGLE: '$literal \\n',
      MULTI: 'first\nsecond',
      EMPTY: '',
      SPACED: 'padded',
    });
  });

  it.each([
    ['a line without =', 'GOOD=1\nthis-is-not-a-setting-hunter2\n', 2],
    ['a key starting with a digit', '1KEY=hunter2', 1],
    ['an unclosed double quote', 'A=1\nB="hunter2\nC=3', 2],
    ['an unclosed single quote', "B='hunter2", 1],
    ['text after a closing quote', 'B="x" hunter2', 1],
  ])('refuses %s, naming the file and line but never the content', (_what, text, line) => {
    let err: unknown;
    try {
      parseDotenv(text, '/app/.env');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.code).toBe('CONFIG_DOTENV_MALFORMED');
    expect(e.message).toContain(`/app/.env line ${line}`);
    expect(e.message).not.toContain('hunter2');
    expect(e.issues[0]?.source).toBe('/app/.env');
  });
});

describe('formatDotenv', () => {
  it('round-trips awkward values through parseDotenv, keys sorted', () => {
    const values = { B: 'with "quotes" and \\backslashes\\', A: 'multi\nline\r\nvalue', C: "it's # not a comment", D: '', E: '  spaces  ' };
    const text = formatDotenv(values);
    expect(text.split('\n')[0]).toMatch(/^A=/);
    expect(parseDotenv(text)).toEqual(values);
  });

  it('refuses a key .env cannot hold', () => {
    expect(() => formatDotenv({ 'not-valid': 'x' })).toThrow(/not a valid \.env key/);
  });
});
