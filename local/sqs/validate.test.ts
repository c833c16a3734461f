import { describe, expect, it } from 'vitest';
import { SqsError } from './errors.js';
import { checkBatchEntries, checkCharacters, checkMessageAttributes } from './validate.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as SqsError).code;
  }
  return 'ok';
};

describe('checkCharacters', () => {
  it('accepts every character SQS allows, emoji included', () => {
    for (const s of ['\t\n\r', ' ~', '\uD7FF', '\uE000\uFFFD', '🎉👩‍💻', '\u{10000}\u{10FFFF}', 'ß日本']) expect(codeOf(() => checkCharacters(s, 'body'))).toBe('ok');
  });

  it('refuses control characters, U+FFFE/FFFF and lone surrogates, naming the character', () => {
    for (const s of ['\u0000', '\u0008', '\u001F', '\uFFFE', '\uFFFF', '\uD800', 'a\uDC00b']) expect(codeOf(() => checkCharacters(s, 'body'))).toBe('InvalidMessageContents');
    expect(() => checkCharacters('ok\u0001', 'message body')).toThrow(/#x1'/);
  });
});

describe('checkMessageAttributes', () => {
  it('counts name + type + value bytes', () => {
    expect(checkMessageAttributes({ ab: { DataType: 'String', StringValue: '日' } })).toBe(2 + 6 + 3);
    expect(checkMessageAttributes({ b: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3, 4]).toString('base64') } })).toBe(1 + 6 + 4);
  });

  it('refuses bad names, types, numbers and more than 10 attributes', () => {
    const bad = [
      { 'AWS.x': { DataType: 'String', StringValue: 'v' } },
      { 'a..b': { DataType: 'String', StringValue: 'v' } },
      { a: { DataType: 'Text', StringValue: 'v' } },
      { a: { DataType: 'Number', StringValue: 'twelve' } },
      { a: { DataType: 'String', StringValue: '' } },
      Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }])),
    ];
    for (const attrs of bad) expect(codeOf(() => checkMessageAttributes(attrs))).toBe('InvalidParameterValue');
    expect(codeOf(() => checkMessageAttributes({ n: { DataType: 'Number.int', StringValue: '-1.5e3' } }))).toBe('ok');
  });
});

describe('checkBatchEntries', () => {
  it('enforces the batch rules in AWS order', () => {
    expect(codeOf(() => checkBatchEntries([]))).toBe('EmptyBatchRequest');
    expect(codeOf(() => checkBatchEntries(Array.from({ length: 11 }, (_, i) => ({ Id: `${i}` }))))).toBe('TooManyEntriesInBatchRequest');
    expect(codeOf(() => checkBatchEntries([{ Id: 'a' }, { Id: 'a' }]))).toBe('BatchEntryIdsNotDistinct');
    expect(codeOf(() => checkBatchEntries([{ Id: 'x'.repeat(81) }]))).toBe('InvalidBatchEntryId');
    expect(codeOf(() => checkBatchEntries([{ Id: 'ok_1-2' }]))).toBe('ok');
  });
});
