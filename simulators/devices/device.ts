import { SNMPV2 } from '../../src/profiles/oids.js';
import { DeviceAgent, type AgentCounters } from '../agent/agent.js';
import { defaultFirstBoots, DeviceEngine, deviceEngineId } from '../agent/engine.js';
import type { Fault, FaultMode } from '../agent/faults.js';
export { FAULT_MODES, type FaultMode } from '../agent/faults.js';
import { DeviceMib } from '../agent/mib.js';
import type { CommunityTarget, Notification, NotificationTarget, V3Target } from '../agent/notification.js';
import { VarType } from '../../src/snmp/message.js';
import { SimReadings, type ReadingSpec, type ReadingStatus } from './readings.js';
import type { AuthProtocol, KeyCache, PrivProtocol, SecurityLevel, UsmUser } from '../../src/snmp/usm.js';

export const DEVICE_KINDS = ['sim', 'ups', 'apc-ups', 'netbotz', 'pdu', 'pdu-chain', 'snmprec'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Milliseconds since the epoch; injected so tests control time. */
export interface Clock {
  now(): number;
}

export interface DeviceSettings {
  address: string;
  port: number;
  readCommunity: string;
  writeCommunity: string;
  clock: Clock;
  /** Where APC devices send traps: their receiver table has no port column. */
  apcTrapPort: number;
  /** How often a UPS on battery repeats upsTrapOnBattery (RFC 1628: every minute). */
  onBatteryRepeatMs: number;
  /** Path of the recording a `snmprec` device replays. */
  snmprecFile?: string;
  /** The device's SNMPv3 user, besides its communities; none: v1/v2c only. */
  v3?: DeviceV3Settings;
}

export interface DeviceV3Settings {
  /** Checked by the fleet (checkUser, DES availability). */
  user: UsmUser;
  /** Shared by a fleet: deriving a key from a password hashes 1 MiB. */
  keys: KeyCache;
  /** engineBoots at the first start; default: seconds since 2020 (see defaultFirstBoots). */
  firstBoots?: number;
  /** Send notifications for hidden-table and APC registrations (community only) as v3 with the user. */
  notifyAsV3?: boolean;
}

/** How managers register on a device, and who is registered now. */
export interface RegistrationModel {
  readonly method: 'hidden-table' | 'rfc3413' | 'apc-receiver-table' | 'none';
  install(mib: DeviceMib): void;
  targets(): NotificationTarget[];
  /** Forgets every registration, as a card that lost its configuration. */
  clear(): void;
}

export class UnknownAlarmError extends Error {}

export interface DeviceIdentity {
  kind: DeviceKind;
  sysDescr: string;
  sysObjectId: string;
  registration: RegistrationModel;
  /** False for recordings: they answer exactly what was recorded, nothing generated. */
  systemGroup?: boolean;
  /** For a device with no named readings: what changes its values instead (errors say it). */
  readingsInstead?: string;
}

/** A registered manager as the control API shows it: never a password. */
export type ManagerStatus =
  | Pick<CommunityTarget, 'address' | 'port' | 'community' | 'version' | 'type'>
  | Pick<V3Target, 'address' | 'port' | 'securityName' | 'securityLevel' | 'version' | 'type' | 'community'>;

/** The device's SNMPv3 side as the control API shows it: never a password. */
export interface V3Status {
  user: string;
  level: SecurityLevel;
  authProtocol: AuthProtocol | null;
  privProtocol: PrivProtocol | null;
  /** Hex, as snmptrapd's `createUser -e` takes it. */
  engineId: string;
  engineBoots: number;
  engineTime: number;
}

export interface DeviceStatus {
  id: string;
  kind: DeviceKind;
  address: string;
  port: number;
  online: boolean;
  dropRate: number;
  /** How the agent answers: 'none' correctly, otherwise like a broken agent. */
  fault: Fault;
  registrationMethod: RegistrationModel['method'];
  alarms: string[];
  supportedAlarms: readonly string[];
  /** Sensor values the device serves, by MIB object name, in raw units; `held` while set by hand. */
  readings: ReadingStatus[];
  managers: ManagerStatus[];
  /** null: the device speaks v1 and v2c only. */
  v3: V3Status | null;
  counters: AgentCounters;
}

/**
 * One simulated device. Subclasses fill the MIB and say what each named
 * alarm changes; this class owns the system group, uptime, notifications,
 * reboots, offline mode and notification loss.
 */
export abstract class SimDevice {
  readonly mib = new DeviceMib();
  readonly agent: DeviceAgent;
  /** The device's SNMPv3 engine, when it has a v3 user. */
  readonly engine: DeviceEngine | undefined;
  /** The sensor values it serves; tests set them by hand with setReading. */
  readonly readings: SimReadings;
  abstract readonly supportedAlarms: readonly string[];
  private readonly active = new Set<string>();
  private bootedAt: number;
  private dropRate = 0;
  private random: () => number;

  constructor(
    protected readonly settings: DeviceSettings,
    readonly identity: DeviceIdentity,
  ) {
    this.bootedAt = settings.clock.now();
    this.random = seededRandom(hashAddress(settings.address));
    this.readings = new SimReadings(`${identity.kind} device ${settings.address}`, identity.readingsInstead);
    const v3 = settings.v3;
    this.engine = v3 && new DeviceEngine(deviceEngineId(settings.address), settings.clock, v3.firstBoots ?? defaultFirstBoots(settings.clock));
    this.agent = new DeviceAgent({
      address: settings.address,
      port: settings.port,
      readCommunity: settings.readCommunity,
      writeCommunity: settings.writeCommunity,
      mib: this.mib,
      uptime: () => this.uptime(),
      sysObjectId: () => identity.sysObjectId,
      clock: settings.clock,
      ...(v3 && this.engine ? { v3: { user: v3.user, keys: v3.keys, engine: this.engine } } : {}),
    });
    if (identity.systemGroup !== false) {
      this.addSystemGroup();
      this.engine?.install(this.mib, this.agent.counters.usm);
    }
    identity.registration.install(this.mib);
  }

  private addSystemGroup(): void {
    const { kind, sysDescr, sysObjectId } = this.identity;
    this.mib.addScalar(SNMPV2.sysDescr, VarType.OctetString, Buffer.from(sysDescr));
    this.mib.addScalar(SNMPV2.sysObjectID, VarType.OID, sysObjectId);
    this.mib.addScalar(SNMPV2.sysUpTime, VarType.TimeTicks, () => this.uptime());
    this.mib.addScalar(SNMPV2.sysContact, VarType.OctetString, Buffer.from('noc@example.com'));
    this.mib.addScalar(SNMPV2.sysName, VarType.OctetString, Buffer.from(`${kind}-${this.settings.address}`));
    this.mib.addScalar(SNMPV2.sysLocation, VarType.OctetString, Buffer.from('priscan simulated rack'));
  }

  get id(): string {
    return this.settings.address;
  }

  get kind(): DeviceKind {
    return this.identity.kind;
  }

  get address(): string {
    return this.settings.address;
  }

  /** sysUpTime: hundredths of a second since the last boot, wrapping at 2^32. */
  uptime(): number {
    return Math.floor((this.settings.clock.now() - this.bootedAt) / 10) % 2 ** 32;
  }

  async start(): Promise<void> {
    await this.agent.start();
  }

  async stop(): Promise<void> {
    this.stopTimers();
    await this.agent.stop();
  }

  activeAlarms(): string[] {
    return [...this.active];
  }

  /** Raises a named alarm; false when it was already active. */
  raise(name: string): boolean {
    this.checkAlarmName(name);
    if (this.active.has(name)) return false;
    this.active.add(name);
    this.applyRaise(name);
    return true;
  }

  /** Clears a named alarm; false when it was not active. */
  clear(name: string): boolean {
    this.checkAlarmName(name);
    if (!this.active.delete(name)) return false;
    this.applyClear(name);
    return true;
  }

  isActive(name: string): boolean {
    return this.active.has(name);
  }

  /**
   * Serves `value` for a reading until cleared (raw units of its MIB object): a sensor past a
   * threshold only priscan knows. Changes no alarm. Throws UnknownReadingError or
   * ReadingValueError, changing nothing.
   */
  setReading(name: string, value: number): void {
    this.readings.set(name, value);
    this.readingChanged(name);
  }

  /** Returns a reading to what the device simulates; false when it was not set by hand. */
  clearReading(name: string): boolean {
    const released = this.readings.release(name);
    if (released) this.readingChanged(name);
    return released;
  }

  /** Restarts the card: registrations are lost, uptime and engineTime restart, engineBoots goes up, coldStart goes out. */
  reboot(): void {
    const previous = this.targets();
    this.identity.registration.clear();
    this.bootedAt = this.settings.clock.now();
    this.engine?.reboot();
    this.agent.rebooted();
    // The managers registered when it went down hear the coldStart and know to re-register.
    for (const target of previous) this.sendTo(target, { trapOid: SNMPV2.coldStart, varbinds: [] });
  }

  setOnline(online: boolean): void {
    this.agent.responding = online;
  }

  /** Makes the agent answer like a broken one (FaultMode); 'none' restores correct answers. */
  setFault(mode: FaultMode, options: { delayMs?: number } = {}): void {
    this.agent.setFault(mode, options.delayMs);
  }

  setDropRate(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError('drop rate must be between 0 and 1');
    this.dropRate = rate;
  }

  status(): DeviceStatus {
    return {
      id: this.id,
      kind: this.kind,
      address: this.address,
      port: this.agent.port,
      online: this.agent.responding,
      dropRate: this.dropRate,
      fault: this.agent.fault,
      registrationMethod: this.identity.registration.method,
      alarms: this.activeAlarms(),
      supportedAlarms: this.supportedAlarms,
      readings: this.readings.list(),
      managers: this.targets().map(managerStatus),
      v3: this.v3Status(),
      counters: { ...this.agent.counters, usm: { ...this.agent.counters.usm } },
    };
  }

  private v3Status(): V3Status | null {
    const user = this.settings.v3?.user;
    if (!user || !this.engine) return null;
    return {
      user: user.name,
      level: user.level,
      authProtocol: user.level === 'noAuthNoPriv' ? null : (user.authProtocol ?? null),
      privProtocol: user.level === 'authPriv' ? (user.privProtocol ?? null) : null,
      engineId: this.engine.engineId.toString('hex'),
      engineBoots: this.engine.boots,
      engineTime: this.engine.time(),
    };
  }

  /** Where notifications go now: the registrations, as v3 with the device's user where the fleet says so. */
  private targets(): NotificationTarget[] {
    const registered = this.identity.registration.targets();
    const v3 = this.settings.v3;
    // RFC 3413 registrations say their version themselves; the others can only give a community.
    if (!v3?.notifyAsV3 || this.identity.registration.method === 'rfc3413') return registered;
    return registered.map((target): NotificationTarget => {
      if (target.version === 'v3') return target;
      const { address, port, type, timeoutMs, retries } = target;
      return { address, port, type, timeoutMs, retries, version: 'v3', securityName: v3.user.name, securityLevel: v3.user.level };
    });
  }

  /** Sends a notification to every registered manager; returns how many it was meant for (before loss). */
  protected notify(notification: Notification): number {
    const targets = this.targets();
    for (const target of targets) this.sendTo(target, notification);
    return targets.length;
  }

  private sendTo(target: NotificationTarget, notification: Notification): void {
    if (this.dropRate > 0 && this.random() < this.dropRate) {
      this.agent.counters.notificationsDropped++;
      return;
    }
    this.agent.send(target, notification);
  }

  /** A reading served as a scalar at its instance OID, always its current value. */
  protected serveReading(spec: ReadingSpec, type: VarType): void {
    this.readings.define(spec);
    this.mib.addScalar(spec.oid, type, () => this.readings.value(spec.name));
  }

  /** Devices that keep a reading in a table cell write it again here. */
  protected readingChanged(_name: string): void {}

  protected abstract applyRaise(name: string): void;
  protected abstract applyClear(name: string): void;
  /** Subclasses with periodic behaviour stop it here. */
  protected stopTimers(): void {}

  private checkAlarmName(name: string): void {
    if (!this.supportedAlarms.includes(name)) {
      throw new UnknownAlarmError(
        `${this.kind} device ${this.id} has no alarm "${name}"; it supports: ${this.supportedAlarms.join(', ') || 'none'}`,
      );
    }
  }
}

function managerStatus(target: NotificationTarget): ManagerStatus {
  const { address, port, version, type } = target;
  if (target.version === 'v3') return { address, port, version: target.version, type, securityName: target.securityName, securityLevel: target.securityLevel };
  return { address, port, community: target.community, version: target.version, type };
}

/** mulberry32: a small seeded generator, so notification loss is reproducible per device. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashAddress(address: string): number {
  let h = 2166136261;
  for (const ch of address) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}
