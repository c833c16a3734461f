/**
 * Token verifications per second: src/auth's verifier (aws-jwt-verify + claims -> User; distinct tokens, JWKS
 * cached, cache of verified tokens off) against a bare `crypto.verify` (RSA-SHA256 over `header.payload`) of the
 * same tokens, measured in the same run; aws-jwt-verify alone is measured too, as the ceiling. They alternate in
 * short rounds so all see the same machine load; rates are per CPU-second of this process and the ratio is the
 * median of the per-round ratios (both robust when other work shares the cores).
 *
 *   npx tsx bench/auth.ts [--seconds 0.5] [--rounds 10] [--tokens 2000]
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { createTestIssuer } from '../test/support/tokens.js';

export interface AuthBenchResult {
  tokens: number;
  /** Bare `crypto.verify` per CPU-second (all rounds together). */
  bareOpsPerSec: number;
  /** `verifier.verify` per CPU-second, cache off (all rounds together). */
  verifierOpsPerSec: number;
  /** The same two per wall-clock second (lower when other processes share the cores). */
  bareWallOpsPerSec: number;
  verifierWallOpsPerSec: number;
  /** verifier / bare: the median of the per-round ratios. Target ≥ 0.70. */
  ratio: number;
  /** aws-jwt-verify's `CognitoJwtVerifier.verify` alone (no User, no Pier checks) / bare, median round: the ceiling. */
  libraryRatio: number;
  /** The per-round ratios. */
  roundRatios: number[];
  /** `verifier.verify` per CPU-second with the verified-token cache on, the same tokens again (informational). */
  cachedOpsPerSec: number;
}

export interface AuthBenchOptions {
  secondsPerRound?: number;
  rounds?: number;
  tokens?: number;
  print?: boolean;
}

interface Sample {
  ops: number;
  /** Wall time. */
  ms: number;
  /** This process's CPU time (user + system): unlike wall time, barely moved by other work on the machine. */
  cpuMs: number;
}

