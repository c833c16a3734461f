import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Cognito's SRP-6a (`USER_SRP_AUTH` / `PASSWORD_VERIFIER`), server side, exactly as amazon-cognito-identity-js
 * (`AuthenticationHelper.js`) and Amplify JS v6 compute the client side:
 *
 * - the 3072-bit group of RFC 5054 (N below), g = 2, SHA-256;
 * - numbers are hashed in the client's `padHex` form: the shortest even-length big-endian hex, with `00` in front
 *   when the top bit is set (Java's two's complement), NOT padded to the length of N;
 * - k = H(N | g), u = H(A | B), x = H(salt | H(poolName | userIdForSrp | ':' | password)), v = g^x;
 * - B = k·v + g^b, S = (A·v^u)^b, key = HKDF-SHA256(ikm S, salt u, info 'Caldera Derived Key', 16 bytes);
 * - signature = HMAC-SHA256(key, poolName | userIdForSrp | SECRET_BLOCK bytes | TIMESTAMP), base64.
 *
 * `poolName` is the part of the pool id after `_`.
 */

const N_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
  'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
  'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
  '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
  'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
  '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
  'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
  'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF';

export const N = BigInt(`0x${N_HEX}`);
export const g = 2n;

/** amazon-cognito-identity-js's `padHex` for a non-negative number. */
export function padHex(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2 !== 0) hex = `0${hex}`;
  return /^[89a-f]/i.test(hex) ? `00${hex}` : hex;
}

