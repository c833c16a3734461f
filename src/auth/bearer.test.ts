import { describe, expect, it } from 'vitest';
import { bearerToken } from './bearer.js';

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['BEARER   abc.def.ghi  ', 'abc.def.ghi'],
    ['abc.def.ghi', 'abc.def.ghi'],
    ['Bearer ', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (header, want) => {
    expect(bearerToken(header)).toBe(want);
  });

  it('takes the first of repeated headers', () => {
    expect(bearerToken(['Bearer one', 'Bearer two'])).toBe('one');
  });
});
