import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/fsAtomic.js';
import type { SrpVerifier } from './srp.js';

export type UserStatus = 'UNCONFIRMED' | 'CONFIRMED' | 'FORCE_CHANGE_PASSWORD' | 'RESET_REQUIRED';

/** A one-time code (sign-up confirmation, forgotten password); only its hash is kept. */
export interface CodeRecord {
  hash: string;
  expiresAt: number;
  attempts: number;
}

export interface UserRecord {
  /** Cognito `sub`; with e-mail as the sign-in name, Cognito also uses it as the username. */
  sub: string;
  username: string;
  email: string;
  emailVerified: boolean;
  /** Other standard attributes (name, given_name...), stored as Cognito returns them: strings. */
  attributes: Record<string, string>;
  passwordHash: string;
  /**
   * SRP salt and verifier (`USER_SRP_AUTH`), made whenever the password is set. Absent in state files written before
   * SRP was supported (and for users with no password yet): such users get one on their next password sign-in.
   */
  srp?: SrpVerifier;
  status: UserStatus;
  enabled: boolean;
  groups: string[];
  createdAt: number;
  updatedAt: number;
  failedAttempts: number;
  lockedUntil: number;
  codes: { signup?: CodeRecord; forgot?: CodeRecord };
}

export interface RefreshRecord {
  sub: string;
  clientId: string;
  scope: string;
  originJti: string;
  eventId: string;
  authTime: number;
  expiresAt: number;
}

export interface GroupRecord {
  description?: string;
  precedence?: number;
  createdAt: number;
}

export interface IdentityState {
  version: 1;
  users: Record<string, UserRecord>;
  groups: Record<string, GroupRecord>;
  /** By SHA-256 of the token: the file never holds a usable refresh token. */
  refreshTokens: Record<string, RefreshRecord>;
  /** `origin_jti`s whose tokens were revoked (RevokeToken), kept until those tokens would have expired anyway. */
  revokedOrigins: Record<string, number>;
  /**
   * When this pool (this data folder's state) was created, epoch ms: DescribeUserPool's CreationDate. Files written
   * before it was kept get the oldest user's creation time, or the time they were opened.
   */
  createdAt: number;
}

const STATE_FILE = 'state.json';

/**
 * Maps without a prototype: a name from a request (`constructor`, `__proto__`) can only ever find an entry that was
 * put there, never something inherited from Object.prototype.
 */
const dict = <T>(from: Record<string, T> = {}): Record<string, T> => Object.assign(Object.create(null) as Record<string, T>, from);

const empty = (): IdentityState => ({ version: 1, users: dict(), groups: dict(), refreshTokens: dict(), revokedOrigins: dict(), createdAt: Date.now() });

/**
 * The pool's users and long-lived state as one JSON document in the data folder (mode 0600), rewritten atomically
 * (temp file + rename) after every change; writes are serialised so the file is always one complete state.
 */
export class StateFile {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    readonly state: IdentityState,
    readonly fresh: boolean,
  ) {}

  static async open(dir: string): Promise<StateFile> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, STATE_FILE);
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as IdentityState;
      if (parsed.version !== 1 || typeof parsed.users !== 'object') throw new Error(`${path}: not an identity state file (version ${String(parsed.version)})`);
      await chmod(path, 0o600);
      const users = dict(parsed.users);
      const createdAt = typeof parsed.createdAt === 'number' ? parsed.createdAt : Object.values(users).reduce((min, u) => Math.min(min, u.createdAt), Date.now());
      const state: IdentityState = { version: 1, users, groups: dict(parsed.groups), refreshTokens: dict(parsed.refreshTokens), revokedOrigins: dict(parsed.revokedOrigins), createdAt };
      return new StateFile(path, state, false);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const file = new StateFile(path, empty(), true);
      await file.save();
      return file;
    }
  }

  /** Resolves once the state as it is now is on disk. */
  save(): Promise<void> {
    const next = this.writing.then(() => writeFileAtomic(this.path, JSON.stringify(this.state, null, 1) + '\n'));
    // A failed write must not wedge every later one; the caller of this save still sees the error.
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Drops expired refresh tokens and revocation marks so the file does not grow without end. */
  prune(now: number): void {
    for (const [hash, rec] of Object.entries(this.state.refreshTokens)) if (rec.expiresAt <= now) delete this.state.refreshTokens[hash];
    for (const [jti, until] of Object.entries(this.state.revokedOrigins)) if (until <= now) delete this.state.revokedOrigins[jti];
  }
}
