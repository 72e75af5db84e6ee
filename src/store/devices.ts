import type Database from 'better-sqlite3';
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
  /**
   * A shadow's lead: the device whose address, port and credentials it is reached through (an APC
   * PDU daisy-chained behind another's card). Null: a device of its own, or a lead.
   */
  leadId: number | null;
  /** The unit's place behind its address (an APC PDU's module number); its profile reads that unit's rows only. Null: the whole device. */
  chainPosition: number | null;
  origin: 'api' | 'config';
  createdAt: number;
  state: DeviceState;
}

export type NewDevice = Omit<DeviceRecord, 'id' | 'createdAt' | 'resolvedProfile' | 'state' | 'leadId' | 'chainPosition'> &
  Partial<Pick<DeviceRecord, 'leadId' | 'chainPosition'>>;
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

/** A device's name, address or place in a chain is already taken. The message never carries a community. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';

  constructor(
    readonly field: 'name' | 'address' | 'chainPosition',
    value: string,
  ) {
    super(`a device with ${field} ${value} already exists${CONFLICT_REASON[field]}`);
  }
}

const CONFLICT_REASON: Record<StoreConflictError['field'], string> = {
  name: '',
  address: ' (one device per address: notifications are matched by their source address)',
  chainPosition: ' (each unit behind one address has a place of its own)',
};

/**
 * A lead and shadow relation the store cannot hold: a shadow of a shadow, a shadow at another
 * address than its lead, a lead that would become a shadow, a shadow that registers itself.
 */
export class ShadowRelationError extends Error {
  override readonly name = 'ShadowRelationError';
}

