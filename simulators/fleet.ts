import { existsSync } from 'node:fs';
import { ApcUpsDevice } from './devices/apc-ups.js';
import { DEVICE_KINDS, type Clock, type DeviceKind, type DeviceSettings, type SimDevice } from './devices/device.js';
import { NetBotzDevice } from './devices/netbotz.js';
import { MAX_CHAIN_UNITS, RackPduDevice } from './devices/pdu.js';
import { PriscanSimDevice } from './devices/sim.js';
import { loadSnmprecFile } from './devices/snmprec.js';
import { SNMPREC_REGISTRATIONS, SnmprecDevice, type AlertPresent, type SnmprecOptions, type SnmprecRegistration } from './devices/snmprec-device.js';
import { checkedOid } from './devices/recorded-values.js';
import { bundledRecording } from './recordings/index.js';
import { Rfc1628UpsDevice } from './devices/ups.js';
import type { VarBind } from '../src/snmp/message.js';
import { AUTH_PROTOCOLS, checkUser, DES_UNAVAILABLE, desAvailable, KeyCache, PRIV_PROTOCOLS, SECURITY_LEVELS, type UsmUser } from '../src/snmp/usm.js';

export interface FleetEntry {
  kind: DeviceKind;
  count: number;
  /** These devices' SNMPv3 user instead of the fleet's; null: none, v1/v2c only. */
  v3User?: UsmUser | null;
  /** For `snmprec` entries: what they replay and how, instead of the fleet's snmprec options. */
  recording?: RecordingOptions;
  /** For `pdu-chain` entries: how many PDUs each card chains (2 to 4), instead of the fleet's. */
  units?: number;
}

/** What `snmprec` devices replay, how managers register on them, and what they send after a change. */
export interface RecordingOptions {
  file?: string;
  /** Default 'none': the recording alone, as recorded. */
  registration?: SnmprecRegistration;
  notification?: AlertPresent;
}

/** How devices send notifications: as their registration says, or as v3 where it only gives a community. */
export const NOTIFICATION_MODES = ['registered', 'v3'] as const;
export type NotificationMode = (typeof NOTIFICATION_MODES)[number];

export interface FleetOptions {
  devices: readonly FleetEntry[];
  /** First device address; the rest follow it (x.y.z.0 and x.y.z.255 are skipped). */
  baseAddress?: string;
  port?: number;
  readCommunity?: string;
  writeCommunity?: string;
  apcTrapPort?: number;
  onBatteryRepeatMs?: number;
  /** Recording replayed by `snmprec` devices. */
  snmprecFile?: string;
  /** Registration table `snmprec` devices emulate (default none). */
  snmprecRegistration?: SnmprecRegistration;
  /** Notification `snmprec` devices send when asked after a change. */
  snmprecNotification?: AlertPresent;
  /** First upsAlarmId of `ups` devices (to exercise wrapping). */
  upsFirstAlarmId?: number;
  /** PDUs daisy-chained behind each `pdu-chain` card, 2 to 4 (default 4). */
  pduChainUnits?: number;
  clock?: Clock;
  /** The SNMPv3 (USM) user every device has besides its communities; it has write access. */
  v3User?: UsmUser;
  /** engineBoots of every v3 device at start; default: seconds since 2020, so a new run never goes back. */
  engineBoots?: number;
  /**
   * 'v3': devices with a v3 user send the notifications of hidden-table and APC registrations
   * (which give a community only) as v3 with that user. RFC 3413 rows say their version themselves.
   */
  notifications?: NotificationMode;
}

export const FLEET_DEFAULTS = {
  baseAddress: '127.0.10.1',
  port: 161,
  readCommunity: 'public',
  writeCommunity: 'private',
  apcTrapPort: 162,
  onBatteryRepeatMs: 60_000,
} as const;

/** Most devices one fleet may hold (a /16 of loopback addresses). */
export const MAX_FLEET_SIZE = 65_000;

export class FleetSpecError extends Error {}

