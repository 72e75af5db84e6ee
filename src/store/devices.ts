import type Database from 'better-sqlite3';
import type { StoreSession } from './session.js';
import { addressKey, canonicalAddress, NOT_AN_ADDRESS } from '../snmp/address.js';
import type { AuthProtocol, PrivProtocol, SecurityLevel, UsmUser } from '../snmp/usm.js';

/** v1/v2c credentials. */
export interface CommunitySnmp {
  version: '1' | '2c';
  readCommunity: string;
  writeCommunity: string;
  notifyCommunity: string | null;
}

/** v3: one USM user for requests and the device's notifications. */
export interface UsmSnmp {
  version: '3';
  usm: UsmUser;
  contextName: string | null;
}

export type DeviceSnmp = CommunitySnmp | UsmSnmp;

/** removed: priscan took its registration off a device it no longer monitors. */
export const REGISTRATION_STATES = ['pending', 'registered', 'failed', 'removed', 'manual'] as const;

export interface DeviceState {
  reachable: boolean | null;
  lastScanAt: number | null;
  lastScanMs: number | null;
  lastError: string | null;
  sysObjectId: string | null;
  sysDescr: string | null;
  registration: (typeof REGISTRATION_STATES)[number];
  registrationError: string | null;
  registeredAt: number | null;
}

export interface DeviceRecord {
  id: number;
  name: string;
  address: string;
  port: number;
  snmp: DeviceSnmp;
  /** A profile's name, or 'auto': chosen by sysObjectID at first contact. */
  profile: string;
  resolvedProfile: string | null;
  priorityScanning: boolean;
  intervalSeconds: number;
  timeoutMs: number;
  retries: number;
  /** Where the device stands (a data center, a room): scopes thresholds and filters; null when not set. */
  site: string | null;
  origin: 'api' | 'config';
  createdAt: number;
  state: DeviceState;
}

export type NewDevice = Omit<DeviceRecord, 'id' | 'createdAt' | 'resolvedProfile' | 'state'>;
export type DeviceChanges = Partial<Omit<NewDevice, 'origin'>>;

export interface ScanRecord {
  at: number;
  durationMs: number;
  ok: boolean;
  error: string | null;
  /** Whether the device answered at all; default: same as ok. A device can answer and still fail a scan. */
  reachable?: boolean;
}

export interface RegistrationRecord {
  at: number;
  state: DeviceState['registration'];
  error: string | null;
}

/** A device's name or address is already taken. The message never carries a community. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';

  constructor(
    readonly field: 'name' | 'address',
    value: string,
  ) {
    const why = field === 'address' ? ' (one device per address: notifications are matched by their source address)' : '';
    super(`a device with ${field} ${JSON.stringify(value)} already exists${why}`);
  }
}

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
>;

export type DeviceInsert = ConfigParams & { origin: string; created_at: number };
export type DeviceUpdate = ConfigParams & { id: number; forget_identity: number; forget_profile: number };

/** What a backend runs for the devices: one method per statement; writes say whether the device existed. */
export interface DeviceStatements {
  list(): DeviceRow[];
  listByOrigin(origin: DeviceRecord['origin']): DeviceRow[];
  get(id: number): DeviceRow | undefined;
  getByName(name: string): DeviceRow | undefined;
  getByAddress(address: string): DeviceRow | undefined;
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
  'profile', 'priority_scanning', 'interval_s', 'timeout_ms', 'retries', 'site',
] as const satisfies readonly (keyof ConfigParams)[];

/** The devices priscan monitors: their configuration and their last known state. */
export class DevicesRepository {
  constructor(private readonly deps: { statements: DeviceStatements; session: StoreSession; clock: { now(): number } }) {}

  list(): DeviceRecord[] {
    return this.deps.statements.list().map(toRecord);
  }

  /** Only the devices from one origin: at start-up the config's devices, without reading every API-added one. */
  listByOrigin(origin: DeviceRecord['origin']): DeviceRecord[] {
    return this.deps.statements.listByOrigin(origin).map(toRecord);
  }

  get(id: number): DeviceRecord | undefined {
    const row = this.deps.statements.get(id);
    return row && toRecord(row);
  }

  getByName(name: string): DeviceRecord | undefined {
    const row = this.deps.statements.getByName(name);
    return row && toRecord(row);
  }

  /** The device at `address`, however it is spelled. */
  getByAddress(address: string): DeviceRecord | undefined {
    const row = this.deps.statements.getByAddress(addressKey(address));
    return row && toRecord(row);
  }

  count(): number {
    return this.deps.statements.count();
  }