const sha256 = (...parts: (Buffer | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const fromHex = (hex: string) => Buffer.from(hex, 'hex');
const toBig = (buf: Buffer) => (buf.length === 0 ? 0n : BigInt(`0x${buf.toString('hex')}`));

export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

export const k = toBig(sha256(fromHex(padHex(N) + padHex(g))));

/** The part of a pool id after `_` (Cognito's "pool name" in SRP). */
export const srpPoolName = (userPoolId: string): string => userPoolId.split('_')[1] ?? '';

/** x = H(salt | H(poolName | userIdForSrp | ':' | password)); `salt` is the hex the challenge sends as SALT. */
export function passwordExponent(poolName: string, userIdForSrp: string, password: string, salt: string): bigint {
  const inner = sha256(Buffer.from(`${poolName}${userIdForSrp}:${password}`, 'utf8'));
  return toBig(sha256(fromHex(padHex(BigInt(`0x${salt}`))), inner));
}

/** What the pool stores for SRP: the salt and v = g^x (hex), and the pool name x was computed with. */
export interface SrpVerifier {
  salt: string;
  verifier: string;
  poolName: string;
}

export function makeVerifier(poolName: string, userIdForSrp: string, password: string, salt = randomBytes(16).toString('hex')): SrpVerifier {
  const v = modPow(g, passwordExponent(poolName, userIdForSrp, password, salt), N);
  return { salt, verifier: v.toString(16), poolName };
}

/** The server's half: a fresh private b and B = k·v + g^b mod N (never 0). */
export function serverEphemeral(v: bigint): { b: bigint; B: bigint } {
  for (;;) {
    const b = toBig(randomBytes(32));
    const B = (k * v + modPow(g, b, N)) % N;
    if (b !== 0n && B !== 0n) return { b, B };
  }
}

/** Parses SRP_A (hex); `undefined` when it is not hex or A mod N == 0 (which would make S guessable). */
export function parseA(hex: string): bigint | undefined {
  if (!/^[0-9a-fA-F]{1,1024}$/.test(hex)) return undefined;
  const A = BigInt(`0x${hex}`);
  return A % N === 0n ? undefined : A;
}

/** The 16-byte key both sides derive; `undefined` when u == 0 (the client refuses that too). */
export function sessionKey(A: bigint, B: bigint, b: bigint, v: bigint): Buffer | undefined {
  const u = toBig(sha256(fromHex(padHex(A) + padHex(B))));
  if (u === 0n) return undefined;
  const S = modPow((A * modPow(v, u, N)) % N, b, N);
  return Buffer.from(hkdfSync('sha256', fromHex(padHex(S)), fromHex(padHex(u)), Buffer.from('Caldera Derived Key', 'utf8'), 16));
}

/** PASSWORD_CLAIM_SIGNATURE as the client computes it (raw bytes; the wire form is base64). */
export function claimSignature(key: Buffer, poolName: string, userIdForSrp: string, secretBlock: Buffer, timestamp: string): Buffer {
  return createHmac('sha256', key).update(Buffer.from(poolName, 'utf8')).update(Buffer.from(userIdForSrp, 'utf8')).update(secretBlock).update(Buffer.from(timestamp, 'utf8')).digest();
}

export function signatureMatches(expected: Buffer, givenBase64: string): boolean {
  const given = Buffer.from(givenBase64, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** The clients' TIMESTAMP: `ddd MMM D HH:mm:ss UTC YYYY` in English, day of the month not zero-padded. */
export function formatTimestamp(d: Date): string {
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** Epoch ms of a TIMESTAMP, or `undefined` unless it is exactly in the clients' format (a real date, right weekday). */
export function parseTimestamp(s: string): number | undefined {
  const m = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) ([1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]) UTC ([0-9]{4})$/.exec(s);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2]!);
  if (month < 0) return undefined;
  const ms = Date.UTC(Number(m[7]), month, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  // Round trip: refuses 31 Feb, a wrong weekday, and anything written differently.
  return formatTimestamp(new Date(ms)) === s ? ms : undefined;
}

/**
 * Stand-ins for a name that has no account (or an account without a verifier): salt, verifier and USER_ID_FOR_SRP
 * derived from HMAC(serverKey, name), so every attempt for the name gets the same salt and id, as a real account
 * does, and B (fresh b each time) looks like any other. No one knows a password for v, so the proof fails. v is taken
 * straight from HKDF output mod N, not computed as g^x, so that making it costs no extra exponentiation: an
 * unknown name costs what a known one does.
 */
export function fakeVerifier(serverKey: Buffer, name: string): { salt: string; verifier: bigint; userIdForSrp: string } {
  const derive = (label: string, len: number) => Buffer.from(hkdfSync('sha256', serverKey, Buffer.from(name, 'utf8'), Buffer.from(`pier-srp-fake-${label}`), len));
  const id = derive('id', 16);
  id[6] = (id[6]! & 0x0f) | 0x40;
  id[8] = (id[8]! & 0x3f) | 0x80;
  const hex = id.toString('hex');
  return {
    salt: derive('salt', 16).toString('hex'),
    verifier: toBig(derive('verifier', 400)) % N,
    userIdForSrp: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
  };
}

/** What the server must remember between InitiateAuth and RespondToAuthChallenge, sealed into SECRET_BLOCK. */
export interface SrpState {
  /** Random id: the block is single-use. */
  id: string;
  /** The name as the client gave it at InitiateAuth (for the failure counter of an unknown name). */
  name: string;
  /**
   * The account's sub, or for a name without an account its stand-in USER_ID_FOR_SRP: always present and always as
   * long, so the block's length does not tell the two apart.
   */
  sub: string;
  /** 1 when `sub` is an account's. */
  known: 0 | 1;
  userIdForSrp: string;
  clientId: string;
  /** hex */
  A: string;
  B: string;
  b: string;
  /** The verifier the challenge was made with (hex), so a password changed meanwhile cannot mix two verifiers. */
  v: string;
  expiresAt: number;
}

const AAD = Buffer.from('pier-identity-srp-secret-block-v1');

/** SECRET_BLOCK: the state sealed with AES-256-GCM under a key that lives in this server's memory only. */
export class SecretBlocks {
  private readonly key = randomBytes(32);

  seal(state: SrpState): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(AAD);
    const body = Buffer.concat([cipher.update(JSON.stringify(state), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** The sealed state, or `undefined` when the block was not made by this server (forged, altered, truncated). */
  open(block: string): SrpState | undefined {
    const raw = Buffer.from(block, 'base64');
    if (raw.length < 29) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12)).setAAD(AAD);
      decipher.setAuthTag(raw.subarray(12, 28));
      const json = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      return JSON.parse(json) as SrpState;
    } catch {
      return undefined;
    }
  }
}
