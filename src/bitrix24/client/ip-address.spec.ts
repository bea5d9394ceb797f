import { AddressClass, classifyAddress, inNetworks, parseCidr, parseIPv6 } from './ip-address';

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    // IPv4
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['100.63.255.255', 'public'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.0', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['172.15.255.255', 'public'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.0.0.1', 'ietf_special'],
    ['192.0.0.170', 'ietf_special'],
    ['192.0.1.1', 'public'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', 'ietf_special'],
    ['192.168.1.1', 'private'],
    ['198.17.255.255', 'public'],
    ['198.18.0.1', 'benchmark'],
    ['198.19.255.255', 'benchmark'],
    ['198.20.0.0', 'public'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.7', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    // IPv6
    ['2a00:1450:4001:81c::200e', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    // IPv4-mapped, every spelling the URL parser or a resolver may produce
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link_local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    // IPv4-compatible (deprecated)
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::c612:1', 'benchmark'],
    // NAT64 and 6to4 translate to the embedded IPv4 address
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'nat64_local'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['2002:808:808::1', 'public'],
    // Teredo, ORCHID and the rest of 2001::/23
    ['2001::1', 'ietf_special'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'ietf_special'],
    ['2001:10::1', 'ietf_special'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['100::1', 'discard'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'site_local'],
    ['ff02::1', 'multicast'],
    ['4000::1', 'reserved'],
    ['1::1', 'reserved'],
    // not addresses
    ['localhost', 'invalid'],
    ['example.com', 'invalid'],
    ['127.1', 'invalid'],
    ['0177.0.0.1', 'invalid'],
    ['1.2.3.256', 'invalid'],
    ['', 'invalid'],
  ])('%s → %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });
});

describe('parseIPv6', () => {
  it.each([
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1::8', '00010000000000000000000000000008'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
  ])('%s', (text, hex) => {
    expect(Buffer.from(parseIPv6(text)!).toString('hex')).toBe(hex);
  });

  it.each(['1:2:3', ':::', '1::2::3', 'g::1', '1.2.3.4'])('refuses %s', (text) => {
    expect(parseIPv6(text)).toBeNull();
  });
});

describe('networks', () => {
  const lan = ['10.0.0.0/8', '192.168.10.0/24', 'fd00:1::/32'].map((t) => parseCidr(t)!);

  it.each([
    ['10.20.30.40', true],
    ['11.0.0.1', false],
    ['192.168.10.200', true],
    ['192.168.11.1', false],
    ['::ffff:10.0.0.9', true],
    ['fd00:1:2::3', true],
    ['fd00:2::1', false],
  ])('%s in the allow-list: %s', (address, expected) => {
    expect(inNetworks(address, lan)).toBe(expected);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '::/129', 'x/8', '10.0.0.0/8/8', '10.0.0.0/-1'])('parseCidr refuses %s', (text) => {
    expect(parseCidr(text)).toBeNull();
  });
});
