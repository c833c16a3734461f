import { createHash } from 'node:crypto';

/** A message attribute as the JSON protocol carries it (BinaryValue is base64 on the wire). */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export const md5Hex = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

/**
 * MD5OfMessageAttributes as AWS computes it (and as SDKs that check it recompute it): for each attribute, sorted
 * by name: 4-byte big-endian length + UTF-8 name, length + data type, one transport byte (1 string/number,
 * 2 binary), length + value bytes. Undefined when there are no attributes, as AWS omits the field then.
 */
export function md5OfAttributes(attrs: Record<string, MessageAttributeValue> | undefined): string | undefined {
  if (!attrs) return undefined;
  const names = Object.keys(attrs).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  const withLength = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  };
  for (const name of names) {
    const attr = attrs[name]!;
    withLength(Buffer.from(name, 'utf8'));
    withLength(Buffer.from(attr.DataType, 'utf8'));
    if (attr.DataType.startsWith('Binary')) {
      parts.push(Buffer.from([2]));
      withLength(Buffer.from(attr.BinaryValue ?? '', 'base64'));
    } else {
      parts.push(Buffer.from([1]));
      withLength(Buffer.from(attr.StringValue ?? '', 'utf8'));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
