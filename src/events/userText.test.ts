import { describe, expect, it } from 'vitest';
import { isUserText, userText } from './userText.js';

describe('userText: the text a user sends that travels on', () => {
  it.each([
    ['plain', 'a mug'],
    ['tab and line breaks', 'a\tb\nc\r\nd'],
    ['accents and CJK', 'café 茶'],
    ['an emoji (a surrogate pair)', 'mug ☕ 🧉'],
    ['the last BMP character SQS allows', '\uFFFD'],
    ['the first private-use character', '\uE000'],
    ['the top of Unicode', '\u{10FFFF}'],
    ['DEL and C1 controls (SQS allows them)', '\u007F\u0085'],
    ['empty', ''],
  ])('accepts %s', (_name, s) => {
    expect(isUserText(s)).toBe(true);
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a C0 control', 'a\u0001b'],
    ['escape', '\u001b[31m'],
    ['a lone high surrogate', 'a\uD800b'],
    ['a lone low surrogate', '\uDC00'],
    ['a reversed pair', '\uDE00\uD83D'],
    ['U+FFFE', '\uFFFE'],
    ['U+FFFF', 'x\uFFFF'],
  ])('refuses %s', (_name, s) => {
    expect(isUserText(s)).toBe(false);
  });

  it('refuses through zod with a message that names the rule, not the value', () => {
    const r = userText().safeParse('secret\u0000value');
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).not.toContain('secret');
    expect(r.error?.issues[0]?.message).toMatch(/control characters/);
  });
});
