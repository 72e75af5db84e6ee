import { describe, expect, it } from 'vitest';
import { ApcUpsDevice } from '../../simulators/devices/apc-ups.js';
import type { DeviceSettings, SimDevice } from '../../simulators/devices/device.js';
import { NetBotzDevice } from '../../simulators/devices/netbotz.js';
import { RackPduDevice } from '../../simulators/devices/pdu.js';
import { PriscanSimDevice } from '../../simulators/devices/sim.js';
import { Rfc1628UpsDevice } from '../../simulators/devices/ups.js';
import type { Alarm } from '../../src/alarms/model.js';
import { APC, IF_MIB, NETBOTZ, NET_SNMP, PRISCAN_SIM, UPS_MIB } from '../../src/profiles/oids.js';
import { selectProfile } from '../../src/profiles/registry.js';
import type { Profile } from '../../src/profiles/schema.js';
import { alarmsFromData, readPlan, scanAlarms, specOf, type ScanData } from '../../src/scanning/evaluate.js';
import { builtinProfile as getProfile, builtinProfiles } from '../helpers/profiles.js';
import { SnmpError, type SnmpClient, type SnmpVarbind } from '../../src/snmp/client.js';

// --- varbinds as a device answers them --------------------------------------

const int = (oid: string, value: number): SnmpVarbind => ({ oid, type: 'Integer', value });
const str = (oid: string, text: string): SnmpVarbind => ({ oid, type: 'OctetString', value: Buffer.from(text) });
const objectId = (oid: string, value: string): SnmpVarbind => ({ oid, type: 'OID', value });
const cell = (entry: string, col: number, index: string | number): string => `${entry}.${col}.${index}`;
/** A DisplayString table index: length, then one arc per byte. */
const stringIndex = (text: string): string => [text.length, ...Buffer.from(text)].join('.');

/** A recorded agent: answers GET and walks from one captured list of varbinds, and records what it was asked. */
class RecordedAgent implements SnmpClient {
  readonly requests: Array<{ op: 'get' | 'subtree'; oids: string[] }> = [];
  /** SNMPv1 behaviour: a GET naming a missing object fails as a whole with noSuchName. */
  v1 = false;

  constructor(private readonly capture: readonly SnmpVarbind[]) {}

  async get(oids: readonly string[]): Promise<SnmpVarbind[]> {
    this.requests.push({ op: 'get', oids: [...oids] });
    const found = oids.map((oid) => this.capture.find((vb) => vb.oid === oid));
    if (this.v1 && found.includes(undefined)) throw new SnmpError('error-status', 'noSuchName', 'noSuchName');
    return oids.map((oid, i) => found[i] ?? { oid, type: 'NoSuchObject', value: null });
  }

  async subtree(oid: string): Promise<SnmpVarbind[]> {
    this.requests.push({ op: 'subtree', oids: [oid] });
    return this.capture.filter((vb) => vb.oid.startsWith(`${oid}.`));
  }

  async set(): Promise<void> {
    throw new Error('a scan never writes');
  }

  close(): void {}
}

type ProfileName = string;
const PROFILE_NAMES = builtinProfiles().names();
const profileFor = (sysObjectId: string) => builtinProfiles().select(sysObjectId);

/** What a scan of `profile` reads from a capture, without any client. */
function readingsFrom(profile: Profile, capture: readonly SnmpVarbind[]): ScanData {
  const plan = readPlan(specOf(profile));
  const scalars = new Map<string, SnmpVarbind>();
  for (const oid of plan.scalars) scalars.set(oid, capture.find((vb) => vb.oid === oid) ?? { oid, type: 'NoSuchObject', value: null });
  const columns = new Map(plan.columns.map((oid) => [oid, capture.filter((vb) => vb.oid.startsWith(`${oid}.`))]));
  return { scalars, columns };
}

const alarm = (key: string, severity: Alarm['severity'], code: string, description: string): Alarm => ({ key, severity, code, description });

