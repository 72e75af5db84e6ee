import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** What os.networkInterfaces() returns; injected by tests. */
export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** The server's identity for licensing: an interface's MAC, as aa:bb:cc:dd:ee:ff. */
export interface ServerIdentity {
  mac: string;
  interface: string;
}

/** A MAC address that cannot be read, or one that cannot identify a server. */
export class MacAddressError extends Error {
  override readonly name = 'MacAddressError';
}

/** No interface can identify this server, or the configured one is not there. */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

const ZERO_MAC = '00:00:00:00:00:00';
const OCTETS = /^([0-9a-f]{1,2})([:-])([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})$/i;
const DOTTED = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;
const BARE = /^[0-9a-f]{12}$/i;

/** aa:bb:cc:dd:ee:ff, lower case: the one form priscan prints and stores. */
export function formatMac(bytes: Uint8Array): string {
  if (bytes.length !== 6) throw new MacAddressError(`a MAC address has 6 bytes, not ${bytes.length}`);
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/**
 * Reads a MAC address written as aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff
 * (Cisco) or aabbccddeeff, in either case. The all-zero address is refused: it is
 * what interfaces without hardware report, so it identifies nothing.
 */
export function parseMac(text: string): Uint8Array {
  const input = text.trim();
  let hex: string | undefined;
  const octets = OCTETS.exec(input);
  if (octets) {
    hex = [1, 3, 4, 5, 6, 7].map((i) => octets[i]!.padStart(2, '0')).join('');
  } else if (DOTTED.test(input)) {
    hex = input.replaceAll('.', '');
  } else if (BARE.test(input)) {
    hex = input;
  }
  if (hex === undefined) {
    throw new MacAddressError(
      `${JSON.stringify(input)} is not a MAC address: write it as aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabb.ccdd.eeff`,
    );
  }
  const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
  if (formatMac(bytes) === ZERO_MAC) {
    throw new MacAddressError(`${ZERO_MAC} is not a usable MAC address: it is what interfaces without hardware report`);
  }
  return bytes;
}

/** Any accepted MAC form, as aa:bb:cc:dd:ee:ff. */
export function normalizeMac(text: string): string {
  return formatMac(parseMac(text));
}

/**
 * Every interface that can identify this server: not loopback (internal) and with
 * a non-zero MAC, in the order the OS lists them. Node only sees interfaces that
 * have at least one address.
 */
export function machineMacs(interfaces: InterfaceTable = networkInterfaces()): ServerIdentity[] {
  const usable: ServerIdentity[] = [];
  for (const [name, entries] of Object.entries(interfaces)) {
    if (!entries || entries.length === 0 || entries.some((entry) => entry.internal)) continue;
    const mac = entries.map((entry) => entry.mac.toLowerCase()).find((m) => m !== ZERO_MAC);
    if (mac !== undefined) usable.push({ interface: name, mac });
  }
  return usable;
}

export interface IdentityOptions {
  /** The configured interface; without it, the first usable one. */
  interfaceName?: string | undefined;
  interfaces?: InterfaceTable;
}

/**
 * This server's licensing identity: the MAC of the configured interface, or of the
 * first usable one. Configure the interface when the machine has several: the
 * first in the OS's order can change when interfaces come and go.
 */
export function serverIdentity(options: IdentityOptions = {}): ServerIdentity {
  const interfaces = options.interfaces ?? networkInterfaces();
  const usable = machineMacs(interfaces);
  const { interfaceName } = options;
  if (interfaceName !== undefined) {
    const found = usable.find((candidate) => candidate.interface === interfaceName);
    if (found) return found;
    const reason =
      interfaces[interfaceName] === undefined
        ? 'there is no such interface (or it has no address)'
        : 'it is a loopback interface or has no hardware (MAC) address';
    throw new IdentityError(
      `the licensing interface ${JSON.stringify(interfaceName)} cannot identify this server: ${reason}; ${available(usable)}`,
    );
  }
  const first = usable[0];
  if (!first) {
    throw new IdentityError(
      'no network interface can identify this server for licensing: every interface is loopback or has no MAC address ' +
        `(interfaces seen: ${Object.keys(interfaces).join(', ') || 'none'})`,
    );
  }
  return first;
}

function available(usable: readonly ServerIdentity[]): string {
  if (usable.length === 0) return 'and no other interface has a MAC address either';
  return `interfaces that can: ${usable.map((u) => `${u.interface} (${u.mac})`).join(', ')}`;
}
