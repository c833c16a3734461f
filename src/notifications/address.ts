import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Why a webhook target was refused; stable codes for the API and the delivery record. */
export type TargetRefusal = 'WEBHOOK_URL_INVALID' | 'WEBHOOK_HOST_UNRESOLVED' | 'WEBHOOK_ADDRESS_REFUSED';

export class WebhookTargetError extends Error {
  override readonly name = 'WebhookTargetError';
  constructor(
    readonly code: TargetRefusal,
    message: string,
  ) {
    super(message);
  }
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Everything a webhook must never reach besides loopback: private, link-local (cloud metadata), and special ranges. */
const refused = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 instance metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast
] as const) {
  refused.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['fe80::', 10], // link-local
  ['fc00::', 7], // unique local
  ['fec0::', 10], // old site-local
  ['ff00::', 8], // multicast
  ['2001:db8::', 32], // documentation
  ['100::', 64], // discard
] as const) {
  refused.addSubnet(net, bits, 'ipv6');
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1] as string, 16);
    const lo = parseInt(hex[2] as string, 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return undefined;
}

/** Whether one resolved address may be called. */
export function addressAllowed(address: string, opts: { allowLoopback: boolean }): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const v4 = family === 6 ? embeddedIpv4(address) : address;
  const [addr, type] = v4 ? [v4, 'ipv4' as const] : [address, 'ipv6' as const];
  if (loopback.check(addr, type)) return opts.allowLoopback;
  return !refused.check(addr, type);
}

export interface ResolvedTarget {
  url: URL;
  /** The vetted address the request must connect to (pinned, so a second DNS answer cannot differ). */
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a webhook URL's host and checks EVERY address it resolves to (IPv4 and IPv6): one private answer is
 * enough to refuse, since a client may pick any of them. Returns the first address to connect to.
 */
export async function resolveWebhookTarget(raw: string, opts: { allowLoopback: boolean; allowHttp: boolean }): Promise<ResolvedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetError('WEBHOOK_URL_INVALID', 'the webhook URL is not a URL');
  }
  if (url.protocol !== 'https:' && !(opts.allowHttp && url.protocol === 'http:')) {
    throw new WebhookTargetError('WEBHOOK_URL_INVALID', opts.allowHttp ? 'the webhook URL must be http or https' : 'the webhook URL must be https');
  }
  if (url.username || url.password) throw new WebhookTargetError('WEBHOOK_URL_INVALID', 'the webhook URL must not carry credentials');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new WebhookTargetError('WEBHOOK_HOST_UNRESOLVED', 'the webhook host does not resolve');
    }
  }
  if (addresses.length === 0) throw new WebhookTargetError('WEBHOOK_HOST_UNRESOLVED', 'the webhook host does not resolve');
  for (const a of addresses) {
    if (!addressAllowed(a.address, opts)) {
      throw new WebhookTargetError('WEBHOOK_ADDRESS_REFUSED', 'the webhook host resolves to a private, loopback or link-local address');
    }
  }
  const first = addresses[0] as { address: string; family: number };
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