interface DeviceRow {
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
type ConfigParams = Pick<
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

interface DeviceStatements {
  list: Database.Statement<[], DeviceRow>;
  listByOrigin: Database.Statement<[string], DeviceRow>;
  get: Database.Statement<[number], DeviceRow>;
  getByName: Database.Statement<[string], DeviceRow>;
  getByAddress: Database.Statement<[string], DeviceRow>;
  shadowsOf: Database.Statement<[number], DeviceRow>;
  /** A lead's address, port and credentials, written into its shadows. */
  followLead: Database.Statement<[SnmpParams & { lead_id: number; address: string; port: number }]>;
  count: Database.Statement<[], { n: number }>;
  scanTimes: Database.Statement<[], { id: number; last_scan_at: number | null; interval_s: number }>;
  insert: Database.Statement<[ConfigParams & { origin: string; created_at: number }]>;
  update: Database.Statement<[ConfigParams & { id: number; forget_identity: number; forget_profile: number }]>;
  forgetEndpointState: Database.Statement<[number]>;
  delete: Database.Statement<[number]>;
  setResolvedProfile: Database.Statement<[{ id: number; profile: string; sys_object_id: string | null; sys_descr: string | null }]>;
  recordScan: Database.Statement<[{ id: number; at: number; ms: number; reachable: number; error: string | null }]>;
  recordRegistration: Database.Statement<[{ id: number; at: number; state: string; error: string | null }]>;
}

type UpdateTx = Database.Transaction<(id: number, changes: DeviceChanges) => DeviceRecord>;
type InsertTx = Database.Transaction<(device: NewDevice) => DeviceRecord>;

const SNMP_COLUMNS =
  'snmp_version, read_community, write_community, notify_community, ' +
  'usm_user, usm_level, usm_auth_protocol, usm_auth_password, usm_priv_protocol, usm_priv_password, usm_context';
const CONFIG_COLUMNS = `name, address, port, ${SNMP_COLUMNS}, profile, priority_scanning, interval_s, timeout_ms, retries, site, lead_id, chain_position`;
const valuesOf = (columns: string) =>
  columns
    .split(', ')
    .map((column) => `@${column}`)
    .join(', ');
const CONFIG_VALUES = valuesOf(CONFIG_COLUMNS);

/** The devices priscan monitors: their configuration and their last known state. */
export class DevicesRepository {
  static prepare(db: Database.Database, clock: { now(): number }): DevicesRepository {
    const statements: DeviceStatements = {
      list: db.prepare('SELECT * FROM devices ORDER BY id'),
      listByOrigin: db.prepare('SELECT * FROM devices WHERE origin = ? ORDER BY id'),
      get: db.prepare('SELECT * FROM devices WHERE id = ?'),
      getByName: db.prepare('SELECT * FROM devices WHERE name = ?'),
      // The device that owns the address: shadows share their lead's.
      getByAddress: db.prepare('SELECT * FROM devices WHERE address = ? AND lead_id IS NULL'),
      shadowsOf: db.prepare('SELECT * FROM devices WHERE lead_id = ? ORDER BY id'),
      followLead: db.prepare(`UPDATE devices SET (address, port, ${SNMP_COLUMNS}) = (@address, @port, ${valuesOf(SNMP_COLUMNS)}) WHERE lead_id = @lead_id`),
      count: db.prepare('SELECT count(*) AS n FROM devices'),
      scanTimes: db.prepare('SELECT id, last_scan_at, interval_s FROM devices'),
      insert: db.prepare(
        `INSERT INTO devices (${CONFIG_COLUMNS}, origin, created_at)
         VALUES (${CONFIG_VALUES}, @origin, @created_at)`,
      ),
      update: db.prepare(
        `UPDATE devices SET (${CONFIG_COLUMNS}) = (${CONFIG_VALUES}),
           resolved_profile = CASE WHEN @forget_profile THEN NULL ELSE resolved_profile END,
           sys_object_id = CASE WHEN @forget_identity THEN NULL ELSE sys_object_id END,
           sys_descr = CASE WHEN @forget_identity THEN NULL ELSE sys_descr END
         WHERE id = @id`,
      ),
      forgetEndpointState: db.prepare(
        `UPDATE devices SET reachable = NULL, last_error = NULL, registration_state = 'pending', registration_error = NULL, registered_at = NULL
         WHERE id = ?`,
      ),
      delete: db.prepare('DELETE FROM devices WHERE id = ?'),
      setResolvedProfile: db.prepare(
        `UPDATE devices SET resolved_profile = @profile, sys_object_id = @sys_object_id, sys_descr = @sys_descr
         WHERE id = @id`,
      ),
      recordScan: db.prepare(
        `UPDATE devices SET reachable = @reachable, last_scan_at = @at, last_scan_ms = @ms, last_error = @error
         WHERE id = @id`,
      ),
      recordRegistration: db.prepare(
        `UPDATE devices SET registration_state = @state, registration_error = @error,
           registered_at = CASE WHEN @state = 'registered' THEN @at ELSE registered_at END
         WHERE id = @id`,
      ),
    };
    const update = db.transaction((id: number, changes: DeviceChanges): DeviceRecord => {
      const current = statements.get.get(id);
      if (!current) throw unknownDevice(id);
      const merged = { ...toNewDevice(current), ...definedOnly(changes) };
      const params = throughLead(statements, configParams(merged), id);
      const addressChanged = params.address !== current.address;
      const moved = addressChanged || params.port !== current.port;
      // What `auto` resolved, and the identity read, belong to the device as it was.
      const forgetProfile = addressChanged || merged.profile !== current.profile;
      writing(params, () =>
        statements.update.run({ ...params, id, forget_identity: addressChanged ? 1 : 0, forget_profile: forgetProfile ? 1 : 0 }),
      );
      // Whether it answered, its last error and its registration were about the old address and
      // port: an error naming them must not outlive them. Unknown and pending until tried again.
      if (moved) statements.forgetEndpointState.run(id);
      // A lead's shadows are reached through it: they follow its address, port and credentials.
      const shadows = statements.shadowsOf.all(id);
      if (shadows.length > 0) {
        const { address, port } = params;
        writing(params, () => statements.followLead.run({ ...snmpColumns(params), lead_id: id, address, port }));
        if (moved) for (const shadow of shadows) statements.forgetEndpointState.run(shadow.id);
      }
      return toRecord(statements.get.get(id) as DeviceRow);
    });
    const insert = db.transaction((device: NewDevice): DeviceRecord => {
      const params = throughLead(statements, configParams(device), undefined);
      const result = writing(params, () => statements.insert.run({ ...params, origin: device.origin, created_at: clock.now() }));
      return toRecord(statements.get.get(Number(result.lastInsertRowid)) as DeviceRow);
    });
    return new DevicesRepository({ statements, update, insert });
  }

