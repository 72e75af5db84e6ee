import { addressKey } from '../snmp/address.js';
import type { UsmUser } from '../snmp/usm.js';
import { configParams, snmpColumns, toNewDevice, toRecord, type ConfigParams, type DeviceRow, type DeviceStatements } from './device-rows.js';
import type { StoreSession } from './session.js';

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

  /** The shadows reached through this lead, oldest first (none for any other device). */
  shadowsOf(leadId: number): DeviceRecord[] {
    return this.deps.statements.shadowsOf(leadId).map(toRecord);
  }

  /**
   * Adds a device; throws StoreConflictError if its name or address (or its place behind a lead's
   * address) is taken, ShadowRelationError for a shadow the store cannot hold. A shadow takes its
   * lead's credentials.
   */
  insert(device: NewDevice): DeviceRecord {
    const { statements, session, clock } = this.deps;
    return session.write(() => {
      const params = throughLead(statements, configParams(device), undefined);
      const id = this.writing(params, () => statements.insert({ ...params, origin: device.origin, created_at: clock.now() }));
      return toRecord(statements.get(id) as DeviceRow);
    });
  }

  /**
   * Changes a device's configuration; its state is kept. A lead's new address, port or
   * credentials are its shadows' too. Throws for an unknown id, a conflict or a relation the
   * store cannot hold (see insert).
   */
  update(id: number, changes: DeviceChanges): DeviceRecord {
    const { statements, session } = this.deps;
    return session.write(() => {
      const current = statements.get(id);
      if (!current) throw unknownDevice(id);
      const merged = { ...toNewDevice(current), ...definedOnly(changes) };
      const params = throughLead(statements, configParams(merged), id);
      const addressChanged = params.address !== current.address;
      const moved = addressChanged || params.port !== current.port;
      // What `auto` resolved, and the identity read, belong to the device as it was.
      const forgetProfile = addressChanged || merged.profile !== current.profile;
      this.writing(params, () => statements.update({ ...params, id, forget_identity: addressChanged ? 1 : 0, forget_profile: forgetProfile ? 1 : 0 }));
      // Whether it answered, its last error and its registration were about the old address and
      // port: an error naming them must not outlive them. Unknown and pending until tried again.
      if (moved) statements.forgetEndpointState(id);
      // A lead's shadows are reached through it: they follow its address, port and credentials.
      const shadows = statements.shadowsOf(id);
      if (shadows.length > 0) {
        const { address, port } = params;
        this.writing(params, () => statements.followLead({ ...snmpColumns(params), lead_id: id, address, port }));
        if (moved) for (const shadow of shadows) statements.forgetEndpointState(shadow.id);
      }
      return toRecord(statements.get(id) as DeviceRow);
    });
  }

  /** Deletes the row; its active alarms cascade away unlogged: features use Store.removeDevice. A lead with shadows is refused. */
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
   * Runs a write of `device` (its columns as written: the address canonical), turning a UNIQUE
   * violation into a StoreConflictError. Both backends name a violated index by its columns.
   */
  private writing<T>(device: Pick<ConfigParams, 'name' | 'address' | 'chain_position'>, write: () => T): T {
    try {
      return write();
    } catch (error) {
      const violated = this.deps.session.uniqueViolation(error);
      if (violated === 'devices.name') throw new StoreConflictError('name', JSON.stringify(device.name));
      if (violated === 'devices.address, devices.chain_position') throw new StoreConflictError('chainPosition', `${device.chain_position} at ${device.address}`);
      if (violated === 'devices.address') throw new StoreConflictError('address', JSON.stringify(device.address));
      throw error;
    }
  }
}

export function unknownDevice(id: number): Error {
  return new Error(`unknown device id ${String(id)}`);
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
  const lead = statements.get(params.lead_id);
  if (params.lead_id === id) throw new ShadowRelationError(`${name} cannot be its own lead`);
  if (!lead) throw new ShadowRelationError(`no device with id ${params.lead_id} to be the lead of ${name}`);
  if (lead.lead_id !== null) {
    throw new ShadowRelationError(`${lead.name} is itself a shadow (of device ${lead.lead_id}): a lead has no lead, so ${name} cannot be its shadow (leads are one level deep)`);
  }
  const shadows = id === undefined ? [] : statements.shadowsOf(id);
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

/** The fields that are set: a change that names a field as undefined leaves it as it was. */
export function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
}
