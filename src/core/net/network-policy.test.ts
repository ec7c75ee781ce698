import { describe, expect, it } from 'vitest';
import { createNetworkPolicy, InvalidCidrError, isLocalhostName, parseCidrList } from './network-policy.js';

const policy = createNetworkPolicy([]);

/** [range, an address inside it] for every range the guard must refuse by default. */
const BLOCKED: Array<[range: string, inside: string]> = [
  ['0.0.0.0/8', '0.0.0.0'],
  ['0.0.0.0/8', '0.255.255.255'],
  ['10.0.0.0/8', '10.0.0.1'],
  ['10.0.0.0/8', '10.255.255.255'],
  ['100.64.0.0/10', '100.64.0.0'],
  ['100.64.0.0/10', '100.100.100.200'],
  ['100.64.0.0/10', '100.127.255.255'],
  ['127.0.0.0/8', '127.0.0.1'],
  ['127.0.0.0/8', '127.255.255.254'],
  ['169.254.0.0/16', '169.254.169.254'],
  ['172.16.0.0/12', '172.16.0.1'],
  ['172.16.0.0/12', '172.31.255.255'],
  ['192.0.0.0/24', '192.0.0.192'],
  ['192.0.2.0/24', '192.0.2.1'],
  ['192.88.99.0/24', '192.88.99.1'],
  ['192.168.0.0/16', '192.168.1.1'],
  ['198.18.0.0/15', '198.18.0.1'],
  ['198.18.0.0/15', '198.19.255.255'],
  ['198.51.100.0/24', '198.51.100.7'],
  ['203.0.113.0/24', '203.0.113.9'],
  ['224.0.0.0/4', '224.0.0.1'],
  ['224.0.0.0/4', '239.255.255.250'],
  ['240.0.0.0/4', '240.0.0.1'],
  ['240.0.0.0/4', '255.255.255.254'],
  ['255.255.255.255/32', '255.255.255.255'],
  ['::/128', '::'],
  ['::1/128', '::1'],
  ['fc00::/7', 'fc00::1'],
  ['fc00::/7', 'fd00:ec2::254'],
  ['fe80::/10', 'fe80::1'],
  ['fe80::/10', 'febf:ffff::1'],
  ['fe80::/10', 'fe80::1%eth0'],
  ['ff00::/8', 'ff02::1'],
  ['100::/64', '100::1'],
  ['2001:db8::/32', '2001:db8::1'],
  ['64:ff9b::/96', '64:ff9b::5db8:d822'],
  ['64:ff9b:1::/48', '64:ff9b:1::1'],
  ['2002::/16', '2002:5db8:d822::1'],
  ['2001::/32', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
  ['fec0::/10', 'fec0::1'],
];

/** Addresses just outside a blocked range, which ordinary public receivers may own. */
const PUBLIC_NEIGHBOURS = [
  '1.0.0.0',
  '9.255.255.255',
  '11.0.0.0',
  '100.63.255.255',
  '100.128.0.0',
  '126.255.255.255',
  '128.0.0.0',
  '169.253.255.255',
  '169.255.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '192.0.1.0',
  '192.0.3.0',
  '192.88.98.255',
  '192.88.100.0',
  '192.167.255.255',
  '192.169.0.0',
  '198.17.255.255',
  '198.20.0.0',
  '198.51.99.255',
  '198.51.101.0',
  '203.0.112.255',
  '203.0.114.0',
  '223.255.255.255',
  '93.184.216.34',
  'fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe00::1',
  'fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  '100:0:0:1::',
  '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff',
  '2001:db9::',
  '2001:1::1',
  '2003::1',
  '64:ff9b:0:0:0:1::1',
  '2606:4700:4700::1111',
];

describe('network policy: default block list', () => {
  it.each(BLOCKED)('refuses %s, e.g. %s', (range, address) => {
    const decision = policy.check(address);
    expect(decision.allowed).toBe(false);
    expect(decision.allowed === false && decision.rule.startsWith(`${range} (`)).toBe(true);
  });

  it.each(PUBLIC_NEIGHBOURS)('allows public address %s just outside a blocked range', (address) => {
    expect(policy.check(address)).toEqual({ allowed: true });
  });

  it('names the range and its purpose in the rule', () => {
    expect(policy.check('127.0.0.1')).toEqual({ allowed: false, rule: '127.0.0.0/8 (loopback)' });
    expect(policy.check('169.254.169.254')).toEqual({
      allowed: false,
      rule: '169.254.0.0/16 (link-local, cloud metadata)',
    });
  });

  it.each([
    '2130706433',
    '0x7f.1',
    '0177.0.0.1',
    '127.1',
    'localhost',
    '',
    'evil.test',
    '::ffff:127.0.0.1:80',
  ])('fails closed on %j, which is not a dialable IP literal', (value) => {
    expect(policy.check(value)).toEqual({ allowed: false, rule: 'not an IP address' });
  });
});

describe('network policy: IPv6 forms carrying an IPv4 address', () => {
  it.each([
    ['::ffff:127.0.0.1', '127.0.0.1', '127.0.0.0/8 (loopback)'],
    ['::ffff:7f00:1', '127.0.0.1', '127.0.0.0/8 (loopback)'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', '169.254.169.254', '169.254.0.0/16 (link-local, cloud metadata)'],
    ['::ffff:10.1.2.3', '10.1.2.3', '10.0.0.0/8 (private)'],
    ['::ffff:0:127.0.0.1', '127.0.0.1', '127.0.0.0/8 (loopback)'],
    ['::127.0.0.1', '127.0.0.1', '127.0.0.0/8 (loopback)'],
    ['::c0a8:101', '192.168.1.1', '192.168.0.0/16 (private)'],
    ['::2', '0.0.0.2', '0.0.0.0/8 (this network)'],
  ])('refuses %s as the IPv4 %s it carries', (address, ipv4, rule) => {
    expect(policy.check(address)).toEqual({ allowed: false, rule, embeddedIPv4: ipv4 });
  });

  it('allows an IPv4-mapped public address like the public IPv4 itself', () => {
    expect(policy.check('::ffff:93.184.216.34')).toEqual({ allowed: true });
    expect(policy.check('::ffff:5db8:d822')).toEqual({ allowed: true });
  });

  it('refuses NAT64, 6to4 and Teredo as ranges even when they carry a public IPv4', () => {
    expect(policy.check('64:ff9b::93.184.216.34')).toMatchObject({
      allowed: false,
      rule: '64:ff9b::/96 (NAT64)',
    });
    expect(policy.check('2002:5db8:d822::')).toMatchObject({ allowed: false, rule: '2002::/16 (6to4)' });
    expect(policy.check('2001:0:1:2:3:4:a247:27dd')).toMatchObject({
      allowed: false,
      rule: '2001::/32 (Teredo)',
    });
  });

  it('still refuses a loopback IPv4 tunnelled through an allowed NAT64, 6to4 or Teredo range', () => {
    const tunnels = createNetworkPolicy(['64:ff9b::/96', '2002::/16', '2001::/32']);
    expect(tunnels.check('64:ff9b::127.0.0.1')).toMatchObject({ allowed: false, embeddedIPv4: '127.0.0.1' });
    expect(tunnels.check('2002:7f00:1::1')).toMatchObject({ allowed: false, embeddedIPv4: '127.0.0.1' });
    // Teredo stores the client address inverted: 0x80ff:fffe is 127.0.0.1.
    expect(tunnels.check('2001:0:4136:e378:8000:63bf:80ff:fffe')).toMatchObject({
      allowed: false,
      embeddedIPv4: '127.0.0.1',
    });
    expect(tunnels.check('64:ff9b::93.184.216.34')).toEqual({ allowed: true });
    expect(tunnels.check('2002:5db8:d822::1')).toEqual({ allowed: true });
  });
});

describe('network policy: operator allow-list', () => {
  it('allows addresses inside an allowed CIDR and nothing next to it', () => {
    const allowing = createNetworkPolicy(['10.1.0.0/16']);
    expect(allowing.check('10.1.2.3')).toEqual({ allowed: true });
    expect(allowing.check('10.2.0.1')).toMatchObject({ allowed: false, rule: '10.0.0.0/8 (private)' });
    expect(allowing.check('127.0.0.1')).toMatchObject({ allowed: false });
  });

  it('allows the IPv4-mapped spelling of an allowed IPv4 network', () => {
    const allowing = createNetworkPolicy(['127.0.0.0/8']);
    expect(allowing.check('127.0.0.1')).toEqual({ allowed: true });
    expect(allowing.check('::ffff:127.0.0.1')).toEqual({ allowed: true });
    expect(allowing.check('::1')).toMatchObject({ allowed: false, rule: '::1/128 (loopback)' });
  });

  it('treats an IPv4-mapped allow-list entry as the IPv4 network it denotes', () => {
    const allowing = createNetworkPolicy(['::ffff:10.0.0.0/104']);
    expect(allowing.check('10.9.9.9')).toEqual({ allowed: true });
    expect(allowing.check('11.0.0.1')).toEqual({ allowed: true });
    expect(allowing.check('172.16.0.1')).toMatchObject({ allowed: false });
  });

  it('allows IPv6 networks and single addresses', () => {
    const allowing = createNetworkPolicy(['fd00:1234::/32', '192.168.1.10']);
    expect(allowing.check('fd00:1234::5')).toEqual({ allowed: true });
    expect(allowing.check('fd00:1235::5')).toMatchObject({ allowed: false });
    expect(allowing.check('192.168.1.10')).toEqual({ allowed: true });
    expect(allowing.check('192.168.1.11')).toMatchObject({ allowed: false });
  });

  it.each([
    'nonsense',
    '10.0.0.0/33',
    '::/129',
    '10.0.0/8',
    '0x7f.1/8',
    '10.0.0.0/',
    '10.0.0.0/-1',
    'fd00::/abc',
  ])('rejects the invalid allow-list entry %j naming it', (entry) => {
    expect(() => createNetworkPolicy(['127.0.0.0/8', entry])).toThrow(InvalidCidrError);
    expect(() => createNetworkPolicy([entry])).toThrow(`invalid CIDR "${entry}"`);
  });
});

describe('parseCidrList', () => {
  it('splits on commas and whitespace and normalises to network addresses', () => {
    expect(parseCidrList(' 10.1.2.3/8, 192.168.1.10 ,fd00::1/8\n127.0.0.0/8,, ')).toEqual([
      '10.0.0.0/8',
      '192.168.1.10/32',
      'fd00::/8',
      '127.0.0.0/8',
    ]);
  });

  it('returns an empty list for an empty value', () => {
    expect(parseCidrList('')).toEqual([]);
    expect(parseCidrList('  ')).toEqual([]);
  });

  it('names the first bad entry', () => {
    expect(() => parseCidrList('10.0.0.0/8, 300.1.1.1/8')).toThrow('invalid CIDR "300.1.1.1/8"');
  });
});

describe('isLocalhostName', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'a.b.localhost.'])(
    'treats %s as loopback',
    (n) => {
      expect(isLocalhostName(n)).toBe(true);
    },
  );
  it.each(['localhost.example.com', 'notlocalhost', 'example.com'])('does not treat %s as loopback', (n) => {
    expect(isLocalhostName(n)).toBe(false);
  });
});
