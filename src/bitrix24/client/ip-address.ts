import { isIP } from 'node:net';

/**
 * Which kind of network an IP address belongs to, for the outbound address policy.
 * Only `public` may be contacted; the rest are refused (some may be opted in for
 * on-premise portals, see OPT_IN_CLASSES). Ranges: the IANA IPv4 and IPv6
 * Special-Purpose Address Registries (RFC 6890 and its updates).
 */
export type AddressClass =
  | 'public'
  | 'unspecified' // 0.0.0.0/8, ::
  | 'loopback' // 127/8, ::1
  | 'private' // 10/8, 172.16/12, 192.168/16 (RFC 1918)
  | 'cgnat' // 100.64/10 shared address space (RFC 6598)
  | 'link_local' // 169.254/16 (cloud metadata lives here), fe80::/10
  | 'ietf_special' // 192.0.0/24 (RFC 6890), 192.88.99/24 6to4 relay, 2001::/23 IETF protocol assignments (Teredo, ORCHID…)
  | 'documentation' // TEST-NET-1/2/3, 2001:db8::/32, 3fff::/20
  | 'benchmark' // 198.18/15 (RFC 2544)
  | 'multicast' // 224/4, ff00::/8
  | 'reserved' // 240/4 and the broadcast address; IPv6 outside 2000::/3
  | 'unique_local' // fc00::/7 (RFC 4193)
  | 'site_local' // fec0::/10 (deprecated)
  | 'nat64_local' // 64:ff9b:1::/48 local-use NAT64 (RFC 8215)
  | 'discard' // 100::/64 (RFC 6666)
  | 'invalid';

/** Classes an operator may allow for LAN portals through BITRIX24_ALLOWED_PRIVATE_NETWORKS. Loopback, link-local (metadata) and the rest never. */
export const OPT_IN_CLASSES: ReadonlySet<AddressClass> = new Set(['private', 'cgnat', 'unique_local']);

interface V4Range {
  base: number;
  bits: number;
  cls: AddressClass;
}

const v4 = (text: string, bits: number, cls: AddressClass): V4Range => ({ base: parseIPv4(text)!, bits, cls });