  /** When each device was last scanned and its safety-net interval: three columns, for a check at every scrape. */
  scanTimes(): Map<number, { lastScanAt: number | null; intervalSeconds: number }> {
    return new Map(this.deps.statements.scanTimes().map((r) => [r.id, { lastScanAt: r.last_scan_at, intervalSeconds: r.interval_s }]));
  }

  /** Adds a device; throws StoreConflictError if its name or address is taken. */
  insert(device: NewDevice): DeviceRecord {
    const { statements, clock } = this.deps;
    const params = configParams(device);
    const id = this.writing(params, () => statements.insert({ ...params, origin: device.origin, created_at: clock.now() }));
    return toRecord(statements.get(id) as DeviceRow);
  }

  /** Changes a device's configuration; its state is kept. Throws for an unknown id or a conflict. */
  update(id: number, changes: DeviceChanges): DeviceRecord {
    const { statements, session } = this.deps;
    return this.writing(
      { name: changes.name ?? '', address: changes.address ?? '' },
      () =>
        session.write(() => {
          const current = statements.get(id);
          if (!current) throw unknownDevice(id);
          const merged = { ...toNewDevice(current), ...definedOnly(changes) };
          const params = configParams(merged);
          const addressChanged = params.address !== current.address;
          // What `auto` resolved, and the identity read, belong to the device as it was.
          const forgetProfile = addressChanged || merged.profile !== current.profile;
          statements.update({ ...params, id, forget_identity: addressChanged ? 1 : 0, forget_profile: forgetProfile ? 1 : 0 });
          // Whether it answered, its last error and its registration were about the old address and
          // port: an error naming them must not outlive them. Unknown and pending until tried again.
          if (addressChanged || params.port !== current.port) statements.forgetEndpointState(id);
          return toRecord(statements.get(id) as DeviceRow);
        }),
    );
  }

  /** Deletes the row; its active alarms cascade away unlogged: features use Store.removeDevice. */
  delete(id: number): boolean {
    return this.deps.statements.delete(id);
  }

  setResolvedProfile(id: number, profile: string, sysObjectId: string | null, sysDescr: string | null): void {
    if (!this.deps.statements.setResolvedProfile({ id, profile, sys_object_id: sysObjectId, sys_descr: sysDescr })) throw unknownDevice(id);
  }

  recordScan(id: number, scan: ScanRecord): void {
    const reachable = (scan.reachable ?? scan.ok) ? 1 : 0;
    if (!this.deps.statements.recordScan({ id, at: scan.at, ms: scan.durationMs, reachable, error: scan.error })) throw unknownDevice(id);
  }

  /** Records a registration attempt; `registeredAt` moves only when it succeeded. */
  recordRegistration(id: number, registration: RegistrationRecord): void {
    const { at, state, error } = registration;
    if (!this.deps.statements.recordRegistration({ id, at, state, error })) throw unknownDevice(id);
  }

  /**
   * Runs a write of `device`, turning a UNIQUE violation into a StoreConflictError. The value
   * named is the canonical one, as stored.
   */
  private writing<T>(device: Pick<ConfigParams, 'name' | 'address'>, write: () => T): T {
    try {
      return write();
    } catch (error) {
      const violated = this.deps.session.uniqueViolation(error);
      if (violated === 'devices.name') throw new StoreConflictError('name', device.name);
      if (violated === 'devices.address') throw new StoreConflictError('address', canonicalAddress(device.address) ?? device.address);
      throw error;
    }
  }
}

export function unknownDevice(id: number): Error {
  return new Error(`unknown device id ${String(id)}`);
}

export function sqliteDeviceStatements(db: Database.Database): DeviceStatements {
  const columns = CONFIG_COLUMNS.join(', ');
  const values = CONFIG_COLUMNS.map((column) => `@${column}`).join(', ');
  const list = db.prepare<[], DeviceRow>('SELECT * FROM devices ORDER BY id');
  const listByOrigin = db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE origin = ? ORDER BY id');
  const get = db.prepare<[number], DeviceRow>('SELECT * FROM devices WHERE id = ?');
  const getByName = db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE name = ?');
  const getByAddress = db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE address = ?');
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

function snmpParams(snmp: DeviceSnmp): Omit<ConfigParams, 'name' | 'address' | 'port' | 'profile' | 'priority_scanning' | 'interval_s' | 'timeout_ms' | 'retries' | 'site'> {
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
function configParams(device: Omit<NewDevice, 'origin'>): ConfigParams {
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
  };
}

/** The fields that are set: a change that names a field as undefined leaves it as it was. */
export function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function toNewDevice(row: DeviceRow): Omit<NewDevice, 'origin'> {
  const { id: _id, createdAt: _createdAt, resolvedProfile: _resolved, state: _state, origin: _origin, ...device } = toRecord(row);
  return device;
}

function toRecord(row: DeviceRow): DeviceRecord {
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
