// The SNMP conversation every registration method shares: read cells, write
// cells, read them back, and turn client failures into RegistrationErrors.
// Messages name MIB objects and error statuses, never the values of secret
// cells: the community must not reach logs or the API.
import { addressKey } from '../snmp/address.js';
import { isException, SnmpError, type SnmpClient, type SnmpVarbind } from '../snmp/client.js';
import { RegistrationError } from './method.js';

/** One object instance a registration writes or expects to find. */
export interface Cell {
  /** MIB object name, e.g. 'snmpTargetAddrTAddress': errors name it. */
  name: string;
  oid: string;
  type: 'Integer' | 'OctetString' | 'IpAddress' | 'OID';
  /** Integer: number; OctetString: Buffer; IpAddress and OID: dotted string. */
  value: number | Buffer | string;
  /** Holds the community: its value never appears in a message. */
  secret?: boolean;
}

/** What a read found, by OID; instances the device does not hold are absent. */
export type CellValues = ReadonlyMap<string, SnmpVarbind>;

const stripDot = (oid: string): string => (oid.startsWith('.') ? oid.slice(1) : oid);

/** Whether the device's value is exactly what `cell` wants. */
export function holds(actual: SnmpVarbind | undefined, cell: Cell): boolean {
  if (!actual || isException(actual.type) || actual.type !== cell.type) return false;
  if (Buffer.isBuffer(cell.value)) return Buffer.isBuffer(actual.value) && actual.value.equals(cell.value);
  if (cell.type === 'OID') return typeof actual.value === 'string' && stripDot(actual.value) === stripDot(cell.value as string);
  if (cell.type === 'IpAddress') return typeof actual.value === 'string' && addressKey(actual.value) === addressKey(cell.value as string);
  return actual.value === cell.value;
}

/**
 * GETs `oids`. An SNMPv1 agent answers a GET naming any absent instance with
 * noSuchName for the whole request, so on noSuchName each OID is read alone
 * and the ones still refused count as absent.
 */
export async function readCells(client: SnmpClient, oids: readonly string[], names: readonly string[]): Promise<Map<string, SnmpVarbind>> {
  const found = new Map<string, SnmpVarbind>();
  const keep = (vbs: readonly SnmpVarbind[]): void => {
    for (const vb of vbs) if (!isException(vb.type)) found.set(stripDot(vb.oid), vb);
  };
  try {
    keep(await client.get(oids));
    return found;
  } catch (error) {
    if (!isNoSuchName(error)) throw registrationError(error, names, 'read');
  }
  for (const [i, oid] of oids.entries()) {
    try {
      keep(await client.get([oid]));
    } catch (error) {
      if (!isNoSuchName(error)) throw registrationError(error, [names[i] ?? oid], 'read');
    }
  }
  return found;
}

/** Reads the instances `cells` name. */
export function readCellValues(client: SnmpClient, cells: readonly Cell[]): Promise<Map<string, SnmpVarbind>> {
  return readCells(
    client,
    cells.map((c) => c.oid),
    cells.map((c) => c.name),
  );
}

/** One SET of all `cells`, applied by the agent as a unit. */
export async function writeCells(client: SnmpClient, cells: readonly Cell[]): Promise<void> {
  try {
    await client.set(cells.map((c) => ({ oid: c.oid, type: c.type, value: c.value })));
  } catch (error) {
    throw registrationError(error, cells.map((c) => c.name), 'write');
  }
}

/** Reads `cells` back; throws read-back-mismatch naming each cell the device does not hold as wanted. */
export async function verifyCells(client: SnmpClient, cells: readonly Cell[]): Promise<void> {
  const found = await readCellValues(client, cells);
  const wrong = cells.filter((c) => !holds(lookup(found, c), c));
  if (wrong.length === 0) return;
  const details = wrong.map((c) => describeMismatch(c, lookup(found, c)));
  throw new RegistrationError('read-back-mismatch', `device does not hold what was written: ${details.join('; ')}`);
}

function describeMismatch(cell: Cell, actual: SnmpVarbind | undefined): string {
  if (!actual) return `${cell.name} is absent`;
  if (cell.secret) return `${cell.name} differs`;
  return `${cell.name} is ${show(actual.value)}, expected ${show(cell.value)}`;
}

function show(value: SnmpVarbind['value']): string {
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex').toUpperCase()}`;
  return String(value);
}

/** What a read found at `cell`'s instance; undefined where the device holds none. */
export function lookup(found: CellValues, cell: Cell): SnmpVarbind | undefined {
  return found.get(stripDot(cell.oid));
}

function isNoSuchName(error: unknown): boolean {
  return error instanceof SnmpError && error.kind === 'error-status' && error.status === 'noSuchName';
}

/** Whether an agent refused a write in a way that a notInService row might accept (RFC 2579 RowStatus). */
export function refusesActiveRowChange(error: unknown): boolean {
  if (!(error instanceof RegistrationError) || error.code !== 'refused' || !(error.cause instanceof SnmpError)) return false;
  // v2c agents say inconsistentValue (or notWritable); through a v1 proxy those become badValue and noSuchName
  // (RFC 3584 4.4). The row exists here, so noSuchName cannot mean an absent row.
  return ['inconsistentValue', 'notWritable', 'badValue', 'noSuchName', 'readOnly'].includes(error.cause.status ?? '');
}

/**
 * A client failure as a RegistrationError: a timeout means the device is
 * unreachable; an error status names the refused object (by the agent's
 * error index when the client reports one).
 */
export function registrationError(error: unknown, names: readonly string[], op: 'read' | 'write'): unknown {
  if (error instanceof RegistrationError || !(error instanceof SnmpError)) return error;
  let result: RegistrationError;
  if (error.kind === 'timeout') {
    result = new RegistrationError('unreachable', `device did not answer while registering (the ${op} timed out)`);
  } else if (error.kind === 'error-status') {
    const refused = error.errorIndex !== undefined && names[error.errorIndex - 1] !== undefined ? [names[error.errorIndex - 1]] : names;
    const what = op === 'write' ? refused.join(', ') : `reading ${refused.join(', ')}`;
    result = new RegistrationError('refused', `device refused ${what}: ${error.status ?? 'error'}`);
  } else {
    // Socket failures and undecodable answers: the device cannot be talked to.
    result = new RegistrationError('unreachable', `device could not be reached while registering: ${error.message}`);
  }
  result.cause = error;
  return result;
}

/** The four octets of a dotted-quad IPv4 address, or undefined. */
export function parseIpv4(address: string): number[] | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return undefined;
  const octets = address.split('.').map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

export function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Throws invalid-address unless `address` is IPv4 (and `port`, when given, is 1..65535). */
export function requireIpv4(address: string, why: string, port?: number): number[] {
  const octets = parseIpv4(address);
  if (!octets) {
    const v6 = address.includes(':') ? ' (IPv6 is not supported)' : '';
    throw new RegistrationError('invalid-address', `manager address "${address}" is not an IPv4 dotted quad${v6}: ${why}`);
  }
  if (octets.every((o) => o === 0)) {
    throw new RegistrationError('invalid-address', `manager address "${address}" is unspecified: ${why}`);
  }
  if (port !== undefined && !isPort(port)) {
    throw new RegistrationError('invalid-address', `manager port ${port} is not 1..65535`);
  }
  return octets;
}