const V4_RANGES: V4Range[] = [
  v4('0.0.0.0', 8, 'unspecified'),
  v4('10.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'cgnat'),
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.0.0', 16, 'link_local'),
  v4('172.16.0.0', 12, 'private'),
  v4('192.0.0.0', 24, 'ietf_special'),
  v4('192.0.2.0', 24, 'documentation'),
  v4('192.88.99.0', 24, 'ietf_special'),
  v4('192.168.0.0', 16, 'private'),
  v4('198.18.0.0', 15, 'benchmark'),
  v4('198.51.100.0', 24, 'documentation'),
  v4('203.0.113.0', 24, 'documentation'),
  v4('224.0.0.0', 4, 'multicast'),
  v4('240.0.0.0', 4, 'reserved'), // includes 255.255.255.255 (broadcast)
];

const inV4 = (address: number, base: number, bits: number) => bits === 0 || (address >>> (32 - bits)) === (base >>> (32 - bits));

/** a.b.c.d → 32-bit unsigned number, or null (no octal, hex or short forms). */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Any IPv6 text form (`::`, embedded dotted quad, zone id) → 16 bytes, or null. */
export function parseIPv6(text: string): Uint8Array | null {
  const address = text.replace(/^\[|\]$/g, '').split('%')[0];
  if (isIP(address) !== 6) return null;
  let head = address;
  const tail: number[] = [];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (quad) {
    const n = parseIPv4(quad[1]);
    if (n === null) return null;
    tail.push((n >>> 16) & 0xffff, n & 0xffff);
    head = address.slice(0, -quad[1].length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const words = (s: string | undefined) => (s ? s.split(':').filter((w) => w !== '').map((w) => parseInt(w, 16)) : []);
  const l = words(left);
  const r = [...words(right), ...tail];
  const missing = 8 - l.length - r.length;
  if (missing < 0 || (right === undefined && missing !== 0)) return null;
  const all = [...l, ...Array<number>(right === undefined ? 0 : missing).fill(0), ...r];
  const bytes = new Uint8Array(16);
  all.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

const v4Of = (bytes: Uint8Array, at: number) => ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
const zero = (bytes: Uint8Array, from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);

function prefixMatches(bytes: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((bytes[i >> 3] & mask) !== (prefix[i >> 3] & mask)) return false;
  }
  return true;
}

const v6 = (text: string, bits: number, cls: AddressClass) => ({ prefix: parseIPv6(text)!, bits, cls });

/** Checked in order, inside 2000::/3 (global unicast); anything outside it is refused below. */
const V6_RANGES = [
  v6('64:ff9b:1::', 48, 'nat64_local'),
  v6('100::', 64, 'discard'),
  v6('2001:db8::', 32, 'documentation'),
  v6('2001::', 23, 'ietf_special'),
  v6('3fff::', 20, 'documentation'),
  v6('fc00::', 7, 'unique_local'),
  v6('fe80::', 10, 'link_local'),
  v6('fec0::', 10, 'site_local'),
  v6('ff00::', 8, 'multicast'),
] as const;

/**
 * The IPv4 address an IPv6 address stands for, when it embeds one that the network
 * would reach: IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d (deprecated, still
 * routed by some stacks), NAT64 64:ff9b::/96 (RFC 6052) and 6to4 2002:AABB:CCDD::/48
 * (RFC 3056). Teredo (2001::/32) is refused as IETF-special as a whole.
 */
export function embeddedIPv4(bytes: Uint8Array): number | null {
  if (zero(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return v4Of(bytes, 12);
  if (zero(bytes, 0, 12) && v4Of(bytes, 12) > 1) return v4Of(bytes, 12);
  if (prefixMatches(bytes, parseIPv6('64:ff9b::')!, 96)) return v4Of(bytes, 12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return v4Of(bytes, 2);
  return null;
}

function classifyV4(address: number): AddressClass {
  return V4_RANGES.find((range) => inV4(address, range.base, range.bits))?.cls ?? 'public';
}

/** The class of an IP address (v4 or v6, any text form). Host names are `invalid`: resolve them first. */
export function classifyAddress(text: string): AddressClass {
  const plain = text.replace(/^\[|\]$/g, '');
  const four = parseIPv4(plain);
  if (four !== null) return classifyV4(four);
  const bytes = parseIPv6(plain);
  if (!bytes) return 'invalid';
  if (zero(bytes, 0, 16)) return 'unspecified';
  if (zero(bytes, 0, 15) && bytes[15] === 1) return 'loopback';
  const embedded = embeddedIPv4(bytes);
  if (embedded !== null) return classifyV4(embedded);
  const special = V6_RANGES.find((range) => prefixMatches(bytes, range.prefix, range.bits));
  if (special) return special.cls;
  // Only 2000::/3 is allocated for global unicast; everything else is reserved.
  return (bytes[0] & 0xe0) === 0x20 ? 'public' : 'reserved';
}

/** A parsed CIDR block (`10.0.0.0/8`, `fd00::/8`). */
export interface Cidr {
  text: string;
  version: 4 | 6;
  bytes: Uint8Array;
  bits: number;
}

const v4Bytes = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);

export function parseCidr(text: string): Cidr | null {
  const [address, bitsText, extra] = text.trim().split('/');
  if (extra !== undefined || bitsText === undefined || !/^\d{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  const four = parseIPv4(address);
  if (four !== null) return bits <= 32 ? { text: text.trim(), version: 4, bytes: v4Bytes(four), bits } : null;
  const six = parseIPv6(address);
  return six && bits <= 128 ? { text: text.trim(), version: 6, bytes: six, bits } : null;
}

/** Whether the address (or the IPv4 address it embeds) lies in one of the blocks. */
export function inNetworks(text: string, networks: readonly Cidr[]): boolean {
  if (!networks.length) return false;
  const plain = text.replace(/^\[|\]$/g, '');
  const candidates: Array<{ version: 4 | 6; bytes: Uint8Array }> = [];
  const four = parseIPv4(plain);
  if (four !== null) candidates.push({ version: 4, bytes: v4Bytes(four) });
  const six = four === null ? parseIPv6(plain) : null;
  if (six) {
    candidates.push({ version: 6, bytes: six });
    const embedded = embeddedIPv4(six);
    if (embedded !== null) candidates.push({ version: 4, bytes: v4Bytes(embedded) });
  }
  return candidates.some((c) => networks.some((n) => n.version === c.version && prefixMatches(c.bytes, n.bytes, n.bits)));
}