/** Parses `ups:10,apc-ups:10,netbotz:5` (a bare kind means one device). */
export function parseFleetSpec(spec: string): FleetEntry[] {
  const entries = spec.split(',').map((part) => part.trim()).filter(Boolean);
  if (entries.length === 0) throw new FleetSpecError('no devices given; expected e.g. ups:10,apc-ups:10,netbotz:10,pdu:10,sim:10');
  return entries.map((part) => {
    const [kind, countText, extra] = part.split(':');
    if (!DEVICE_KINDS.includes(kind as DeviceKind)) {
      throw new FleetSpecError(`unknown device kind "${kind}" in "${part}"; kinds are ${DEVICE_KINDS.join(', ')}`);
    }
    const count = countText === undefined ? 1 : /^\d{1,6}$/.test(countText) ? Number(countText) : NaN;
    if (extra !== undefined || !Number.isInteger(count) || count < 1 || count > MAX_FLEET_SIZE) {
      throw new FleetSpecError(`"${part}": the count must be a whole number from 1 to ${MAX_FLEET_SIZE}`);
    }
    return { kind: kind as DeviceKind, count };
  });
}

/** The i-th device address after `base`, within 127.0.0.0/8 and skipping .0 and .255 hosts. */
export function deviceAddress(base: string, i: number): string {
  const octets = base.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new FleetSpecError(`base address "${base}" is not an IPv4 address`);
  }
  if (octets[0] !== 127) {
    throw new FleetSpecError(`base address ${base} is not loopback: simulated devices live on 127.0.0.0/8 only`);
  }
  // Each x.y.z.0/24 block offers hosts 1..254; count across blocks.
  let block = ((octets[1] as number) << 8) | (octets[2] as number);
  const host = octets[3] as number;
  if (host === 255) block++;
  const offset = (host === 0 || host === 255 ? 0 : host - 1) + i;
  block += Math.floor(offset / 254);
  if (block > 0xffff) throw new FleetSpecError(`the fleet does not fit in 127.0.0.0/8 after ${base}`);
  return `127.${block >> 8}.${block & 0xff}.${(offset % 254) + 1}`;
}

const systemClock: Clock = { now: () => Date.now() };

/** Many simulated devices in one process, each on its own loopback address. */
export class Fleet {
  private readonly byId = new Map<string, SimDevice>();

  constructor(private readonly options: FleetOptions) {}

  get devices(): SimDevice[] {
    return [...this.byId.values()];
  }

  get(id: string): SimDevice | undefined {
    return this.byId.get(id);
  }

  async start(): Promise<void> {
    const devices = this.createDevices();
    const results = await Promise.allSettled(devices.map((d) => d.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(devices.map((d, i) => (results[i]?.status === 'fulfilled' ? d.stop() : undefined)));
      throw failed.reason;
    }
    for (const device of devices) this.byId.set(device.id, device);
  }

  async stop(): Promise<void> {
    const devices = this.devices;
    this.byId.clear();
    await Promise.all(devices.map((d) => d.stop()));
  }

  private createDevices(): SimDevice[] {
    const o = { ...FLEET_DEFAULTS, ...definedOnly(this.options), devices: this.options.devices };
    const total = o.devices.reduce((sum, e) => sum + e.count, 0);
    if (total > MAX_FLEET_SIZE) throw new FleetSpecError(`${total} devices is more than one fleet holds (${MAX_FLEET_SIZE})`);
    const recordings = new RecordingCache();
    if (o.notifications !== undefined && !NOTIFICATION_MODES.includes(o.notifications)) {
      throw new FleetSpecError(`notifications must be one of ${NOTIFICATION_MODES.join(', ')}`);
    }
    if (o.engineBoots !== undefined && !(Number.isInteger(o.engineBoots) && o.engineBoots >= 1 && o.engineBoots < 0x7fffffff)) {
      throw new FleetSpecError('engineBoots must be a whole number from 1 to 2147483646');
    }
    // One cache for the fleet: every device derives the same user keys, then localizes them.
    const keys = new KeyCache();
    for (const units of [o.pduChainUnits, ...o.devices.map((e) => e.units)]) {
      if (units !== undefined && !(Number.isInteger(units) && units >= 2 && units <= MAX_CHAIN_UNITS)) {
        throw new FleetSpecError(`a PDU chain has 2 to ${MAX_CHAIN_UNITS} units, not ${String(units)}`);
      }
    }
    const devices: SimDevice[] = [];
    let i = 0;
    for (const entry of o.devices) {
      const user = entry.v3User === undefined ? o.v3User : (entry.v3User ?? undefined);
      if (user) checkV3User(user);
      const v3 = user && { user, keys, firstBoots: o.engineBoots, notifyAsV3: o.notifications === 'v3' };
      const replay = entry.kind === 'snmprec' ? recordings.replay({ file: o.snmprecFile, registration: o.snmprecRegistration, notification: o.snmprecNotification, ...definedOnly(entry.recording ?? {}) }) : undefined;
      for (let n = 0; n < entry.count; n++, i++) {
        const settings: DeviceSettings = {
          address: deviceAddress(o.baseAddress, i),
          port: o.port,
          readCommunity: o.readCommunity,
          writeCommunity: o.writeCommunity,
          clock: o.clock ?? systemClock,
          apcTrapPort: o.apcTrapPort,
          onBatteryRepeatMs: o.onBatteryRepeatMs,
          v3,
        };
        devices.push(createDevice(entry.kind, settings, { replay, upsFirstAlarmId: o.upsFirstAlarmId, chainUnits: entry.units ?? o.pduChainUnits }));
      }
    }
    return devices;
  }
}

/** Each recording file is read and parsed once per fleet, however many devices replay it. */
class RecordingCache {
  private readonly parsed = new Map<string, VarBind[]>();

