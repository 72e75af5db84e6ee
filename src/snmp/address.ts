import { isIP, SocketAddress } from 'node:net';

/** What every address field says when given something that is not an IP address. */
export const NOT_AN_ADDRESS = 'must be an IPv4 or IPv6 address, e.g. 10.1.2.3 or 2001:db8::1';

/**
 * The one spelling priscan keeps of a device's IP address, or undefined when `text` is not one.
 * A device is known by its address (notifications are matched by their source), so two
 * spellings of one address must never make two devices: an IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.5`, `::ffff:a00:5`) is its dotted quad, the form a socket reports for IPv4;
 * IPv6 is lower case and compressed (RFC 5952), as a socket reports it. An IPv6 zone
 * (`fe80::1%eth0`) is kept as written: without it a link-local address reaches nothing.
 */
export function canonicalAddress(text: string): string | undefined {
  // isIP takes only the dotted quad without leading zeros for IPv4, which is already canonical.
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  const zoneAt = text.indexOf('%');
  const zone = zoneAt < 0 ? '' : text.slice(zoneAt);
  const compressed = new SocketAddress({ address: zoneAt < 0 ? text : text.slice(0, zoneAt), family: 'ipv6' }).address;
  const mapped = compressed.startsWith('::ffff:') ? compressed.slice('::ffff:'.length) : '';
  return isIP(mapped) === 4 ? mapped : compressed + zone;
}

/**
 * The form to look an address up or compare it by: its canonical spelling, or the text as it is
 * when it is no IP address (which then matches nothing stored).
 */
export function addressKey(text: string): string {
  return canonicalAddress(text) ?? text;
}