  private constructor(private readonly deps: { statements: DeviceStatements; update: UpdateTx; insert: InsertTx }) {}

  list(): DeviceRecord[] {
    return this.deps.statements.list.all().map(toRecord);
  }

  /** Only the devices from one origin: at start-up the config's devices, without reading every API-added one. */
  listByOrigin(origin: DeviceRecord['origin']): DeviceRecord[] {
    return this.deps.statements.listByOrigin.all(origin).map(toRecord);
  }

  get(id: number): DeviceRecord | undefined {
    const row = this.deps.statements.get.get(id);
    return row && toRecord(row);
  }

  getByName(name: string): DeviceRecord | undefined {
    const row = this.deps.statements.getByName.get(name);
    return row && toRecord(row);
  }

  /** The device at `address`, however it is spelled. */
  getByAddress(address: string): DeviceRecord | undefined {
    const row = this.deps.statements.getByAddress.get(addressKey(address));
    return row && toRecord(row);
  }

  count(): number {
    return this.deps.statements.count.get()?.n ?? 0;
  }

  /** When each device was last scanned and its safety-net interval: three columns, for a check at every scrape. */
  scanTimes(): Map<number, { lastScanAt: number | null; intervalSeconds: number }> {
    return new Map(this.deps.statements.scanTimes.all().map((r) => [r.id, { lastScanAt: r.last_scan_at, intervalSeconds: r.interval_s }]));
  }

  /** The shadows reached through this lead, oldest first (none for any other device). */
  shadowsOf(leadId: number): DeviceRecord[] {
    return this.deps.statements.shadowsOf.all(leadId).map(toRecord);
  }

  /**
   * Adds a device; throws StoreConflictError if its name or address (or its place behind a lead's
   * address) is taken, ShadowRelationError for a shadow the store cannot hold. A shadow takes its
   * lead's credentials.
   */
  insert(device: NewDevice): DeviceRecord {
    return this.deps.insert.immediate(device);
  }

  /**
   * Changes a device's configuration; its state is kept. A lead's new address, port or
   * credentials are its shadows' too. Throws for an unknown id, a conflict or a relation the
   * store cannot hold (see insert).
   */
  update(id: number, changes: DeviceChanges): DeviceRecord {
    return this.deps.update.immediate(id, changes);
  }

  /** Deletes the row; its active alarms cascade away unlogged: features use Store.removeDevice. A lead with shadows is refused. */
  delete(id: number): boolean {
    return this.deps.statements.delete.run(id).changes > 0;
  }

  setResolvedProfile(id: number, profile: string, sysObjectId: string | null, sysDescr: string | null): void {
    const result = this.deps.statements.setResolvedProfile.run({ id, profile, sys_object_id: sysObjectId, sys_descr: sysDescr });
    if (result.changes === 0) throw unknownDevice(id);
  }

  recordScan(id: number, scan: ScanRecord): void {
    const result = this.deps.statements.recordScan.run({
      id,
      at: scan.at,
      ms: scan.durationMs,
      reachable: (scan.reachable ?? scan.ok) ? 1 : 0,
      error: scan.error,
    });
    if (result.changes === 0) throw unknownDevice(id);
  }

