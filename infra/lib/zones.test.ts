import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AvailabilityZone } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './paths.js';
import { parseZonesContext, placeholderZones, selectZones, VPC_LINK_ZONE_IDS, ZoneSelectionError } from './zones.js';

/*
 * AWS is mocked: the answers are JSON fixtures in infra/fixtures/ in the shape of EC2 DescribeAvailabilityZones
 * output (hand-written from the documented shape; there is no AWS account here).
 */
const answer = (name: string): AvailabilityZone[] =>
  (JSON.parse(readFileSync(join(REPO_ROOT, 'infra', 'fixtures', name), 'utf8')) as { AvailabilityZones: AvailabilityZone[] }).AvailabilityZones;

describe('selectZones', () => {
  it('skips us-east-1a when this account maps it to use1-az3, which has no VPC links', () => {
    const zones = answer('ec2-describe-availability-zones-us-east-1-az3-first.json');
    expect(zones.find((z) => z.ZoneName === 'us-east-1a')?.ZoneId).toBe('use1-az3');
    expect(selectZones('us-east-1', zones)).toEqual(['us-east-1b', 'us-east-1c']);
    // Never a Local Zone, never use1-az3, whatever the count.
    const all = selectZones('us-east-1', zones, 4);
    expect(all).toEqual(['us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e']);
    expect(all.map((n) => zones.find((z) => z.ZoneName === n)!.ZoneId)).not.toContain('use1-az3');
  });

  it('keeps the placeholder names when the account maps them to supported IDs', () => {
    expect(selectZones('us-east-1', answer('ec2-describe-availability-zones-us-east-1-plain.json'))).toEqual(placeholderZones('us-east-1'));
  });

  it('refuses a region with too few usable zones, naming the region and what it saw', () => {
    expect(() => selectZones('us-west-1', answer('ec2-describe-availability-zones-us-west-1-impaired.json'))).toThrow(ZoneSelectionError);
    expect(() => selectZones('us-west-1', answer('ec2-describe-availability-zones-us-west-1-impaired.json'))).toThrow(/Region us-west-1: 2 available zones .* found 1.*us-west-1b=usw1-az3\(impaired\)/);
  });

  it('refuses a region without a table entry, naming it and the source', () => {
    expect(() => selectZones('eu-west-1', [])).toThrow(/Region eu-west-1 has no entry .*http-api-vpc-links\.html/);
  });

  it('covers the settings region and the documented us-east-1 row', () => {
    expect(VPC_LINK_ZONE_IDS['us-east-1']).toEqual(['use1-az1', 'use1-az2', 'use1-az4', 'use1-az5', 'use1-az6']);
  });
});

describe('parseZonesContext', () => {
  it('reads the comma-separated context and rejects zones of another region', () => {
    expect(parseZonesContext(undefined, 'us-east-1')).toBeUndefined();
    expect(parseZonesContext('us-east-1b,us-east-1c', 'us-east-1')).toEqual(['us-east-1b', 'us-east-1c']);
    expect(() => parseZonesContext('eu-west-1a,eu-west-1b', 'us-east-1')).toThrow(/two zones of us-east-1/);
    expect(() => parseZonesContext('us-east-1b', 'us-east-1')).toThrow(ZoneSelectionError);
  });
});
