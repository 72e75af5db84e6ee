// What a discovery may probe: the target parser decides it, so everything that must never
// receive a probe is refused (or left out) here, with an error naming the bad part.
import { describe, expect, it } from 'vitest';
import { DiscoveryTargetError, MAX_DISCOVERY_ADDRESSES, parseTargets } from '../../src/discovery/targets.js';

const refusal = (targets: string | string[]) => {
  try {
    parseTargets(targets);
  } catch (error) {
    expect(error).toBeInstanceOf(DiscoveryTargetError);
    return (error as Error).message;
  }
  throw new Error(`${String(targets)} was accepted`);
};

describe('parseTargets', () => {
  it('expands a v4 prefix without its network and broadcast addresses', () => {
    const addresses = parseTargets('10.1.2.0/28');
    expect(addresses).toEqual(Array.from({ length: 14 }, (_, i) => `10.1.2.${i + 1}`));
    expect(parseTargets('10.1.2.0/24')).toHaveLength(254);
  });

  it('keeps both addresses of a /31 (RFC 3021) and the one of a /32', () => {
    expect(parseTargets('10.1.2.4/31')).toEqual(['10.1.2.4', '10.1.2.5']);
    expect(parseTargets('10.1.2.7/32')).toEqual(['10.1.2.7']);
  });

  it.each([
    ['10.1.2.10-10.1.2.13', ['10.1.2.10', '10.1.2.11', '10.1.2.12', '10.1.2.13']],
    ['10.1.2.254-10.1.3.1', ['10.1.2.254', '10.1.2.255', '10.1.3.0', '10.1.3.1']],
    ['10.1.2.10-12', ['10.1.2.10', '10.1.2.11', '10.1.2.12']],
    ['10.1.2.10 - 10.1.2.11', ['10.1.2.10', '10.1.2.11']],
    ['10.1.2.9', ['10.1.2.9']],
  ])('reads the range %s', (text, expected) => {
    expect(parseTargets(text)).toEqual(expected);
  });

  it('takes comma lists and several strings, and gives each address once, in order', () => {
    expect(parseTargets(['10.1.2.5, 10.1.2.1-3', '10.1.2.2,10.1.2.0/30,'])).toEqual(['10.1.2.1', '10.1.2.2', '10.1.2.3', '10.1.2.5']);
  });

  it('reads IPv6 prefixes, ranges and addresses in their canonical form, after IPv4', () => {
    expect(parseTargets('2001:db8::/126')).toEqual(['2001:db8::1', '2001:db8::2', '2001:db8::3']);
    expect(parseTargets('2001:DB8:0:0:0:0:0:a-2001:db8::c, ::1, 10.0.0.1')).toEqual(['10.0.0.1', '::1', '2001:db8::a', '2001:db8::b', '2001:db8::c']);
    expect(parseTargets('2001:db8:0:0:1:0:0:1')).toEqual(['2001:db8::1:0:0:1']);
    expect(parseTargets('fe80:0:0:1::')).toEqual(['fe80:0:0:1::']);
  });

  it.each([
    ['', /no targets given/],
    [' , ', /no targets given/],
    ['10.1.2.300', /"10.1.2.300": "10.1.2.300" is not an IPv4 or IPv6 address/],
    ['10.1.2.0/24, printer', /"printer": "printer" is not an IPv4 or IPv6 address/],
    ['10.1.2.0/33', /"10.1.2.0\/33": the prefix length must be 0 to 32/],
    ['10.1.2.0/x', /the prefix length must be 0 to 32/],
    ['2001:db8::/129', /the prefix length must be 0 to 128/],
    ['10.1.2.5/24', /"10.1.2.5\/24": host bits are set; the network is 10.1.2.0\/24/],
    ['10.1.2.40-10.1.2.10', /"10.1.2.40-10.1.2.10": the range ends before it starts/],
    ['10.1.2.1-2001:db8::1', /a range runs from IPv4 to IPv4 or IPv6 to IPv6/],
    ['10.1.2.1-300', /"10.1.2.1-300": "10.1.2.300" is not an IPv4 or IPv6 address/],
    ['10.0.0.0/8', /"10.0.0.0\/8": holds 16777214 addresses; at most 4096 per discovery/],
    ['2001:db8::/64', /holds 18446744073709551615 addresses; at most 4096/],
    ['0.0.0.0', /"0.0.0.0": the unspecified address cannot be probed/],
    ['255.255.255.255', /"255.255.255.255": the broadcast address cannot be probed/],
    ['224.0.0.0/28', /"224.0.0.0\/28": multicast addresses cannot be probed/],
    ['239.255.255.250', /multicast/],
    ['::', /the unspecified address/],
    ['ff02::1', /"ff02::1": multicast addresses cannot be probed/],
    ['::ffff:10.1.2.3', /IPv4-mapped IPv6 addresses are not probed; write the IPv4 address/],
    ['fe80::1%eth0', /zone ids/],
  ])('refuses %j', (text, message) => {
    expect(refusal(text)).toMatch(message);
  });

  it(`refuses more than ${MAX_DISCOVERY_ADDRESSES} addresses in all, however they are split`, () => {
    expect(parseTargets('10.1.0.0/20')).toHaveLength(4094);
    expect(parseTargets('10.1.0.0-10.1.15.255')).toHaveLength(4096);
    expect(refusal('10.1.0.0-10.1.16.0')).toMatch(/holds 4097 addresses/);
    expect(refusal('10.1.0.0/20, 10.2.0.0/29')).toMatch(/the targets hold more than 4096 addresses/);
    expect(parseTargets('10.1.0.0/20, 10.2.0.0/30')).toHaveLength(4096);
    // Overlaps count once.
    expect(parseTargets('10.1.0.0/20, 10.1.0.0/24')).toHaveLength(4094);
  });
});
