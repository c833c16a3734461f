import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

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

// --- parsing: every textual form to bytes ------------------------------------------------------------------------

/** Dotted-quad IPv4: four decimal octets, no leading zeros (inet_aton would read `010` as octal 8). */
function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    out[i] = Number(part);
  }
  return out;
}

/** Hex groups (and a dotted IPv4 as the very last piece, when `dottedLast`) as bytes. */
function piecesToBytes(pieces: readonly string[], dottedLast: boolean): number[] | undefined {
  const out: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as string;
    if (/^[0-9a-f]{1,4}$/i.test(piece)) {
      const v = parseInt(piece, 16);
      out.push(v >> 8, v & 255);
      continue;
    }
    const v4 = dottedLast && i === pieces.length - 1 ? parseIpv4(piece) : undefined;
    if (!v4) return undefined;
    out.push(...v4);
  }
  return out;
}

/**
 * Any textual IPv6 address (RFC 4291 §2.2: full or `::`-compressed, a trailing dotted IPv4, leading zeros, any case)
 * as its 16 bytes; anything else, including a zone id (`fe80::1%eth0`, whose meaning depends on this host), is
 * undefined.
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  // The longest form: 6 groups of 4 hex digits and a dotted IPv4 (45 characters).
  if (text.length > 45 || text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  let bytes: number[] | undefined;
  if (halves.length === 1) {
    bytes = piecesToBytes(text.split(':'), true);
    if (bytes?.length !== 16) return undefined;
  } else {
    const [head, tail] = halves as [string, string];
    const h = head ? piecesToBytes(head.split(':'), false) : [];
    const t = tail ? piecesToBytes(tail.split(':'), true) : [];
    // `::` stands for at least one group of zeros.
    if (!h || !t || h.length + t.length > 14) return undefined;
    bytes = [...h, ...new Array<number>(16 - h.length - t.length).fill(0), ...t];
  }
  return Uint8Array.from(bytes);
}

/** Whether the first `bits` bits of `addr` equal those of `net` (same length). */
function inPrefix(addr: Uint8Array, [net, bits]: Net): boolean {
  for (let i = 0; i < bits; i += 8) {
    const mask = (0xff << (8 - Math.min(8, bits - i))) & 0xff;
    if (((addr[i / 8] as number) & mask) !== ((net[i / 8] as number) & mask)) return false;
  }
  return true;
}

type Net = readonly [Uint8Array, number];
function nets(parse: (text: string) => Uint8Array | undefined, cidrs: readonly string[]): Net[] {
  return cidrs.map((cidr) => {
    const [text, bits] = cidr.split('/') as [string, string];
    const bytes = parse(text);
    if (!bytes) throw new Error(`bad network ${cidr}`);
    return [bytes, Number(bits)] as const;
  });
}

// --- the registries -----------------------------------------------------------------------------------------------

/**
 * Every block of the IANA IPv4 Special-Purpose Address Registry
 * (https://www.iana.org/assignments/iana-ipv4-special-registry/) that is not globally reachable, plus 224.0.0.0/4
 * multicast (IANA IPv4 Multicast Address Space). 192.0.0.0/24 is refused whole (its two globally reachable /32s
 * are protocol anycast, never a webhook receiver), and so are 192.31.196.0/24 and 192.175.48.0/24 (AS112) and
 * 192.52.193.0/24 (AMT), which the registry calls globally reachable but serve protocol infrastructure only.
 * 127.0.0.0/8 (loopback) is not here: it is judged apart (allowed only with loopback allowed).
 */
const IPV4_REFUSED = nets(parseIpv4, [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // private
  '100.64.0.0/10', // shared address space (carrier-grade NAT)
  '169.254.0.0/16', // link-local, incl. 169.254.169.254 instance metadata
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation (TEST-NET-1)
  '192.31.196.0/24', // AS112-v4
  '192.52.193.0/24', // AMT
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16', // private
  '192.175.48.0/24', // direct delegation AS112
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation (TEST-NET-2)
  '203.0.113.0/24', // documentation (TEST-NET-3)
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved
  '255.255.255.255/32', // limited broadcast (inside 240/4; listed as the registry does)
]);
const IPV4_LOOPBACK = nets(parseIpv4, ['127.0.0.0/8']);

