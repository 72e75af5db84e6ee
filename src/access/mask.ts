import { isIPv4, isIPv6 } from 'node:net';

const MASK = 'x';

/**
 * A device address as the partner role sees it: only its last two segments.
 *  - IPv4: 10.20.12.34 -> x.x.12.34
 *  - IPv6: always written out as eight groups, the first six masked:
 *    2001:db8::12:34 -> x:x:x:x:x:x:12:34. The fixed width (rather than ::12:34)
 *    tells nothing about where the zeros were; kept groups are in RFC 5952 form
 *    (lower case, no leading zeros). A zone (%eth0) and brackets are dropped.
 *  - IPv4-mapped IPv6 (::ffff:10.20.12.34) is an IPv4 device: x.x.12.34.
 *  - host names: every label but the last two: ups1.rack3.example.com ->
 *    x.x.example.com (a name of one or two labels has nothing before them).
 */
export function maskAddress(address: string): string {
  const input = address.trim();
  const unbracketed = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const host = unbracketed.split('%')[0] ?? '';
  if (isIPv4(host)) return maskIPv4(host);
  if (isIPv6(host)) return maskIPv6(host);
  return maskHostname(input);
}

function maskIPv4(address: string): string {
  const octets = address.split('.');
  return [MASK, MASK, octets[2], octets[3]].join('.');
}

function maskIPv6(address: string): string {
  const groups = expandIPv6(address).map((g) => parseInt(g, 16));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const low = groups[7] ?? 0;
    return [MASK, MASK, low >> 8, low & 0xff].join('.');
  }
  return [...groups.slice(0, 6).map(() => MASK), ...groups.slice(6).map((g) => g.toString(16))].join(':');
}

/** The eight 16-bit groups, lower case, a dotted IPv4 tail turned into two groups. */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, tail.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right];
}

function maskHostname(name: string): string {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = trimmed.split('.');
  return labels.map((label, i) => (i < labels.length - 2 ? MASK : label)).join('.');
}

/**
 * Text with every occurrence of these device addresses masked (maskAddress): the last line of
 * defence for what a read-only partner is sent, whatever a route or a device's own text holds.
 * IPv4 addresses are matched whole (10.1.2.3 is not masked inside 110.1.2.34); IPv6 addresses
 * wherever they appear, longest first, so one that begins another cannot leave a tail behind.
 */
export function maskAddressesIn(text: string, addresses: Iterable<string>): string {
  const v4 = new Set<string>();
  const v6: string[] = [];
  for (const address of addresses) {
    if (isIPv4(address)) v4.add(address);
    else v6.push(address);
  }
  let masked = v4.size === 0 ? text : text.replace(IPV4_IN_TEXT, (found) => (v4.has(found) ? maskAddress(found) : found));
  for (const address of v6.sort((a, b) => b.length - a.length)) {
    if (masked.includes(address)) masked = masked.split(address).join(maskAddress(address));
  }
  return masked;
}

/** A dotted quad not inside a longer run of digits and dots (an OID, a version). */
const IPV4_IN_TEXT = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d]|\.\d)/g;
