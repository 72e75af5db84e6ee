import { isIP } from 'node:net';

// What a discovery may probe: CIDR prefixes, ranges and single addresses (v4 and v6), written as
// a comma list. The parser is the one place that decides which addresses are "in the range": the
// prober sends to nothing else, so everything that must never receive a probe is refused here.

/** Most addresses one discovery probes: a /20 of IPv4, or a few /24s. */
export const MAX_DISCOVERY_ADDRESSES = 4096;

/** A part of the targets that cannot be probed; the message names the part and what is wrong. */
export class DiscoveryTargetError extends Error {
  override readonly name = 'DiscoveryTargetError';
}

type Family = 4 | 6;
interface Span {
  family: Family;
  first: bigint;
  last: bigint;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

/** Addresses no probe goes to: they reach many hosts (or none), never one device. */
const REFUSED: ReadonlyArray<Span & { what: string }> = [
  { family: 4, first: 0n, last: 0n, what: 'the unspecified address' },
  { family: 4, first: 0xe0000000n, last: 0xefffffffn, what: 'multicast addresses' },
  { family: 4, first: 0xffffffffn, last: 0xffffffffn, what: 'the broadcast address' },
  { family: 6, first: 0n, last: 0n, what: 'the unspecified address' },
  { family: 6, first: 0xffn << 120n, last: (1n << 128n) - 1n, what: 'multicast addresses' },
];
const MAPPED_V4 = { first: 0xffffn << 32n, last: (0xffffn << 32n) | 0xffffffffn };

function parseV4(text: string): bigint {
  return text.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
}

function parseV6(text: string): bigint {
  let groups = text;
  // A dotted IPv4 tail (::ffff:10.1.2.3) is two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseV4(dotted[1]!);
    groups = `${text.slice(0, -dotted[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = groups.split('::');
  const words = (s: string) => (s === '' ? [] : s.split(':'));
  const left = words(head);
  const right = tail === undefined ? [] : words(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((n, word) => (n << 16n) | BigInt(parseInt(word, 16)), 0n);
}

/** The address as priscan stores addresses: dotted v4, RFC 5952 v6 (lower case, longest zero run as ::). */
export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && words[end] === 0) end++;
    if (end - i > best.length) best = { at: i, length: end - i };
    i = end;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (best.at < 0) return hex(words);
  return `${hex(words.slice(0, best.at))}::${hex(words.slice(best.at + best.length))}`;
}

function address(raw: string, part: string): { family: Family; value: bigint } {
  const text = raw.trim();
  if (text.includes('%')) throw new DiscoveryTargetError(`"${part}": zone ids (%…) are not supported; give a global or loopback address`);
  const family = isIP(text);
  if (family === 0) throw new DiscoveryTargetError(`"${part}": "${text}" is not an IPv4 or IPv6 address`);
  return family === 4 ? { family, value: parseV4(text) } : { family: 6, value: parseV6(text) };
}

/** One part of the list as the span of addresses it names. */
function spanOf(part: string): Span {
  const slash = part.indexOf('/');
  if (slash >= 0) {
    const { family, value } = address(part.slice(0, slash), part);
    const lengthText = part.slice(slash + 1);
    const length = /^\d{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
    if (!(length <= BITS[family])) throw new DiscoveryTargetError(`"${part}": the prefix length must be 0 to ${BITS[family]}`);
    const hostBits = BigInt(BITS[family] - length);
    const hostMask = (1n << hostBits) - 1n;
    if ((value & hostMask) !== 0n) {
      throw new DiscoveryTargetError(`"${part}": host bits are set; the network is ${formatAddress(family, value & ~hostMask)}/${length}`);
    }
    let first = value;
    let last = value | hostMask;
    // The network and broadcast addresses of a v4 subnet are no device's (RFC 3021 /31s have
    // neither); a v6 subnet's first address is its routers' anycast address (RFC 4291).
    if (family === 4 && length < 31) [first, last] = [first + 1n, last - 1n];
    if (family === 6 && length < 127) first += 1n;
    return { family, first, last };
  }
  const dash = part.indexOf('-');
  if (dash >= 0) {
    const start = address(part.slice(0, dash), part);
    let endText = part.slice(dash + 1);
    // 10.1.2.10-40: the end replaces the last octet.
    if (start.family === 4 && /^\d{1,3}$/.test(endText)) endText = `${part.slice(0, part.lastIndexOf('.', dash))}.${endText}`;
    const end = address(endText, part);
    if (end.family !== start.family) throw new DiscoveryTargetError(`"${part}": a range runs from IPv4 to IPv4 or IPv6 to IPv6`);
    if (end.value < start.value) throw new DiscoveryTargetError(`"${part}": the range ends before it starts`);
    return { family: start.family, first: start.value, last: end.value };
  }
  const single = address(part, part);
  return { family: single.family, first: single.value, last: single.value };
}

function checkSpan(span: Span, part: string, max: number): void {
  const size = span.last - span.first + 1n;
  if (size > BigInt(max)) throw new DiscoveryTargetError(`"${part}": holds ${size} addresses; at most ${max} per discovery`);
  if (span.family === 6 && span.first <= MAPPED_V4.last && span.last >= MAPPED_V4.first) {
    throw new DiscoveryTargetError(`"${part}": IPv4-mapped IPv6 addresses are not probed; write the IPv4 address`);
  }
  for (const refused of REFUSED) {
    if (refused.family === span.family && span.first <= refused.last && span.last >= refused.first) {
      throw new DiscoveryTargetError(`"${part}": ${refused.what} cannot be probed`);
    }
  }
}

/**
 * The addresses a discovery probes, in order (IPv4 first), each once: `10.1.2.0/24`,
 * `10.1.2.10-10.1.2.40` (or `10.1.2.10-40`), `10.1.2.3`, `2001:db8::/120`, comma-separated, in
 * one string or several. Throws DiscoveryTargetError naming the first bad part.
 */
export function parseTargets(targets: string | readonly string[], max = MAX_DISCOVERY_ADDRESSES): string[] {
  const parts = (typeof targets === 'string' ? [targets] : targets)
    .flatMap((text) => text.split(','))
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) throw new DiscoveryTargetError('no targets given; e.g. 10.1.2.0/24, 10.1.2.10-10.1.2.40 or 10.1.2.3');
  const chosen = new Map<string, Span>();
  for (const part of parts) {
    const span = spanOf(part);
    checkSpan(span, part, max);
    for (let value = span.first; value <= span.last; value++) {
      const key = `${span.family}:${value}`;
      if (chosen.has(key)) continue;
      if (chosen.size === max) throw new DiscoveryTargetError(`the targets hold more than ${max} addresses; split the discovery`);
      chosen.set(key, { family: span.family, first: value, last: value });
    }
  }
  return [...chosen.values()]
    .sort((a, b) => a.family - b.family || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0))
    .map((span) => formatAddress(span.family, span.first));
}
