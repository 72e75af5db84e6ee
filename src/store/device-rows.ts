// The devices table as both backends store it: its row, the columns a device's configuration
// writes, the statements a backend provides, SQLite's, and the mapping between a row and a
// DeviceRecord. The rules (conflicts, leads and shadows) are in src/store/devices.ts.
import type Database from 'better-sqlite3';
import { canonicalAddress, NOT_AN_ADDRESS } from '../snmp/address.js';
import type { AuthProtocol, PrivProtocol, SecurityLevel, UsmUser } from '../snmp/usm.js';
import type { DeviceRecord, DeviceSnmp, DeviceState, NewDevice } from './devices.js';

/** A devices row as stored (both backends use these column names and 0/1 flags). */
export interface DeviceRow {
  id: number;
  name: string;
  address: string;
  port: number;
  snmp_version: DeviceSnmp['version'];
  read_community: string | null;
  write_community: string | null;
  notify_community: string | null;
  usm_user: string | null;
  usm_level: SecurityLevel | null;
  usm_auth_protocol: AuthProtocol | null;
  usm_auth_password: string | null;
  usm_priv_protocol: PrivProtocol | null;
  usm_priv_password: string | null;
  usm_context: string | null;
  profile: DeviceRecord['profile'];
  resolved_profile: string | null;
  priority_scanning: number;
  interval_s: number;
  timeout_ms: number;
  retries: number;
  site: string | null;
  lead_id: number | null;
  chain_position: number | null;
  origin: DeviceRecord['origin'];
  created_at: number;
  reachable: number | null;
  last_scan_at: number | null;
  last_scan_ms: number | null;
  last_error: string | null;
  sys_object_id: string | null;
  sys_descr: string | null;
  registration_state: DeviceState['registration'];
  registration_error: string | null;
  registered_at: number | null;
}

/** The configuration columns, as bound to INSERT and UPDATE. */
export type ConfigParams = Pick<
  DeviceRow,
  | 'name'
  | 'address'
  | 'port'
  | 'snmp_version'
  | 'read_community'
  | 'write_community'
  | 'notify_community'
  | 'usm_user'
  | 'usm_level'
  | 'usm_auth_protocol'
  | 'usm_auth_password'
  | 'usm_priv_protocol'
  | 'usm_priv_password'
  | 'usm_context'
  | 'profile'
  | 'priority_scanning'
  | 'interval_s'
  | 'timeout_ms'
  | 'retries'
  | 'site'
  | 'lead_id'
  | 'chain_position'
>;

export type DeviceInsert = ConfigParams & { origin: string; created_at: number };
export type DeviceUpdate = ConfigParams & { id: number; forget_identity: number; forget_profile: number };

/** What a backend runs for the devices: one method per statement; writes say whether the device existed. */
export interface DeviceStatements {
  list(): DeviceRow[];
  listByOrigin(origin: DeviceRecord['origin']): DeviceRow[];
  get(id: number): DeviceRow | undefined;
  getByName(name: string): DeviceRow | undefined;
  /** The device that owns the address (not a shadow: shadows share their lead's). */
  getByAddress(address: string): DeviceRow | undefined;
  shadowsOf(leadId: number): DeviceRow[];
  /** Writes a lead's address, port and credentials into each of its shadows. */
  followLead(params: SnmpParams & { lead_id: number; address: string; port: number }): void;
  count(): number;
  scanTimes(): { id: number; last_scan_at: number | null; interval_s: number }[];
  /** The new device's id. */
  insert(params: DeviceInsert): number;
  update(params: DeviceUpdate): void;
  /** Whether it answered, its last error and its registration: unknown and pending again. */
  forgetEndpointState(id: number): void;
  delete(id: number): boolean;
  setResolvedProfile(params: { id: number; profile: string; sys_object_id: string | null; sys_descr: string | null }): boolean;
  recordScan(params: { id: number; at: number; ms: number; reachable: number; error: string | null }): boolean;
  recordRegistration(params: { id: number; at: number; state: string; error: string | null }): boolean;
}

export const CONFIG_COLUMNS = [
  'name', 'address', 'port', 'snmp_version', 'read_community', 'write_community', 'notify_community',
  'usm_user', 'usm_level', 'usm_auth_protocol', 'usm_auth_password', 'usm_priv_protocol', 'usm_priv_password', 'usm_context',
  'profile', 'priority_scanning', 'interval_s', 'timeout_ms', 'retries', 'site', 'lead_id', 'chain_position',
] as const satisfies readonly (keyof ConfigParams)[];

