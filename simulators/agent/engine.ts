import type { Clock } from '../../src/clock.js';
import { USM_STATS } from '../../src/profiles/oids.js';
import { VarType } from '../../src/snmp/message.js';
import { MAX_ENGINE_VALUE, MAX_MESSAGE_SIZE, type LocalEngine, type UsmRejectionReason } from '../../src/snmp/v3.js';
import type { DeviceMib } from './mib.js';

/** The documentation enterprise number (RFC 5612) the simulators' MIB lives under. */
const SIM_ENTERPRISE = 32473;
/** RFC 3411 SnmpEngineID format 1: the rest is an IPv4 address. */
const ENGINE_ID_FORMAT_IPV4 = 1;

/** SNMP-FRAMEWORK-MIB snmpEngine group (RFC 3411), which a v3 agent shows. */
export const SNMP_ENGINE = {
  id: '1.3.6.1.6.3.10.2.1.1.0',
  boots: '1.3.6.1.6.3.10.2.1.2.0',
  time: '1.3.6.1.6.3.10.2.1.3.0',
  maxMessageSize: '1.3.6.1.6.3.10.2.1.4.0',
} as const;

/**
 * A device's engine ID (RFC 3411 SnmpEngineID): the enterprise number with its high bit set,
 * format 1 and the device's IPv4 address, e.g. 80007ED9017F000A01 for 127.0.10.1. Stable for
 * an address, so a receiver configured for it (snmptrapd's `createUser -e`) keeps working.
 */
export function deviceEngineId(address: string): Buffer {
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new RangeError(`engine IDs are derived from IPv4 addresses, not "${address}"`);
  }
  const id = Buffer.alloc(9);
  id.writeUInt32BE((0x80000000 | SIM_ENTERPRISE) >>> 0, 0);
  id.writeUInt8(ENGINE_ID_FORMAT_IPV4, 4);
  octets.forEach((o, i) => id.writeUInt8(o, 5 + i));
  return id;
}

/**
 * engineBoots for a device's first start when none is given: whole seconds since 2020. A
 * simulator keeps no state between runs, and a manager refuses an engine whose boots go back
 * (RFC 3414 3.2.7), so each run must start above the last one's; 2^31-1 is reached in 2088.
 */
export function defaultFirstBoots(clock: Pick<Clock, 'now'>): number {
  return Math.min(MAX_ENGINE_VALUE, Math.max(1, Math.floor((clock.now() - Date.UTC(2020, 0, 1)) / 1000)));
}

/** The SNMP engine of one simulated device: authoritative for requests to it and for its traps. */
export class DeviceEngine implements LocalEngine {
  private bootCount: number;
  private bootedAt: number;

  constructor(
    readonly engineId: Buffer,
    private readonly clock: Pick<Clock, 'now'>,
    firstBoots: number,
  ) {
    if (!Number.isInteger(firstBoots) || firstBoots < 1 || firstBoots >= MAX_ENGINE_VALUE) {
      throw new RangeError(`engineBoots must be a whole number from 1 to ${MAX_ENGINE_VALUE - 1}`);
    }
    this.bootCount = firstBoots;
    this.bootedAt = clock.now();
  }

  get boots(): number {
    return this.bootCount;
  }

  /** snmpEngineTime: seconds since the last boot. */
  time(): number {
    return Math.min(MAX_ENGINE_VALUE, Math.max(0, Math.floor((this.clock.now() - this.bootedAt) / 1000)));
  }

  /** A reboot: engineBoots goes up (it stops at 2^31-1, where RFC 3414 says the engine is unusable). */
  reboot(): void {
    this.bootCount = Math.min(MAX_ENGINE_VALUE, this.bootCount + 1);
    this.bootedAt = this.clock.now();
  }

  /** Shows the engine and its usmStats counters in the device's MIB, as a v3 agent does. */
  install(mib: DeviceMib, stats: Readonly<Record<UsmRejectionReason, number>>): void {
    mib.addScalar(SNMP_ENGINE.id, VarType.OctetString, this.engineId);
    mib.addScalar(SNMP_ENGINE.boots, VarType.Integer, () => this.boots);
    mib.addScalar(SNMP_ENGINE.time, VarType.Integer, () => this.time());
    mib.addScalar(SNMP_ENGINE.maxMessageSize, VarType.Integer, MAX_MESSAGE_SIZE);
    for (const [reason, oid] of Object.entries(USM_STATS) as Array<[UsmRejectionReason, string]>) {
      mib.addScalar(oid, VarType.Counter32, () => stats[reason] >>> 0);
    }
  }
}