// --- profile selection -------------------------------------------------------

function settings(): DeviceSettings {
  return {
    address: '127.0.99.1',
    port: 161,
    readCommunity: 'public',
    writeCommunity: 'private',
    clock: { now: () => 1_700_000_000_000 },
    apcTrapPort: 162,
    onBatteryRepeatMs: 60_000,
  };
}

describe('profileFor', () => {
  const simulated: Array<[string, (s: DeviceSettings) => SimDevice, ProfileName]> = [
    ['sim', (s) => new PriscanSimDevice(s), 'priscan-sim'],
    ['ups', (s) => new Rfc1628UpsDevice(s), 'rfc1628-ups'],
    ['apc-ups', (s) => new ApcUpsDevice(s), 'apc-ups'],
    ['pdu', (s) => new RackPduDevice(s), 'apc-rpdu'],
    ['netbotz', (s) => new NetBotzDevice(s), 'netbotz'],
  ];
  it.each(simulated)('selects the profile of the simulated %s device', (_kind, make, expected) => {
    expect(profileFor(make(settings()).identity.sysObjectId)?.name).toBe(expected);
  });

  it.each<[string, ProfileName | undefined]>([
    [APC.productUps, 'apc-ups'],
    [`${APC.productUps}.1`, 'apc-ups'],
    [`${APC.productUps}.1.5`, 'apc-ups'],
    ['1.3.6.1.4.1.318.1.3.21', undefined],
    ['1.3.6.1.4.1.318.1.3', undefined],
    ['1.3.6.1.4.1.318.1.3.4.6', 'apc-rpdu'],
    ['1.3.6.1.4.1.318.1.3.41', undefined],
    ['1.3.6.1.4.1.8072.3.2.10', 'net-snmp'],
    ['.1.3.6.1.4.1.8072.3.2.10', 'net-snmp'],
    ['1.3.6.1.4.1.8072.3.20', undefined],
    [`${NETBOTZ.product}.2013`, 'netbotz'],
    [PRISCAN_SIM.productSim, 'priscan-sim'],
    ['1.3.6.1.4.1.32473.1.3.10', undefined],
    [PRISCAN_SIM.productUps, 'rfc1628-ups'],
    [PRISCAN_SIM.productSnmprec, undefined],
    ['', undefined],
  ])('%s -> %s', (sysObjectId, expected) => {
    expect(profileFor(sysObjectId)?.name).toBe(expected);
  });

  it('prefers the longest matching prefix', () => {
    const vendor = { ...getProfile('apc-ups'), match: { sysObjectId: ['1.3.6.1.4.1.318'] } };
    const model = { ...getProfile('apc-rpdu'), match: { sysObjectId: ['1.3.6.1.4.1.318.1.3.4'] } };
    for (const order of [[vendor, model], [model, vendor]]) {
      expect(selectProfile(order, '1.3.6.1.4.1.318.1.3.4.6')?.name).toBe('apc-rpdu');
      expect(selectProfile(order, '1.3.6.1.4.1.318.1.3.2.1')?.name).toBe('apc-ups');
      expect(selectProfile(order, '1.3.6.1.4.1.3180')).toBeUndefined();
    }
  });
});

describe('the built-in profile files', () => {
  it.each(PROFILE_NAMES)('%s is registered under its own name, with unique source ids', (name) => {
    const profile = getProfile(name);
    expect(profile.name).toBe(name);
    const ids = profile.alarms.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses an unknown name', () => {
    expect(() => getProfile('nope' as ProfileName)).toThrow(/unknown profile "nope"/);
  });
});

// --- decoding recorded varbinds ----------------------------------------------

