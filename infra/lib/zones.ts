/**
 * Which Availability Zones the VPC spans. Zone *names* (us-east-1a) are mapped to physical zones per account; zone
 * *IDs* (use1-az1) are the same in every account. API Gateway's HTTP API VPC links (infra/lib/api.ts) work only in
 * some zone IDs, so `npm run deploy` asks EC2 which names this account has for the supported IDs
 * (infra/scripts/preflight.ts) and passes them to the app as the `zones` context. Offline `npm run synth` and the
 * tests use placeholder names (the settings' zones) that nothing checks.
 */
import type { AvailabilityZone } from '@aws-sdk/client-ec2';

/**
 * Zone IDs that support VPC links for HTTP APIs, by region: AWS's table "Availability by Region" in
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vpc-links.html (same table in
 * apigateway-vpc-links-v2.html). Only the rows read from that page are here; a region without a row stops the deploy
 * (add its row from the page). Checked 2026; AWS adds zones over time, so a missing ID costs a choice, not a failure.
 */
export const VPC_LINK_ZONES_SOURCE = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vpc-links.html';
export const VPC_LINK_ZONE_IDS: Readonly<Record<string, readonly string[]>> = {
  'us-east-1': ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az5', 'use1-az6'],
  'us-east-2': ['use2-az1', 'use2-az2', 'use2-az3'],
  'us-west-1': ['usw1-az1', 'usw1-az3'],
  'us-west-2': ['usw2-az1', 'usw2-az2', 'usw2-az3', 'usw2-az4'],
  'ap-east-1': ['ape1-az2', 'ape1-az3'],
  'ap-south-1': ['aps1-az1', 'aps1-az2', 'aps1-az3'],
  'ap-northeast-2': ['apne2-az1', 'apne2-az2', 'apne2-az3'],
  'ap-southeast-1': ['apse1-az1', 'apse1-az2', 'apse1-az3'],
};

/** The `cdk -c` key that carries the chosen zone names, comma-separated. */
export const ZONES_CONTEXT = 'zones';

export class ZoneSelectionError extends Error {
  readonly code = 'PIER_ZONES';
}

/** Offline placeholders: `<region>a` and `<region>b`, the names synth has always used. Not checked against any account. */
export const placeholderZones = (region: string, count = 2): string[] => Array.from({ length: count }, (_, i) => `${region}${'abcdef'[i]}`);

/**
 * Picks `count` zone names from a DescribeAvailabilityZones answer: zones (not Local or Wavelength Zones) that are
 * `available`, need no opt-in, and whose zone ID supports VPC links. Sorted by name, so the same account gets the
 * same zones on every deploy. Throws ZoneSelectionError, naming the region, when the region has no table row or too
 * few zones qualify.
 */
export function selectZones(region: string, zones: readonly AvailabilityZone[], count = 2): string[] {
  const supported = VPC_LINK_ZONE_IDS[region];
  if (!supported) {
    throw new ZoneSelectionError(
      `Region ${region} has no entry in Pier's table of zones that support API Gateway VPC links (infra/lib/zones.ts). ` +
        `Add its zone IDs from ${VPC_LINK_ZONES_SOURCE}, or deploy to one of: ${Object.keys(VPC_LINK_ZONE_IDS).join(', ')}.`,
    );
  }
  const usable = zones
    .filter((z) => z.RegionName === undefined || z.RegionName === region)
    .filter((z) => (z.ZoneType ?? 'availability-zone') === 'availability-zone')
    .filter((z) => z.State === 'available' && z.OptInStatus === 'opt-in-not-required')
    .filter((z) => z.ZoneId !== undefined && supported.includes(z.ZoneId) && z.ZoneName !== undefined);
  const names = usable.map((z) => z.ZoneName!).sort();
  if (names.length < count) {
    const seen = zones.map((z) => `${z.ZoneName}=${z.ZoneId}(${z.State})`).join(', ') || 'none';
    throw new ZoneSelectionError(
      `Region ${region}: ${count} available zones whose IDs support API Gateway VPC links are needed, found ${names.length}. ` +
        `Supported IDs: ${supported.join(', ')} (${VPC_LINK_ZONES_SOURCE}). This account's zones: ${seen}.`,
    );
  }
  return names.slice(0, count);
}

/** Parses the `zones` context value (`us-east-1b,us-east-1c`) and checks every name belongs to `region`. */
export function parseZonesContext(value: unknown, region: string): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const list = (Array.isArray(value) ? value.map(String) : String(value).split(',')).map((z) => z.trim()).filter(Boolean);
  const foreign = list.filter((z) => !z.startsWith(region));
  if (list.length < 2 || foreign.length) {
    throw new ZoneSelectionError(`context ${ZONES_CONTEXT}="${String(value)}" must list at least two zones of ${region}, comma-separated`);
  }
  return list;
}
