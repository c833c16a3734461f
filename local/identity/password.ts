import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { isWellFormed } from '../awsJson.js';
import { CognitoError } from './errors.js';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

// Cognito's symbol set for its password policy.
const SYMBOLS = `^$*.[]{}()?"!@#%&/\\,><':;|_~\`=+- `;

/**
 * The pool's password policy, in the shape of Cognito's `PasswordPolicyType` (Cognito's default): DescribeUserPool
 * reports this object and `checkPasswordPolicy` enforces it, so the two cannot drift apart.
 */
export const PASSWORD_POLICY: Readonly<{ MinimumLength: number; RequireUppercase: boolean; RequireLowercase: boolean; RequireNumbers: boolean; RequireSymbols: boolean }> = {
  MinimumLength: 8,
  RequireUppercase: true,
  RequireLowercase: true,
  RequireNumbers: true,
  RequireSymbols: true,
};

/** Enforces PASSWORD_POLICY: at least 8 characters with upper case, lower case, a digit and a symbol. */
export function checkPasswordPolicy(password: string): void {
  const fail = (why: string) => new CognitoError('InvalidPasswordException', `Password did not conform with policy: ${why}`);
  // A lone surrogate is no character: scrypt would hash it as U+FFFD, so two different passwords would match.
  if (!isWellFormed(password)) throw new CognitoError('InvalidParameterException', "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must be a well-formed Unicode string");
  if (password.length < PASSWORD_POLICY.MinimumLength) throw fail('Password not long enough');
  if (password.length > 256) throw new CognitoError('InvalidParameterException', "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 256");
  if (/^\s|\s$/.test(password)) throw new CognitoError('InvalidParameterException', 'Password cannot begin or end with a space.');
  if (PASSWORD_POLICY.RequireUppercase && !/[A-Z]/.test(password)) throw fail('Password must have uppercase characters');
  if (PASSWORD_POLICY.RequireLowercase && !/[a-z]/.test(password)) throw fail('Password must have lowercase characters');
  if (PASSWORD_POLICY.RequireNumbers && !/[0-9]/.test(password)) throw fail('Password must have numeric characters');
  if (PASSWORD_POLICY.RequireSymbols && ![...password].some((c) => SYMBOLS.includes(c))) throw fail('Password must have symbol characters');
}

const N = 16384;
const R = 8;
const P = 1;
const LEN = 32;

/** `scrypt$N$r$p$salt$hash`: the parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, LEN, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return timingSafeEqual(actual, expected);
}

/** A password that meets the policy, for generated accounts (demo user, `npm run users -- add` without --password). */
export function generatePassword(): string {
  const body = randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
  return `${body}aZ7!${randomInt(10)}`;
}

/** A six-digit code, as Cognito sends by e-mail. */
export const generateCode = (): string => String(randomInt(0, 1_000_000)).padStart(6, '0');
