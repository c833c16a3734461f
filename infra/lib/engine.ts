/**
 * The Aurora PostgreSQL version Pier pins, and the check `npm run deploy` runs on RDS's DescribeDBEngineVersions answer
 * before CloudFormation starts (infra/scripts/preflight.ts): the version must be listed, `available`, and run
 * Aurora Serverless v2 down to the environment's minimum ACU (dev: 0, auto-pause).
 *
 * 17.9 is the newest 17.x that aws-cdk-lib 2.276 knows (rds.AuroraPostgresEngineVersion.VER_17_9). Whether a version
 * supports 0 ACU is reported per version by RDS as ServerlessV2FeaturesSupport.MinCapacity ("If the minimum capacity
 * is 0 ACUs, the engine version ... supports the automatic pause/resume feature",
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ServerlessV2FeaturesSupport.html); AWS's list of the
 * minimum versions is linked from
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html ("Aurora
 * Serverless v2 capacity"). The preflight trusts the API answer, not a copy of that list.
 */
import type { DBEngineVersion } from '@aws-sdk/client-rds';

export const AURORA_ENGINE = 'aurora-postgresql';
export const PINNED_ENGINE_VERSION = '17.9';
export type AuroraPostgresVersion = typeof PINNED_ENGINE_VERSION;

export class EngineVersionError extends Error {
  readonly code = 'PIER_ENGINE_VERSION';
}

export interface CapacityNeed {
  minAcu: number;
  maxAcu: number;
}

/** Why `v` cannot run the cluster Pier asks for, or undefined if it can. */
export function engineProblem(v: DBEngineVersion, need: CapacityNeed): string | undefined {
  if (v.Status !== 'available') return `status is ${v.Status ?? 'unknown'}, not available`;
  // Serverless v2 instances (db.serverless) belong to provisioned-mode clusters.
  if (v.SupportedEngineModes && !v.SupportedEngineModes.includes('provisioned')) return `engine modes ${v.SupportedEngineModes.join(', ')} lack provisioned`;
  const sv2 = v.ServerlessV2FeaturesSupport;
  if (!sv2 || sv2.MinCapacity === undefined) return 'no Aurora Serverless v2 support reported (ServerlessV2FeaturesSupport missing)';
  if (sv2.MinCapacity > need.minAcu) return `Serverless v2 minimum is ${sv2.MinCapacity} ACU, settings ask for ${need.minAcu}`;
  if (sv2.MaxCapacity !== undefined && sv2.MaxCapacity < need.maxAcu) return `Serverless v2 maximum is ${sv2.MaxCapacity} ACU, settings ask for ${need.maxAcu}`;
  return undefined;
}

/** Versions in `all` that would do, newest first (numeric compare of the dotted parts). */
export function usableVersions(all: readonly DBEngineVersion[], need: CapacityNeed): string[] {
  const key = (s: string) => s.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const cmp = (a: string, b: string) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
    return 0;
  };
  return [...new Set(all.filter((v) => v.EngineVersion && !engineProblem(v, need)).map((v) => v.EngineVersion!))].sort(cmp);
}

/**
 * Checks the pinned version against DescribeDBEngineVersions(Engine, EngineVersion=pinned). `alternatives` is the
 * answer for the whole engine, used only to name versions that would do. Throws EngineVersionError with both.
 */
export function checkEngineVersion(
  pinned: string,
  answer: readonly DBEngineVersion[],
  need: CapacityNeed,
  alternatives: readonly DBEngineVersion[] = [],
): void {
  const found = answer.find((v) => v.Engine === AURORA_ENGINE && v.EngineVersion === pinned);
  const problem = found ? engineProblem(found, need) : 'not listed by RDS in this region';
  if (!problem) return;
  const others = usableVersions(alternatives, need).slice(0, 8);
  throw new EngineVersionError(
    `Aurora PostgreSQL ${pinned} (infra/lib/engine.ts, PINNED_ENGINE_VERSION) cannot be deployed: ${problem}. ` +
      (others.length
        ? `Versions RDS lists here that are available and run Serverless v2 at ${need.minAcu}–${need.maxAcu} ACU: ${others.join(', ')}. `
        : 'RDS listed no version here that is available and runs Serverless v2 at that capacity. ') +
      'Pin one that aws-cdk-lib knows (rds.AuroraPostgresEngineVersion) and deploy again.',
  );
}
