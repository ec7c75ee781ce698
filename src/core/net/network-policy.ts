import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type IPAddress = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [IPAddress, number];

/** The outcome of judging one address: allowed, or the blocked range that refused it. */
export type PolicyDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** The blocked range, e.g. `127.0.0.0/8 (loopback)`. */
      rule: string;
      /** Set when the address is an IPv6 form carrying an IPv4 address and that IPv4 was refused. */
      embeddedIPv4?: string;
    };

/**
 * Decides whether Herald may open a connection to an IP address. Webhook URLs are chosen
 * by customers, so without this any customer could make Herald call the cloud metadata
 * service, the database or an admin port on the private network (SSRF).
 */
export interface NetworkPolicy {
  /** Judges one already-resolved IP address (v4 or v6). Anything that is not an IP is refused. */
  check(address: string): PolicyDecision;
}

/**
 * Ranges no webhook may reach unless the operator allows them: the IANA special-purpose
 * registries (RFC 6890 and successors) minus what is globally routable unicast.
 * Two additions to the team's list, both ranges with no legitimate public receiver:
 * Teredo (2001::/32, which also tunnels an IPv4 address) and the deprecated IPv6
 * site-local range (fec0::/10), which some stacks still route to the local site.
 */
const BLOCKED_RANGES: ReadonlyArray<readonly [cidr: string, label: string]> = [
  ['0.0.0.0/8', 'this network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local, cloud metadata'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['255.255.255.255/32', 'broadcast'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fc00::/7', 'unique local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'deprecated site-local'],
  ['ff00::/8', 'multicast'],
  ['100::/64', 'discard-only'],
  ['2001:db8::/32', 'documentation'],
  ['2001::/32', 'Teredo'],
  ['64:ff9b::/96', 'NAT64'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['2002::/16', '6to4'],
];

/** Most specific first, so 255.255.255.255 is reported as broadcast rather than as 240.0.0.0/4. */
const PARSED_BLOCKED: ReadonlyArray<{ cidr: Cidr; rule: string }> = BLOCKED_RANGES.map(([cidr, label]) => ({
  cidr: ipaddr.parseCIDR(cidr) as Cidr,
  rule: `${cidr} (${label})`,
})).sort((a, b) => b.cidr[1] - a.cidr[1]);

/** Thrown when an allow-list entry is not a CIDR; the message names the entry so config errors are actionable. */
export class InvalidCidrError extends Error {
  override readonly name = 'InvalidCidrError';
  constructor(readonly entry: string) {
    super(`invalid CIDR "${entry}": expected an IPv4 or IPv6 network such as 10.0.0.0/8 or fd00::/8`);
  }
}

/**
 * Parses one allow-list entry strictly. Only canonical dotted-quad IPv4 and standard IPv6
 * are accepted (no `0x7f.1/8`), so what the operator wrote is what they get. A bare
 * address means that single address. An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`)
 * is turned into the IPv4 network it denotes, because mapped addresses are judged as IPv4.
 */
function parseCidr(entry: string): Cidr {
  const trimmed = entry.trim();
  const slash = trimmed.indexOf('/');
  const addressPart = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const prefixPart = slash === -1 ? undefined : trimmed.slice(slash + 1);
  const family = isIP(addressPart);
  if (family === 0) throw new InvalidCidrError(entry);
  const maxPrefix = family === 4 ? 32 : 128;
  if (prefixPart !== undefined && !/^\d{1,3}$/.test(prefixPart)) throw new InvalidCidrError(entry);
  const prefix = prefixPart === undefined ? maxPrefix : Number(prefixPart);
  if (prefix > maxPrefix) throw new InvalidCidrError(entry);
  const address = ipaddr.parse(addressPart);
  if (address.kind() === 'ipv6' && prefix >= 96 && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return [(address as ipaddr.IPv6).toIPv4Address(), prefix - 96];
  }
  return [address, prefix];
}

/** Formats a parsed CIDR with its network address, e.g. `10.0.0.5/8` → `10.0.0.0/8`. */
function formatCidr([address, prefix]: Cidr): string {
  const network =
    address.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${prefix}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${prefix}`);
  return `${network.toString()}/${prefix}`;
}

/**
 * Validates a comma- or whitespace-separated list of CIDRs, as written in
 * `HERALD_ALLOWED_NETWORKS`, and returns the entries normalised to their network
 * address (`10.1.2.3/8` → `10.0.0.0/8`, `10.1.2.3` → `10.1.2.3/32`).
 * Throws {@link InvalidCidrError} naming the first bad entry.
 */
export function parseCidrList(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .filter((entry) => entry.length > 0)
    .map((entry) => formatCidr(parseCidr(entry)));
}

function matchesAny(address: IPAddress, cidrs: readonly Cidr[]): boolean {
  for (const cidr of cidrs) {
    if (cidr[0].kind() === address.kind() && address.match(cidr)) return true;
  }
  return false;
}

function ipv4FromWords(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * Returns the IPv4 address an IPv6 address carries, for the forms that carry one:
 * IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d` (SIIT),
 * IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:AABB:CCDD::`
 * and Teredo (client address, stored inverted). The local-use NAT64 prefix is not
 * unwrapped: where its IPv4 sits depends on the operator's prefix length, and the
 * range is blocked as a whole anyway.
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = address.parts as [number, number, number, number, number, number, number, number];
  const zeroPrefix = p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0;
  if (zeroPrefix && p[4] === 0 && p[5] === 0xffff) return ipv4FromWords(p[6], p[7]);
  if (zeroPrefix && p[4] === 0xffff && p[5] === 0) return ipv4FromWords(p[6], p[7]);
  if (zeroPrefix && p[4] === 0 && p[5] === 0) {
    // `::` and `::1` are IPv6 addresses in their own right, not IPv4-compatible forms.
    if (p[6] === 0 && (p[7] === 0 || p[7] === 1)) return null;
    return ipv4FromWords(p[6], p[7]);
  }
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) {
    return ipv4FromWords(p[6], p[7]);
  }
  if (p[0] === 0x2002) return ipv4FromWords(p[1], p[2]);
  if (p[0] === 0x2001 && p[1] === 0) return ipv4FromWords(p[6] ^ 0xffff, p[7] ^ 0xffff);
  return null;
}

/**
 * Builds the SSRF policy: every range in the block list above is refused unless it falls
 * inside one of `allowedCidrs` (the operator's `HERALD_ALLOWED_NETWORKS`, e.g. to deliver
 * to a service on the same private network).
 *
 * IPv6 addresses that carry an IPv4 address must pass twice: as themselves against the
 * IPv6 block list, and as the IPv4 they carry. So `::ffff:127.0.0.1` is refused as
 * loopback while `::ffff:93.184.216.34` is allowed like the public IPv4 it is; and
 * 6to4/NAT64/Teredo are refused as ranges, and even when the operator allows such a
 * range the IPv4 inside must still be acceptable (NAT64 to 10.0.0.1 stays blocked).
 *
 * Throws {@link InvalidCidrError} if an allow-list entry is not a valid CIDR.
 */
export function createNetworkPolicy(allowedCidrs: readonly string[]): NetworkPolicy {
  const allowed = allowedCidrs.filter((entry) => entry.trim().length > 0).map(parseCidr);

  const judge = (address: IPAddress): string | null => {
    if (matchesAny(address, allowed)) return null;
    for (const blocked of PARSED_BLOCKED) {
      if (blocked.cidr[0].kind() === address.kind() && address.match(blocked.cidr)) return blocked.rule;
    }
    return null;
  };

  return {
    check(address: string): PolicyDecision {
      // Node accepts exactly these spellings as literals; anything else would go to the
      // resolver, so it is never an address we are about to dial: fail closed.
      if (isIP(address) === 0) return { allowed: false, rule: 'not an IP address' };
      const parsed = ipaddr.parse(address);
      const rule = judge(parsed);
      if (rule !== null) return { allowed: false, rule };
      if (parsed.kind() === 'ipv6') {
        const inner = embeddedIPv4(parsed as ipaddr.IPv6);
        if (inner) {
          const innerRule = judge(inner);
          if (innerRule !== null) return { allowed: false, rule: innerRule, embeddedIPv4: inner.toString() };
        }
      }
      return { allowed: true };
    },
  };
}

/**
 * True for `localhost` and any `*.localhost` name (with or without the trailing root dot).
 * RFC 6761 reserves them for loopback, so they are judged as loopback whatever a resolver
 * might answer for them.
 */
export function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}