/**
 * Every block of the IANA IPv6 Special-Purpose Address Registry
 * (https://www.iana.org/assignments/iana-ipv6-special-registry/) that is not globally reachable, plus fec0::/10
 * (deprecated site-local, RFC 3879) and ff00::/8 (multicast). 2001::/23 is refused whole, its globally reachable
 * sub-blocks (TURN, AMT, AS112, ORCHIDv2...) included: none is a webhook receiver. Besides these, anything outside
 * 2000::/3 (the global unicast space of the IANA IPv6 Address Space registry) is refused, except the three forms
 * judged by the IPv4 address they carry (see classifyIpv6). ::1 is judged apart (loopback).
 */
const IPV6_REFUSED = nets(parseIpv6, [
  '::/128', // unspecified
  '64:ff9b:1::/48', // IPv4/IPv6 translation, local use (RFC 8215)
  '100::/64', // discard-only
  '100:0:0:1::/64', // dummy prefix (RFC 9780)
  '2001::/23', // IETF protocol assignments, incl. Teredo 2001::/32 and benchmarking 2001:2::/48
  '2001:db8::/32', // documentation
  '2620:4f:8000::/48', // direct delegation AS112
  '3fff::/20', // documentation
  '5f00::/16', // SRv6 SIDs
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'fec0::/10', // site-local (deprecated)
  'ff00::/8', // multicast
]);
const GLOBAL_UNICAST = nets(parseIpv6, ['2000::/3'])[0] as Net;
const IPV6_LOOPBACK = nets(parseIpv6, ['::1/128'])[0] as Net;
const IPV4_MAPPED = nets(parseIpv6, ['::ffff:0:0/96'])[0] as Net;
const IPV4_COMPATIBLE = nets(parseIpv6, ['::/96'])[0] as Net;
const NAT64 = nets(parseIpv6, ['64:ff9b::/96'])[0] as Net;
const NAT64_LOCAL = nets(parseIpv6, ['64:ff9b:1::/48'])[0] as Net;
const SIX_TO_FOUR = nets(parseIpv6, ['2002::/16'])[0] as Net;
const TEREDO = nets(parseIpv6, ['2001::/32'])[0] as Net;

// --- the classifier -------------------------------------------------------------------------------------------------

/** `public`: may be called; `loopback`: this machine (only where loopback is allowed); `refused`: never. */
export type AddressClass = 'public' | 'loopback' | 'refused';

const rank: Record<AddressClass, number> = { public: 0, loopback: 1, refused: 2 };
const worst = (classes: AddressClass[]): AddressClass => classes.reduce((a, b) => (rank[b] > rank[a] ? b : a), 'public');

function classifyIpv4(b: Uint8Array): AddressClass {
  if (IPV4_LOOPBACK.some((n) => inPrefix(b, n))) return 'loopback';
  return IPV4_REFUSED.some((n) => inPrefix(b, n)) ? 'refused' : 'public';
}

/**
 * The IPv4 addresses an IPv6 address carries, by the form its prefix names: IPv4-compatible ::/96 (deprecated),
 * IPv4-mapped ::ffff:0:0/96 and NAT64 64:ff9b::/96 (last 32 bits), NAT64 local-use 64:ff9b:1::/48 (bits 48-63 and
 * 72-87, RFC 6052 §2.2), 6to4 2002::/16 (bits 16-47, RFC 3056) and Teredo 2001::/32 (server: bits 32-63; client:
 * the last 32 bits inverted, RFC 4380 §4).
 */
function embedded(b: Uint8Array): Uint8Array[] {
  if (inPrefix(b, IPV4_COMPATIBLE) || inPrefix(b, IPV4_MAPPED) || inPrefix(b, NAT64)) return [b.slice(12, 16)];
  if (inPrefix(b, NAT64_LOCAL)) return [Uint8Array.of(b[6] as number, b[7] as number, b[9] as number, b[10] as number)];
  if (inPrefix(b, SIX_TO_FOUR)) return [b.slice(2, 6)];
  if (inPrefix(b, TEREDO)) return [b.slice(4, 8), b.slice(12, 16).map((x) => x ^ 0xff)];
  return [];
}

/** The embedded IPv4 addresses of an IPv6 address, dotted (for tests and diagnostics); [] for anything else. */
export function embeddedIpv4s(address: string): string[] {
  const b = parseIpv6(address);
  return b ? embedded(b).map((v4) => v4.join('.')) : [];
}