/** The credentials' columns: a shadow's are its lead's. */
export const SNMP_COLUMNS = [
  'snmp_version', 'read_community', 'write_community', 'notify_community',
  'usm_user', 'usm_level', 'usm_auth_protocol', 'usm_auth_password', 'usm_priv_protocol', 'usm_priv_password', 'usm_context',
] as const satisfies readonly (keyof ConfigParams)[];

export type SnmpParams = Pick<ConfigParams, (typeof SNMP_COLUMNS)[number]>;

export function sqliteDeviceStatements(db: Database.Database): DeviceStatements {
  const columns = CONFIG_COLUMNS.join(', ');
  const values = CONFIG_COLUMNS.map((column) => `@${column}`).join(', ');
  const list = db.prepare<[], DeviceRow>('SELECT * FROM devices ORDER BY id');
  const listByOrigin = db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE origin = ? ORDER BY id');
  const get = db.prepare<[number], DeviceRow>('SELECT * FROM devices WHERE id = ?');
  const getByName = db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE name = ?');
  const getByAddress = db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE address = ? AND lead_id IS NULL');
  const shadowsOf = db.prepare<[number], DeviceRow>('SELECT * FROM devices WHERE lead_id = ? ORDER BY id');
  const followLead = db.prepare<[SnmpParams & { lead_id: number; address: string; port: number }]>(
    `UPDATE devices SET (address, port, ${SNMP_COLUMNS.join(', ')}) = (@address, @port, ${SNMP_COLUMNS.map((column) => `@${column}`).join(', ')})
     WHERE lead_id = @lead_id`,
  );
  const count = db.prepare<[], number>('SELECT count(*) FROM devices').pluck();
  const scanTimes = db.prepare<[], { id: number; last_scan_at: number | null; interval_s: number }>('SELECT id, last_scan_at, interval_s FROM devices');
  const insert = db.prepare<[DeviceInsert]>(`INSERT INTO devices (${columns}, origin, created_at) VALUES (${values}, @origin, @created_at)`);
  const update = db.prepare<[DeviceUpdate]>(
    `UPDATE devices SET (${columns}) = (${values}),
       resolved_profile = CASE WHEN @forget_profile THEN NULL ELSE resolved_profile END,
       sys_object_id = CASE WHEN @forget_identity THEN NULL ELSE sys_object_id END,
       sys_descr = CASE WHEN @forget_identity THEN NULL ELSE sys_descr END
     WHERE id = @id`,
  );
  const forgetEndpointState = db.prepare<[number]>(
    `UPDATE devices SET reachable = NULL, last_error = NULL, registration_state = 'pending', registration_error = NULL, registered_at = NULL
     WHERE id = ?`,
  );
  const remove = db.prepare<[number]>('DELETE FROM devices WHERE id = ?');
  const setResolvedProfile = db.prepare('UPDATE devices SET resolved_profile = @profile, sys_object_id = @sys_object_id, sys_descr = @sys_descr WHERE id = @id');
  const recordScan = db.prepare('UPDATE devices SET reachable = @reachable, last_scan_at = @at, last_scan_ms = @ms, last_error = @error WHERE id = @id');
  const recordRegistration = db.prepare(
    `UPDATE devices SET registration_state = @state, registration_error = @error,
       registered_at = CASE WHEN @state = 'registered' THEN @at ELSE registered_at END
     WHERE id = @id`,
  );
  return {
    list: () => list.all(),
    listByOrigin: (origin) => listByOrigin.all(origin),
    get: (id) => get.get(id),
    getByName: (name) => getByName.get(name),
    getByAddress: (address) => getByAddress.get(address),
    shadowsOf: (leadId) => shadowsOf.all(leadId),
    followLead: (params) => void followLead.run(params),
    count: () => count.get() ?? 0,
    scanTimes: () => scanTimes.all(),
    insert: (params) => Number(insert.run(params).lastInsertRowid),
    update: (params) => void update.run(params),
    forgetEndpointState: (id) => void forgetEndpointState.run(id),
    delete: (id) => remove.run(id).changes > 0,
    setResolvedProfile: (params) => setResolvedProfile.run(params).changes > 0,
    recordScan: (params) => recordScan.run(params).changes > 0,
    recordRegistration: (params) => recordRegistration.run(params).changes > 0,
  };
}

