import type { User } from './types.js';

interface Entry {
  user: User;
  expiresAtMs: number;
}

/**
 * A bounded LRU of verified tokens, keyed by the whole token string, each entry dropped at the token's `exp`.
 * Only successes are stored, so a refused token is verified (and refused) again every time.
 */
export class VerifiedTokenCache {
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the least recently used.
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  get(token: string): User | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (entry.expiresAtMs <= this.now()) return undefined;
    this.entries.set(token, entry);
    return entry.user;
  }

  set(token: string, user: User, expSeconds: number): void {
    const expiresAtMs = expSeconds * 1000;
    if (expiresAtMs <= this.now()) return;
    this.entries.delete(token);
    this.entries.set(token, { user, expiresAtMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
