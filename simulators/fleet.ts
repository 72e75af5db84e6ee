import { ApcUpsDevice } from './devices/apc-ups.js';
import { DEVICE_KINDS, type Clock, type DeviceKind, type DeviceSettings, type SimDevice } from './devices/device.js';
import { NetBotzDevice } from './devices/netbotz.js';
import { RackPduDevice } from './devices/pdu.js';
import { PriscanSimDevice } from './devices/sim.js';
import { loadSnmprecFile, SnmprecDevice } from './devices/snmprec.js';
import { Rfc1628UpsDevice } from './devices/ups.js';
import type { VarBind } from '../src/snmp/message.js';

export interface FleetEntry {
  kind: DeviceKind;
  count: number;
}

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
  /** First upsAlarmId of `ups` devices (to exercise wrapping). */
  upsFirstAlarmId?: number;
  clock?: Clock;
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
    const needsRecording = o.devices.some((e) => e.kind === 'snmprec');
    if (needsRecording && !o.snmprecFile) throw new FleetSpecError('snmprec devices need a recording: pass --snmprec FILE');
    const recording = needsRecording ? loadSnmprecFile(o.snmprecFile as string) : [];
    const devices: SimDevice[] = [];
    let i = 0;
    for (const entry of o.devices) {
      for (let n = 0; n < entry.count; n++, i++) {
        const settings: DeviceSettings = {
          address: deviceAddress(o.baseAddress, i),
          port: o.port,
          readCommunity: o.readCommunity,
          writeCommunity: o.writeCommunity,
          clock: o.clock ?? systemClock,
          apcTrapPort: o.apcTrapPort,
          onBatteryRepeatMs: o.onBatteryRepeatMs,
        };
        devices.push(createDevice(entry.kind, settings, { recording, upsFirstAlarmId: o.upsFirstAlarmId }));
      }
    }
    return devices;
  }
}

function createDevice(
  kind: DeviceKind,
  settings: DeviceSettings,
  extra: { recording: VarBind[]; upsFirstAlarmId: number | undefined },
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
    case 'snmprec':
      return new SnmprecDevice(settings, extra.recording);
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
