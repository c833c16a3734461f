/**
 * Fixed one-second windows per key (the caller's address): enough to turn a password-guessing or code-requesting
 * loop into TooManyRequestsException, as Cognito's request quotas do, without tracking more than the current second.
 */
export class RateLimiter {
  private window = 0;
  private counts = new Map<string, number>();

  constructor(private readonly perSecond: number) {}

  /** True when `key` may make one more request this second. */
  take(key: string): boolean {
    const now = Math.floor(Date.now() / 1000);
    if (now !== this.window) {
      this.window = now;
      this.counts = new Map();
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n <= this.perSecond;
  }
}