function classifyIpv6(b: Uint8Array): AddressClass {
  if (inPrefix(b, IPV6_LOOPBACK)) return 'loopback';
  // The socket layer connects to an IPv4-mapped address over IPv4: it IS that IPv4 address, loopback included.
  if (inPrefix(b, IPV4_MAPPED)) return classifyIpv4(b.slice(12, 16));
  const own: AddressClass =
    IPV6_REFUSED.some((n) => inPrefix(b, n)) || !(inPrefix(b, GLOBAL_UNICAST) || inPrefix(b, NAT64)) ? 'refused' : 'public';
  // Through a translator or a tunnel (NAT64, 6to4, Teredo, IPv4-compatible) the IPv4 address must itself be public:
  // its "loopback" would be the relay's, not this machine's.
  return worst([own, ...embedded(b).map((v4) => (classifyIpv4(v4) === 'public' ? 'public' : 'refused'))]);
}

/**
 * THE address check for webhooks: an IPv4 or IPv6 address in any textual form, judged as bytes against the IANA
 * special-purpose registries, every IPv4 address it embeds judged too. What does not parse is refused.
 */
export function classifyAddress(address: string): AddressClass {
  const v4 = parseIpv4(address);
  if (v4) return classifyIpv4(v4);
  const v6 = parseIpv6(address);
  return v6 ? classifyIpv6(v6) : 'refused';
}

/** Whether one resolved address may be called. */
export function addressAllowed(address: string, opts: { allowLoopback: boolean }): boolean {
  const c = classifyAddress(address);
  return c === 'public' || (c === 'loopback' && opts.allowLoopback);
}

// --- the local runtime's own ports ----------------------------------------------------------------------------------

/*
 * Where loopback is allowed (`npm start`), a webhook could still be pointed at the runtime's own parts (gateway,
 * service, identity, sqs, secretsmanager). The runner registers their ports here and every loopback target on one of
 * them is refused. A process-wide registry rather than a `refusedLoopbackPorts` option threaded through runService ->
 * buildService -> registerWebhookRoutes and runWorker -> createLiveWebhookSender -> createWebhookSender, because:
 * every part runs in the one process by design (PGlite has a single owner); the ports are known only once each part
 * listens (port 0, and the gateway starts after the service and worker), so an option would have to be a live getter
 * anyway; and it reaches every webhook path of the process (the service's check, the worker's sender, the webhook
 * function) without a new knob on each role. Outside `npm start` nothing registers, so nothing changes.
 */
const ownPorts = new Set<() => Iterable<number>>();

/** Refuses loopback webhook targets on the ports `ports()` lists (read at every check) until the returned release is called. */
export function refuseLoopbackPorts(ports: () => Iterable<number>): () => void {
  const entry = () => ports();
  ownPorts.add(entry);
  return () => void ownPorts.delete(entry);
}

function isOwnPort(port: number): boolean {
  for (const ports of ownPorts) for (const p of ports()) if (p === port) return true;
  return false;
}

// --- the whole target ------------------------------------------------------------------------------------------------

export interface ResolvedTarget {
  url: URL;
  /** The vetted address the request must connect to (pinned, so a second DNS answer cannot differ). */
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a webhook URL's host and checks EVERY address it resolves to (IPv4 and IPv6): one refused answer is
 * enough to refuse, since a client may pick any of them. https is required, except that where loopback is allowed a
 * host whose every address is loopback may use http (a receiver on this machine). Returns the first address to
 * connect to.
 */
export async function resolveWebhookTarget(raw: string, opts: { allowLoopback: boolean }): Promise<ResolvedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetError('WEBHOOK_URL_INVALID', 'the webhook URL is not a URL');
  }
  if (url.protocol !== 'https:' && !(opts.allowLoopback && url.protocol === 'http:')) {
    throw new WebhookTargetError('WEBHOOK_URL_INVALID', 'the webhook URL must be https');
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
  const classes = addresses.map((a) => classifyAddress(a.address));
  if (classes.some((c) => c === 'refused' || (c === 'loopback' && !opts.allowLoopback))) {
    throw new WebhookTargetError('WEBHOOK_ADDRESS_REFUSED', 'the webhook host resolves to a private, loopback or link-local address');
  }
  if (url.protocol === 'http:' && !classes.every((c) => c === 'loopback')) {
    throw new WebhookTargetError('WEBHOOK_URL_INVALID', 'the webhook URL must be https (http only for a loopback host)');
  }
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  if (classes.includes('loopback') && isOwnPort(port)) {
    throw new WebhookTargetError('WEBHOOK_ADDRESS_REFUSED', "the webhook URL targets one of this runtime's own ports");
  }
  const first = addresses[0] as { address: string; family: number };
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