const SIM = PRISCAN_SIM.alarmEntry;
const SC = PRISCAN_SIM.alarmCol;
const UPS = UPS_MIB.upsAlarmEntry;
const WK = UPS_MIB.wellKnownAlarms;
const PDU = APC.rPDU2PhaseStatusEntry;
const PC = APC.rPDU2PhaseCol;
const NB = NETBOTZ.errorCondEntry;
const NC = NETBOTZ.errorCondCol;
const COND1 = stringIndex('nbErrorCond_1');
const COND2 = stringIndex('nbErrorCond_2');
const COND3 = stringIndex('nbErrorCond_3');
const IF = IF_MIB.ifEntry;

function errorCondition(index: string, severity: number, typeId: string, resolved: number, sensorId: string): SnmpVarbind[] {
  return [
    int(cell(NB, NC.severity, index), severity),
    str(cell(NB, NC.typeId, index), typeId),
    int(cell(NB, NC.startTime, index), 1_700_000_000),
    int(cell(NB, NC.resolved, index), resolved),
    str(cell(NB, NC.sensorId, index), sensorId),
  ];
}

interface DecodeCase {
  name: string;
  profile: ProfileName;
  capture: SnmpVarbind[];
  expected: Alarm[];
}

const decodeCases: DecodeCase[] = [
  {
    name: 'priscan-sim rows in index order whatever the answer order; unknown severity is a warning; a half-seen row is skipped',
    profile: 'priscan-sim',
    capture: [
      int(cell(SIM, SC.severity, 12), 9), int(cell(SIM, SC.severity, 3), 3), int(cell(SIM, SC.severity, 7), 1),
      int(cell(SIM, SC.code, 3), 2), int(cell(SIM, SC.code, 7), 301), int(cell(SIM, SC.code, 12), 16),
      str(cell(SIM, SC.descr, 3), 'UPS on battery'), str(cell(SIM, SC.descr, 7), 'Self test in progress'),
      str(cell(SIM, SC.descr, 12), 'Fan failure'), str(cell(SIM, SC.descr, 13), 'Rack door open'),
    ],
    expected: [
      alarm('priscanAlarmTable:3:sim.2', 'critical', 'sim.2', 'UPS on battery'),
      alarm('priscanAlarmTable:7:sim.301', 'info', 'sim.301', 'Self test in progress'),
      alarm('priscanAlarmTable:12:sim.16', 'warning', 'sim.16', 'Fan failure'),
    ],
  },
  {
    name: 'rfc1628-ups well-known and unknown alarms',
    profile: 'rfc1628-ups',
    capture: [
      int(UPS_MIB.upsAlarmsPresent, 5),
      objectId(cell(UPS, UPS_MIB.upsAlarmCol.descr, 5), `${WK}.2`),
      objectId(cell(UPS, UPS_MIB.upsAlarmCol.descr, 6), `${WK}.3`),
      objectId(cell(UPS, UPS_MIB.upsAlarmCol.descr, 9), '1.3.6.1.4.1.534.1.7.99'),
      objectId(cell(UPS, UPS_MIB.upsAlarmCol.descr, 2147483647), `.${WK}.24`),
      { oid: cell(UPS, UPS_MIB.upsAlarmCol.time, 5), type: 'TimeTicks', value: 1234 },
    ],
    expected: [
      alarm('upsAlarmTable:5:ups.onBattery', 'warning', 'ups.onBattery', 'UPS on battery'),
      alarm('upsAlarmTable:6:ups.lowBattery', 'critical', 'ups.lowBattery', 'UPS battery low'),
      alarm('upsAlarmTable:9:ups.unknownAlarm', 'warning', 'ups.unknownAlarm', 'UPS alarm 1.3.6.1.4.1.534.1.7.99'),
      alarm('upsAlarmTable:2147483647:ups.testInProgress', 'info', 'ups.testInProgress', 'UPS test in progress'),
    ],
  },
  {
    name: 'apc-ups scalars and flags; battery fault raised once; the summary alarm status raises nothing',
    profile: 'apc-ups',
    capture: [
      int(APC.upsBasicOutputStatus, APC.outputStatus.onBattery),
      int(APC.upsBasicBatteryStatus, APC.batteryStatus.inFault),
      int(APC.upsBasicStateAlarmStatus, APC.alarmStatus.critical),
      str(APC.upsAdvStateAbnormalConditions, '10010000000000100001000000000000'),
    ],
    expected: [
      alarm('upsBasicOutputStatus:0:apc.onBattery', 'warning', 'apc.onBattery', 'UPS on battery'),
      alarm('upsBasicBatteryStatus:0:apc.batteryFault', 'critical', 'apc.batteryFault', 'UPS battery fault'),
      alarm('upsAdvStateAbnormalConditions:1:apc.powerModuleFailure', 'critical', 'apc.powerModuleFailure', 'UPS power module failure'),
      alarm('upsAdvStateAbnormalConditions:15:apc.systemFanFailure', 'warning', 'apc.systemFanFailure', 'UPS system fan failure'),
      alarm('upsAdvStateAbnormalConditions:20:apc.abnormalCondition', 'warning', 'apc.abnormalCondition', 'UPS abnormal condition flag 20'),
    ],
  },
  {
    name: 'apc-ups battery failure seen only as flag 4',
    profile: 'apc-ups',
    capture: [
      int(APC.upsBasicOutputStatus, APC.outputStatus.off),
      int(APC.upsBasicBatteryStatus, APC.batteryStatus.normal),
      str(APC.upsAdvStateAbnormalConditions, '00010000000000000000000000000000'),
    ],
    expected: [
      alarm('upsBasicOutputStatus:0:apc.outputOff', 'critical', 'apc.outputOff', 'UPS output off'),
      alarm('upsAdvStateAbnormalConditions:4:apc.batteryFault', 'critical', 'apc.batteryFault', 'UPS battery fault'),
    ],
  },
  {
    name: 'apc-ups: missing objects and values of the wrong type raise nothing',
    profile: 'apc-ups',
    capture: [
      str(APC.upsBasicOutputStatus, '3'),
      { oid: APC.upsBasicBatteryStatus, type: 'NoSuchInstance', value: null },
      str(APC.upsAdvStateAbnormalConditions, 'Not available'),
    ],
    expected: [],
  },
  {
    name: 'apc-rpdu phases out of normal, labelled by phase number (index when the number is missing)',
    profile: 'apc-rpdu',
    capture: [
      int(cell(PDU, PC.number, 1), 1), int(cell(PDU, PC.number, 2), 2), int(cell(PDU, PC.number, 3), 3),
      int(cell(PDU, PC.loadState, 1), APC.loadState.overload),
      int(cell(PDU, PC.loadState, 2), APC.loadState.normal),
      int(cell(PDU, PC.loadState, 3), APC.loadState.nearOverload),
      int(cell(PDU, PC.loadState, 4), APC.loadState.lowLoad),
      int(cell(PDU, PC.current, 1), 330),
    ],
    expected: [
      alarm('rPDU2PhaseStatusLoadState:1:pdu.phaseOverload', 'critical', 'pdu.phaseOverload', 'Phase 1 overloaded'),
      alarm('rPDU2PhaseStatusLoadState:3:pdu.phaseNearOverload', 'warning', 'pdu.phaseNearOverload', 'Phase 3 near overload'),
      alarm('rPDU2PhaseStatusLoadState:4:pdu.phaseLowLoad', 'info', 'pdu.phaseLowLoad', 'Phase 4 low load'),
    ],
  },
  {
    name: 'netbotz unresolved error conditions only',
    profile: 'netbotz',
    capture: [
      ...errorCondition(COND1, 3, 'nbErrorType_ValueTooHigh', 1, 'nbHawkEnc_0_TEMP1'),
      ...errorCondition(COND2, 3, 'nbErrorType_ValueTooHigh', 0, 'nbHawkEnc_0_TEMP1'),
      ...errorCondition(COND3, 5, 'nbErrorType_Unplugged-2', 0, ''),
      int(cell(NETBOTZ.tempSensorEntry, NETBOTZ.sensorCol.errorStatus, stringIndex('nbHawkEnc_0_TEMP1')), 3),
    ],
    expected: [
      alarm(`errorCondTable:${COND2}:netbotz.valueTooHigh`, 'critical', 'netbotz.valueTooHigh', 'Value too high on sensor nbHawkEnc_0_TEMP1'),
      // Not an error type the profile knows: one code for all such, the device's text in the description.
      alarm(`errorCondTable:${COND3}:netbotz.other`, 'critical', 'netbotz.other', 'Error condition "nbErrorType_Unplugged-2"'),
    ],
  },
  {
    name: 'netbotz warning severity and door condition',
    profile: 'netbotz',
    capture: errorCondition(COND1, 2, 'nbErrorType_ValueError', 0, 'nbHawkEnc_0_DOOR1'),
    expected: [alarm(`errorCondTable:${COND1}:netbotz.valueError`, 'warning', 'netbotz.valueError', 'Value error on sensor nbHawkEnc_0_DOOR1')],
  },
  {
    name: 'netbotz error types as BotzWare spells them',
    profile: 'netbotz',
    capture: [
      ...errorCondition(COND1, 3, 'nbErrorType_toohigh', 0, 'nbHawkEnc_1_TEMP'),
      ...errorCondition(COND2, 2, 'nbErrorType_toolow', 0, 'nbHawkEnc_1_TEMP'),
      ...errorCondition(COND3, 4, 'nbErrorType_podunpluggedsensor', 0, 'nbHawkEnc_1_HUMI'),
    ],
    expected: [
      alarm(`errorCondTable:${COND1}:netbotz.valueTooHigh`, 'critical', 'netbotz.valueTooHigh', 'Value too high on sensor nbHawkEnc_1_TEMP'),
      alarm(`errorCondTable:${COND2}:netbotz.valueTooLow`, 'warning', 'netbotz.valueTooLow', 'Value too low on sensor nbHawkEnc_1_TEMP'),
      alarm(`errorCondTable:${COND3}:netbotz.sensorUnplugged`, 'critical', 'netbotz.sensorUnplugged', 'Sensor unplugged on sensor nbHawkEnc_1_HUMI'),
    ],
  },
  {
    name: 'netbotz type and sensor text of a lying device: shortened in the description, never in the code',
    profile: 'netbotz',
    capture: errorCondition(COND1, 3, `nbErrorType_${'Z'.repeat(3000)}`, 0, `S\n${'s'.repeat(3000)}`),
    expected: [
      alarm(`errorCondTable:${COND1}:netbotz.other`, 'critical', 'netbotz.other',
        `Error condition "nbErrorType_${'Z'.repeat(116)}…" on sensor S?${'s'.repeat(126)}…`),
    ],
  },
  {
    name: 'net-snmp UCD error flags and interfaces meant to be up',
    profile: 'net-snmp',
    capture: [
      str(cell(NET_SNMP.prEntry, 2, 1), 'sshd'),
      int(cell(NET_SNMP.prEntry, 100, 1), 0), int(cell(NET_SNMP.prEntry, 100, 2), 1),
      str(cell(NET_SNMP.prEntry, 101, 1), ''), str(cell(NET_SNMP.prEntry, 101, 2), 'No cron process running'),
      int(cell(NET_SNMP.dskEntry, 100, 1), 1), str(cell(NET_SNMP.dskEntry, 101, 1), '/: less than 10% free (= 5%)'),
      int(cell(NET_SNMP.laEntry, 100, 1), 0), int(cell(NET_SNMP.laEntry, 100, 2), 1),
      str(cell(NET_SNMP.laEntry, 101, 2), ''),
      str(cell(IF, 2, 1), 'lo'), str(cell(IF, 2, 2), 'eth0'), str(cell(IF, 2, 3), 'eth1'),
      int(cell(IF, 7, 1), 1), int(cell(IF, 7, 2), 1), int(cell(IF, 7, 3), 2),
      int(cell(IF, 8, 1), 1), int(cell(IF, 8, 2), 2), int(cell(IF, 8, 3), 2),
    ],
    expected: [
      alarm('prTable:2:netsnmp.processError', 'critical', 'netsnmp.processError', 'Process check failed: No cron process running'),
      alarm('dskTable:1:netsnmp.diskError', 'warning', 'netsnmp.diskError', 'Disk check failed: /: less than 10% free (= 5%)'),
      alarm('laTable:2:netsnmp.loadError', 'warning', 'netsnmp.loadError', 'Load check failed: 2'),
      alarm('ifTable:2:netsnmp.interfaceDown', 'warning', 'netsnmp.interfaceDown', 'Interface eth0 down'),
    ],
  },
  ...PROFILE_NAMES.map((profile): DecodeCase => ({ name: `${profile} with nothing to read`, profile, capture: [], expected: [] })),
];