  replay(options: RecordingOptions): Replay {
    if (!options.file) throw new FleetSpecError('snmprec devices need a recording: pass --snmprec FILE');
    const registration = options.registration ?? 'none';
    if (!SNMPREC_REGISTRATIONS.includes(registration)) {
      throw new FleetSpecError(`snmprec registration must be one of ${SNMPREC_REGISTRATIONS.join(', ')}, got "${String(registration)}"`);
    }
    if (options.notification) checkNotification(options.notification);
    // A bundled recording's name (eaton-xups) works from any directory; a path wins if it exists.
    const file = existsSync(options.file) ? options.file : (bundledRecording(options.file) ?? options.file);
    let recording = this.parsed.get(file);
    if (!recording) {
      recording = loadSnmprecFile(file);
      this.parsed.set(file, recording);
    }
    return { recording, options: { source: file, registration, notification: options.notification } };
  }
}

interface Replay {
  recording: VarBind[];
  options: SnmprecOptions;
}

function checkNotification(notification: AlertPresent): void {
  const oids: Array<[string, string]> = [['snmprec notification', notification.trapOid], ...(notification.objects ?? []).map((o): [string, string] => ['snmprec notification object', o])];
  for (const [what, oid] of oids) {
    try {
      checkedOid(oid, what);
    } catch (error) {
      throw new FleetSpecError((error as Error).message);
    }
  }
}

function createDevice(
  kind: DeviceKind,
  settings: DeviceSettings,
  extra: { replay: Replay | undefined; upsFirstAlarmId: number | undefined; chainUnits: number | undefined },
): SimDevice {
  switch (kind) {
    case 'sim':
      return new PriscanSimDevice(settings);
    case 'ups':
      return new Rfc1628UpsDevice(settings, { firstAlarmId: extra.upsFirstAlarmId });
    case 'apc-ups':
      return new ApcUpsDevice(settings);
    case 'netbotz':
      return new NetBotzDevice(settings);
    case 'pdu':
      return new RackPduDevice(settings);
    case 'pdu-chain':
      return new RackPduDevice(settings, extra.chainUnits ?? MAX_CHAIN_UNITS);
    case 'snmprec':
      return new SnmprecDevice(settings, extra.replay!.recording, extra.replay!.options);
  }
}

/** Refuses a v3 user a device could not serve, with a message that never holds a password. */
export function checkV3User(user: UsmUser): void {
  const named = `SNMPv3 user "${user.name}"`;
  if (!SECURITY_LEVELS.includes(user.level)) throw new FleetSpecError(`${named}: the level must be one of ${SECURITY_LEVELS.join(', ')}`);
  if (user.level !== 'noAuthNoPriv' && user.authProtocol !== undefined && !AUTH_PROTOCOLS.includes(user.authProtocol)) {
    throw new FleetSpecError(`${named}: the auth protocol must be one of ${AUTH_PROTOCOLS.join(', ')}`);
  }
  if (user.level === 'authPriv' && user.privProtocol !== undefined && !PRIV_PROTOCOLS.includes(user.privProtocol)) {
    throw new FleetSpecError(`${named}: the privacy protocol must be one of ${PRIV_PROTOCOLS.join(', ')}`);
  }
  const problem = checkUser(user);
  if (problem) throw new FleetSpecError(`${named}: ${problem}`);
  if (user.level === 'authPriv' && user.privProtocol === 'des' && !desAvailable()) throw new FleetSpecError(`${named}: ${DES_UNAVAILABLE}`);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