/** Runs `step(i)` over and over for about `seconds`. */
async function measure(seconds: number, step: (i: number) => unknown, offset = 0): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 50; k++, n++) await step(offset + n);
  }
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { ops: n, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const sum = (samples: Sample[], k: keyof Sample) => samples.reduce((a, s) => a + s[k], 0);
/** Operations per CPU-second. */
const rate = (samples: Sample[]) => sum(samples, 'ops') / (sum(samples, 'cpuMs') / 1000);
const wallRate = (samples: Sample[]) => sum(samples, 'ops') / (sum(samples, 'ms') / 1000);
const perSec = (s: Sample) => s.ops / (s.cpuMs / 1000);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export async function run(opts: AuthBenchOptions = {}): Promise<AuthBenchResult> {
  const seconds = opts.secondsPerRound ?? 0.5;
  const rounds = opts.rounds ?? 10;
  const count = opts.tokens ?? 2000;
  const print = opts.print ?? true;

  const issuer = await createTestIssuer({ userPoolId: 'us-east-1_BenchPool', clientId: 'bench-client' });
  const tokens = Array.from({ length: count }, (_, i) =>
    issuer.accessToken({ sub: `user-${i}`, username: `user${i}`, groups: ['staff'], scope: 'openid email pier/orders.read pier/orders.write' }),
  );
  const jwk = issuer.jwks.keys[0];
  if (!jwk) throw new Error('issuer has no key');
  const publicKey: KeyObject = createPublicKey({ key: jwk, format: 'jwk' });
  // The baseline: the least any verifier must do with a token string: split off the signature, decode it and
  // check it (no parsing, no claims).
  const bareVerify = (token: string): boolean => {
    const dot = token.lastIndexOf('.');
    return cryptoVerify('RSA-SHA256', Buffer.from(token.slice(0, dot)), publicKey, Buffer.from(token.slice(dot + 1), 'base64url'));
  };

  const verifier = issuer.verifier();
  const library = CognitoJwtVerifier.create({ userPoolId: issuer.userPoolId, clientId: issuer.clientId, tokenUse: 'access' });
  library.cacheJwks(issuer.jwks);
  const cached = issuer.verifier({ cache: { maxEntries: count } });

  // Correctness first: every token verifies both ways (a fast wrong answer is no benchmark).
  for (let i = 0; i < count; i++) {
    if (!bareVerify(tokens[i] as string)) throw new Error(`baseline refused token ${i}`);
    const user = await verifier.verify(tokens[i] as string, { scopes: ['pier/orders.read'] });
    if (user.sub !== `user-${i}`) throw new Error(`verifier mapped token ${i} wrongly`);
    await cached.verify(tokens[i] as string);
  }

  const bareStep = (i: number) => {
    if (!bareVerify(tokens[i % count] as string)) throw new Error('baseline refused a token');
  };
  const libStep = (i: number) => verifier.verify(tokens[i % count] as string, { scopes: ['pier/orders.read'] });
  const aloneStep = (i: number) => library.verify(tokens[i % count] as string);
  const steps = [bareStep, libStep, aloneStep];
  for (const step of steps) await measure(seconds / 2, step); // warm-up: every path JIT-compiled before counting

  const samples: Sample[][] = [[], [], []];
  let next = 0;
  for (let r = 0; r < rounds; r++) {
    // Rotate who goes first, so none always follows another; all walk the same tokens.
    let most = 0;
    for (let k = 0; k < steps.length; k++) {
      const which = (r + k) % steps.length;
      const sample = await measure(seconds, steps[which] as typeof bareStep, next);
      samples[which]?.push(sample);
      most = Math.max(most, sample.ops);
    }
    next += most;
  }
  const [bare, lib, alone] = samples as [Sample[], Sample[], Sample[]];
  const cachedOpsPerSec = perSec(await measure(seconds, (i) => cached.verify(tokens[i % count] as string, { scopes: ['pier/orders.read'] })));

  const roundRatios = lib.map((l, r) => perSec(l) / perSec(bare[r] as Sample));
  const libraryRatio = median(alone.map((l, r) => perSec(l) / perSec(bare[r] as Sample)));
  const bareOpsPerSec = rate(bare);
  const verifierOpsPerSec = rate(lib);
  const result: AuthBenchResult = {
    tokens: count,
    bareOpsPerSec,
    verifierOpsPerSec,
    bareWallOpsPerSec: wallRate(bare),
    verifierWallOpsPerSec: wallRate(lib),
    ratio: median(roundRatios),
    libraryRatio,
    roundRatios,
    cachedOpsPerSec,
  };
  if (print) {
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10);
    process.stdout.write(
      [
        `auth: ${count} distinct RS256 access tokens (2048-bit key), ${rounds} alternating rounds of ${seconds}s each`,
        `  (rates per CPU-second of this process; per wall-clock second in brackets)`,
        `  bare crypto.verify (RSA-SHA256)       ${fmt(bareOpsPerSec)} /s   (${Math.round(result.bareWallOpsPerSec)} /s wall)`,
        `  src/auth verifier (cache off)         ${fmt(verifierOpsPerSec)} /s   (${Math.round(result.verifierWallOpsPerSec)} /s wall)`,
        `  ratio verifier / bare (median round)  ${(result.ratio * 100).toFixed(1).padStart(9)} %   (target >= 70 %; rounds: ${roundRatios.map((x) => (x * 100).toFixed(0)).join(' ')})`,
        `  aws-jwt-verify alone / bare           ${(libraryRatio * 100).toFixed(1).padStart(9)} %   (CognitoJwtVerifier.verify, no User: the ceiling)`,
        `  src/auth verifier (cache on, hits)    ${fmt(cachedOpsPerSec)} /s   (${(cachedOpsPerSec / bareOpsPerSec).toFixed(1)}x bare)`,
        '',
      ].join('\n'),
    );
  }
  return result;
}

const arg = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : undefined;
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run({ secondsPerRound: arg('seconds'), rounds: arg('rounds'), tokens: arg('tokens') });
}