  /** Records a registration attempt; `registeredAt` moves only when it succeeded. */
  recordRegistration(id: number, registration: RegistrationRecord): void {
    const result = this.deps.statements.recordRegistration.run({
      id,
      at: registration.at,
      state: registration.state,
      error: registration.error,
    });
    if (result.changes === 0) throw unknownDevice(id);
  }
}

export function unknownDevice(id: number): Error {
  return new Error(`unknown device id ${String(id)}`);
}

/** Runs a write of `device`, turning a UNIQUE violation into a StoreConflictError. */
function writing<T>(device: Pick<ConfigParams, 'name' | 'address' | 'chain_position'>, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : '';
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      if (message.includes('devices.name')) throw new StoreConflictError('name', JSON.stringify(device.name));
      // Before the address: this index holds the address too.
      if (message.includes('devices.chain_position')) throw new StoreConflictError('chainPosition', `${device.chain_position} at ${device.address}`);
      if (message.includes('devices.address')) throw new StoreConflictError('address', JSON.stringify(device.address));
    }
    throw error;
  }
}

/**
 * The columns of a device about to be written, checked against its lead (if it has one) in the
 * write's transaction: a lead of its own, at the shadow's address and port, one level deep; a
 * shadow never registers itself (priscan registers on its lead) and has its place in the chain.
 * A shadow is reached with its lead's credentials: they are written into it. `id`: the device
 * being changed (undefined for a new one).
 */
function throughLead(statements: DeviceStatements, params: ConfigParams, id: number | undefined): ConfigParams {
  if (params.lead_id === null) return params;
  const name = params.name;
  const lead = statements.get.get(params.lead_id);
  if (params.lead_id === id) throw new ShadowRelationError(`${name} cannot be its own lead`);
  if (!lead) throw new ShadowRelationError(`no device with id ${params.lead_id} to be the lead of ${name}`);
  if (lead.lead_id !== null) {
    throw new ShadowRelationError(`${lead.name} is itself a shadow (of device ${lead.lead_id}): a lead has no lead, so ${name} cannot be its shadow (leads are one level deep)`);
  }
  const shadows = id === undefined ? [] : statements.shadowsOf.all(id);
  if (shadows.length > 0) {
    // Counted, not named: the caller may not be allowed to see every shadow.
    const count = shadows.length === 1 ? 'a shadow' : `${shadows.length} shadows`;
    throw new ShadowRelationError(`${name} is the lead of ${count}: a lead cannot become a shadow (leads are one level deep); remove its shadows or give them another lead first`);
  }
  if (params.address !== lead.address || params.port !== lead.port) {
    throw new ShadowRelationError(`a shadow is reached at its lead's address: ${lead.name} is at ${lead.address} port ${lead.port}, not ${params.address} port ${params.port}`);
  }
  if (params.priority_scanning === 1) {
    throw new ShadowRelationError(`${name} is a shadow of ${lead.name}: priscan registers on the lead only, so a shadow has priorityScanning false`);
  }
  if (params.chain_position === null) throw new ShadowRelationError(`${name} is a shadow of ${lead.name}: it needs its chainPosition, the unit's place behind ${lead.address}`);
  return { ...params, ...snmpColumns(lead) };
}

type SnmpParams = Pick<ConfigParams, 'snmp_version' | 'read_community' | 'write_community' | 'notify_community' | 'usm_user' | 'usm_level' | 'usm_auth_protocol' | 'usm_auth_password' | 'usm_priv_protocol' | 'usm_priv_password' | 'usm_context'>;

function snmpColumns(row: SnmpParams): SnmpParams {
  const { snmp_version, read_community, write_community, notify_community, usm_user, usm_level, usm_auth_protocol, usm_auth_password, usm_priv_protocol, usm_priv_password, usm_context } = row;
  return { snmp_version, read_community, write_community, notify_community, usm_user, usm_level, usm_auth_protocol, usm_auth_password, usm_priv_protocol, usm_priv_password, usm_context };
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
    lead_id: device.leadId ?? null,
    chain_position: device.chainPosition ?? null,
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
