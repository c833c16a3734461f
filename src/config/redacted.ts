import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value that refuses to be printed. `JSON.stringify`, `util.inspect`, template strings and pino all
 * see `[redacted]`; only an explicit `reveal()` hands out the value, so a leak has to be written on purpose.
 */
export class Redacted<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
    Object.freeze(this);
  }

  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

export function isRedacted(value: unknown): value is Redacted<unknown> {
  return value instanceof Redacted;
}