export function snmpColumns(row: SnmpParams): SnmpParams {
  return Object.fromEntries(SNMP_COLUMNS.map((column) => [column, row[column]])) as SnmpParams;
}

function snmpParams(snmp: DeviceSnmp): SnmpParams {
  const none = { read_community: null, write_community: null, notify_community: null, usm_user: null, usm_level: null };
  const noUsm = { usm_auth_protocol: null, usm_auth_password: null, usm_priv_protocol: null, usm_priv_password: null, usm_context: null };
  if (snmp.version !== '3') {
    return { ...none, ...noUsm, snmp_version: snmp.version, read_community: snmp.readCommunity, write_community: snmp.writeCommunity, notify_community: snmp.notifyCommunity };
  }
  const { usm } = snmp;
  return {
    ...none,
    snmp_version: '3',
    usm_user: usm.name,
    usm_level: usm.level,
    usm_auth_protocol: usm.authProtocol ?? null,
    usm_auth_password: usm.authPassword ?? null,
    usm_priv_protocol: usm.privProtocol ?? null,
    usm_priv_password: usm.privPassword ?? null,
    usm_context: snmp.contextName,
  };
}

function snmpOf(row: DeviceRow): DeviceSnmp {
  if (row.snmp_version !== '3') {
    // The schema's CHECK guarantees both communities for v1/v2c rows.
    return { version: row.snmp_version, readCommunity: row.read_community ?? '', writeCommunity: row.write_community ?? '', notifyCommunity: row.notify_community };
  }
  const usm: UsmUser = { name: row.usm_user ?? '', level: row.usm_level ?? 'noAuthNoPriv' };
  if (row.usm_auth_protocol) usm.authProtocol = row.usm_auth_protocol;
  if (row.usm_auth_password !== null) usm.authPassword = row.usm_auth_password;
  if (row.usm_priv_protocol) usm.privProtocol = row.usm_priv_protocol;
  if (row.usm_priv_password !== null) usm.privPassword = row.usm_priv_password;
  return { version: '3', usm, contextName: row.usm_context };
}

/**
 * The columns of `device`. The address column holds the canonical spelling only, so its UNIQUE
 * constraint refuses a second device at any spelling of an address already taken.
 */
export function configParams(device: Omit<NewDevice, 'origin'>): ConfigParams {
  const address = canonicalAddress(device.address);
  if (address === undefined) throw new Error(`device address ${JSON.stringify(device.address)} ${NOT_AN_ADDRESS}`);
  return {
    name: device.name,
    address,
    port: device.port,
    ...snmpParams(device.snmp),
    profile: device.profile,
    priority_scanning: device.priorityScanning ? 1 : 0,
    interval_s: device.intervalSeconds,
    timeout_ms: device.timeoutMs,
    retries: device.retries,
    site: device.site,
    lead_id: device.leadId ?? null,
    chain_position: device.chainPosition ?? null,
  };
}

export function toNewDevice(row: DeviceRow): Omit<NewDevice, 'origin'> {
  const { id: _id, createdAt: _createdAt, resolvedProfile: _resolved, state: _state, origin: _origin, ...device } = toRecord(row);
  return device;
}

export function toRecord(row: DeviceRow): DeviceRecord {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    port: row.port,
    snmp: snmpOf(row),
    profile: row.profile,
    resolvedProfile: row.resolved_profile,
    priorityScanning: row.priority_scanning === 1,
    intervalSeconds: row.interval_s,
    timeoutMs: row.timeout_ms,
    retries: row.retries,
    site: row.site,
    leadId: row.lead_id,
    chainPosition: row.chain_position,
    origin: row.origin,
    createdAt: row.created_at,
    state: {
      reachable: row.reachable === null ? null : row.reachable === 1,
      lastScanAt: row.last_scan_at,
      lastScanMs: row.last_scan_ms,
      lastError: row.last_error,
      sysObjectId: row.sys_object_id,
      sysDescr: row.sys_descr,
      registration: row.registration_state,
      registrationError: row.registration_error,
      registeredAt: row.registered_at,
    },
  };
}

