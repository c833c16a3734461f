import { describe, expect, it } from 'vitest';
import { md5Hex, md5OfAttributes } from './md5.js';

// Vectors published by AWS (SellerName) and checked against real SQS answers by other SQS implementations.
describe('md5OfAttributes', () => {
  it('matches the AWS documentation example', () => {
    expect(md5OfAttributes({ SellerName: { DataType: 'String', StringValue: 'Example Store' } })).toBe('cd28f3b68aeee4b2eac9c66f2f694b58');
  });

  it('sorts by name and encodes Number like String', () => {
    expect(
      md5OfAttributes({
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      }),
    ).toBe('d21ae90c49061e927f57df5f5d72be1f');
    expect(md5OfAttributes({ timestamp: { DataType: 'Number', StringValue: '1493147359900' } })).toBe('235c5c510d26fb653d073faed50ae77c');
  });

  it('encodes binary values with transport type 2 and is omitted when empty', () => {
    const asString = md5OfAttributes({ b: { DataType: 'String', StringValue: 'AQID' } });
    const asBinary = md5OfAttributes({ b: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]).toString('base64') } });
    expect(asBinary).toMatch(/^[0-9a-f]{32}$/);
    expect(asBinary).not.toBe(asString);
    expect(md5OfAttributes({})).toBeUndefined();
    expect(md5OfAttributes(undefined)).toBeUndefined();
  });

  it('hashes bodies as UTF-8', () => {
    expect(md5Hex('🎉')).toBe(md5Hex(Buffer.from([0xf0, 0x9f, 0x8e, 0x89])));
  });
});
