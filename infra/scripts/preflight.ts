/**
 * `npm run deploy`'s checks against the account before CloudFormation starts (not run by `npm run synth`, which stays
 * offline):
 *  1. EC2 DescribeAvailabilityZones: pick the zone names whose zone IDs support API Gateway VPC links
 *     (infra/lib/zones.ts). They reach the app as `-c zones=...`.
 *  2. RDS DescribeDBEngineVersions: the pinned Aurora PostgreSQL version exists here, is `available` and runs
 *     Serverless v2 at the environment's capacity (infra/lib/engine.ts).
 * IAM: ec2:DescribeAvailabilityZones and rds:DescribeDBEngineVersions (both read-only, Resource "*").
 */
import { DescribeAvailabilityZonesCommand, EC2Client, type AvailabilityZone } from '@aws-sdk/client-ec2';
import { DescribeDBEngineVersionsCommand, RDSClient, type DBEngineVersion } from '@aws-sdk/client-rds';
import { AURORA_ENGINE, checkEngineVersion, engineProblem } from '../lib/engine.js';
import { selectZones } from '../lib/zones.js';
import type { EnvSettings } from '../settings.js';

/** What the preflight asks AWS; tests give recorded answers instead. */
export interface PreflightAws {
  describeAvailabilityZones(): Promise<AvailabilityZone[]>;
  /** With `version`: that version only; without: every version of the engine. */
  describeEngineVersions(version?: string): Promise<DBEngineVersion[]>;
}

/** The minimal client surface used (EC2Client/RDSClient satisfy it; tests pass fakes that check the request). */
export interface Sender {
  send(command: object): Promise<unknown>;
}

export function sdkAws(clients: { ec2: Sender; rds: Sender }): PreflightAws {
  return {
    async describeAvailabilityZones() {
      const out = (await clients.ec2.send(
        new DescribeAvailabilityZonesCommand({
          Filters: [
            { Name: 'state', Values: ['available'] },
            { Name: 'opt-in-status', Values: ['opt-in-not-required'] },
            { Name: 'zone-type', Values: ['availability-zone'] },
          ],
        }),
      )) as { AvailabilityZones?: AvailabilityZone[] };
      return out.AvailabilityZones ?? [];
    },
    async describeEngineVersions(version) {
      const all: DBEngineVersion[] = [];
      let Marker: string | undefined;
      do {
        const out = (await clients.rds.send(
          new DescribeDBEngineVersionsCommand({ Engine: AURORA_ENGINE, ...(version ? { EngineVersion: version } : {}), MaxRecords: 100, Marker }),
        )) as { DBEngineVersions?: DBEngineVersion[]; Marker?: string };
        all.push(...(out.DBEngineVersions ?? []));
        Marker = out.Marker;
      } while (Marker);
      return all;
    },
  };
}

export function defaultAws(region: string): PreflightAws & { destroy(): void } {
  const ec2 = new EC2Client({ region });
  const rds = new RDSClient({ region });
  return Object.assign(sdkAws({ ec2, rds }), { destroy: () => (ec2.destroy(), rds.destroy()) });
}

export interface PreflightResult {
  region: string;
  zones: string[];
  engineVersion: string;
}

/** Runs both checks; throws ZoneSelectionError / EngineVersionError (clear messages) or the SDK's error. */
export async function preflight(s: EnvSettings, region: string, aws: PreflightAws): Promise<PreflightResult> {
  const zones = selectZones(region, await aws.describeAvailabilityZones(), s.availabilityZones.length);
  const need = { minAcu: s.data.minAcu, maxAcu: s.data.maxAcu };
  const pinned = await aws.describeEngineVersions(s.data.engineVersion);
  const ok = pinned.find((v) => v.EngineVersion === s.data.engineVersion);
  // Only a refusal needs the engine's full list (to name versions that would do).
  const alternatives = ok && !engineProblem(ok, need) ? [] : await aws.describeEngineVersions();
  checkEngineVersion(s.data.engineVersion, pinned, need, alternatives);
  return { region, zones, engineVersion: s.data.engineVersion };
}

/** The region deploy targets: AWS_REGION / AWS_DEFAULT_REGION, else the profile's (SDK config), else the settings'. */
export async function resolveRegion(env: NodeJS.ProcessEnv, fallback: string): Promise<string> {
  const fromEnv = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  const probe = new EC2Client({});
  try {
    return (await probe.config.region()) || fallback;
  } catch {
    return fallback;
  } finally {
    probe.destroy();
  }
}
