import { errors } from './errors.js';
import type { MessageAttributeValue } from './md5.js';

/** Today's SQS limit (raised from 256 KiB in 2025): body plus attributes, and the sum of a batch. */
export const MAX_MESSAGE_BYTES = 1_048_576;
const MAX_BATCH_ENTRIES = 10;
export const ACCOUNT_ID = '000000000000';

// SQS's allowed characters: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. With the `u` flag a
// lone surrogate is its own code point, so it is caught too (it could not be encoded as UTF-8 anyway).
// eslint-disable-next-line no-control-regex -- tab, LF and CR are exactly the control characters SQS allows
const FORBIDDEN_CHAR = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * A request value as text, for an error message or an attribute value. `String(v)` is not safe on parsed JSON: an
 * object such as `{"toString": 1}` has no callable toString or valueOf, and String() throws a TypeError on it.
 */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** A request value as a number: numbers as they are, numeric strings converted, anything else NaN (never throws). */
export function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

/**
 * Canonical standard base64 (the alphabet with `+/`, `=` padding, unused bits zero), which is what the AWS JSON
 * protocol carries a blob as. `Buffer.from(s, 'base64')` never fails: it skips what it cannot read, so a value that
 * is not base64 would otherwise be stored and answered with an MD5 of other bytes than the sender meant.
 */
export function isBase64(value: string): boolean {
  return value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value) && Buffer.from(value, 'base64').toString('base64') === value;
}

export function checkCharacters(text: string, what: string): void {
  const bad = FORBIDDEN_CHAR.exec(text);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase();
    throw errors.invalidMessageContents(
      `Invalid binary character '#x${code}' was found in the ${what}, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
    );
  }
}

export function validQueueName(name: string, fifo: boolean): boolean {
  return fifo ? /^[A-Za-z0-9_-]{1,75}\.fifo$/.test(name) : /^[A-Za-z0-9_-]{1,80}$/.test(name);
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_\-.]{1,256}$/;

/** Validates message attributes and returns their size in bytes (name + type + value, as AWS counts them). */
export function checkMessageAttributes(attrs: unknown, what = 'message attribute'): number {
  if (attrs === undefined || attrs === null) return 0;
  if (typeof attrs !== 'object' || Array.isArray(attrs)) throw errors.invalidParameterValue('MessageAttributes must be a map.');
  const entries = Object.entries(attrs as Record<string, unknown>);
  if (entries.length > 10) throw errors.invalidParameterValue(`Number of ${what}s [${entries.length}] exceeds the allowed maximum [10].`);
  let size = 0;
  for (const [name, raw] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || /^(aws\.|amazon\.)/i.test(name)) {
      throw errors.invalidParameterValue(`Message (user) attribute name '${name}' is invalid.`);
    }
    const value = raw as Partial<MessageAttributeValue> | null;
    if (!value || typeof value !== 'object' || typeof value.DataType !== 'string' || !/^(String|Number|Binary)(\.[^\s]{1,256})?$/.test(value.DataType)) {
      throw errors.invalidParameterValue(`The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    if (value.DataType.startsWith('Binary')) {
      if (typeof value.BinaryValue !== 'string' || value.BinaryValue.length === 0) {
        throw errors.invalidParameterValue(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      }
      // BinaryValue is a "Base64-encoded binary data object" in the JSON protocol
      // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_MessageAttributeValue.html);
      // SQS validates attribute values with InvalidParameterValue, so a value that is not base64 is refused so too.
      if (!isBase64(value.BinaryValue)) {
        throw errors.invalidParameterValue(`The message attribute '${name}' with type 'Binary' must carry its value as base64 in 'BinaryValue'.`);
      }
      size += Buffer.from(value.BinaryValue, 'base64').length;
    } else {
      if (typeof value.StringValue !== 'string' || value.StringValue.length === 0) {
        throw errors.invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${value.DataType}'.`);
      }
      if (value.DataType.startsWith('Number') && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.StringValue)) {
        throw errors.invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      checkCharacters(value.StringValue, `value of message attribute '${name}'`);
      size += Buffer.byteLength(value.StringValue);
    }
  }
  return size;
}

/** Keeps only the wire fields of each attribute (drops StringListValues etc., which SQS does not support). */
export function cleanAttributes(attrs: unknown): Record<string, MessageAttributeValue> | undefined {
  if (!attrs || typeof attrs !== 'object') return undefined;
  // fromEntries defines own properties, so a name like `__proto__` stays an attribute.
  const out: Record<string, MessageAttributeValue> = Object.fromEntries(
    Object.entries(attrs as Record<string, MessageAttributeValue>).map(([name, v]) => [
      name,
      v.DataType.startsWith('Binary') ? { DataType: v.DataType, BinaryValue: v.BinaryValue! } : { DataType: v.DataType, StringValue: v.StringValue! },
    ]),
  );
  return Object.keys(out).length ? out : undefined;
}

export function checkBatchEntries<T extends { Id?: unknown }>(entries: unknown): T[] {
  if (!Array.isArray(entries) || entries.length === 0) throw errors.emptyBatch();
  if (entries.length > MAX_BATCH_ENTRIES) throw errors.tooManyEntries(entries.length);
  const seen = new Set<string>();
  for (const e of entries as T[]) {
    if (typeof e?.Id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(e.Id)) throw errors.invalidBatchEntryId();
    if (seen.has(e.Id)) throw errors.idsNotDistinct(e.Id);
    seen.add(e.Id);
  }
  return entries as T[];
}

export function intParam(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw errors.invalidParameterValue(`Value ${text(value)} for parameter ${name} is invalid. Reason: must be between ${min} and ${max}.`);
  }
  return n;
}

export function stringParam(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw errors.missingParameter(name);
  return value;
}