describe('alarmsFromReadings', () => {
  it.each(decodeCases)('$name', ({ profile, capture, expected }) => {
    const p = getProfile(profile);
    expect(alarmsFromData(specOf(p), readingsFrom(p, capture))).toEqual(expected);
  });
});

describe('a cell of the wrong type', () => {
  it('fails the scan instead of reading the row as no alarm (which would clear active alarms)', () => {
    const p = getProfile('rfc1628-ups');
    const capture = [int(UPS_MIB.upsAlarmsPresent, 1), int(cell(UPS, UPS_MIB.upsAlarmCol.descr, 10), 2)];
    expect(() => alarmsFromData(specOf(p), readingsFrom(p, capture))).toThrow(/wrong type: column 2 of row 10 holds a number where an OBJECT IDENTIFIER was expected/);
  });
});

describe('scanAlarms', () => {
  it.each(decodeCases)('reads with the fewest requests and decodes the same: $name', async ({ profile, capture, expected }) => {
    const p = getProfile(profile);
    const agent = new RecordedAgent(capture);
    expect(await scanAlarms(specOf(p), agent)).toEqual(expected);
    const plan = readPlan(specOf(p));
    expect(agent.requests).toEqual([
      ...(plan.scalars.length > 0 ? [{ op: 'get', oids: plan.scalars }] : []),
      ...plan.columns.map((oid) => ({ op: 'subtree', oids: [oid] })),
    ]);
  });

  // Alarm sources and readings together: scalars share one GET, every column one walk.
  it.each<[ProfileName, number, number]>([
    ['priscan-sim', 0, 3],
    ['rfc1628-ups', 3, 6],
    ['apc-ups', 8, 0],
    ['apc-rpdu', 0, 3],
    ['netbotz', 0, 10],
    ['net-snmp', 0, 9],
  ])('%s: %i scalars in one GET, %i columns walked side by side', (name, scalars, columns) => {
    const plan = readPlan(specOf(getProfile(name)));
    expect(plan.scalars).toHaveLength(scalars);
    expect(plan.columns).toHaveLength(columns);
  });

  it('asks an SNMPv1 agent one OID at a time after noSuchName, and the missing object raises nothing', async () => {
    const agent = new RecordedAgent([
      int(APC.upsBasicOutputStatus, APC.outputStatus.onBattery),
      int(APC.upsBasicBatteryStatus, APC.batteryStatus.low),
    ]);
    agent.v1 = true;
    expect((await scanAlarms(specOf(getProfile('apc-ups')), agent)).map((a) => a.code)).toEqual(['apc.onBattery', 'apc.lowBattery']);
    // Three alarm scalars and five readings in one GET; then each alone.
    expect(agent.requests.map((r) => r.oids.length)).toEqual([8, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('lets a timeout through to the scanner', async () => {
    const agent = new RecordedAgent([]);
    agent.get = async () => {
      throw new SnmpError('timeout', 'request timed out');
    };
    await expect(scanAlarms(specOf(getProfile('apc-ups')), agent)).rejects.toMatchObject({ kind: 'timeout' });
  });
});
