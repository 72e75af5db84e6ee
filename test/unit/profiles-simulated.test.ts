import { describe, expect, it } from 'vitest';
import { ApcUpsDevice } from '../../simulators/devices/apc-ups.js';
import type { SimDevice } from '../../simulators/devices/device.js';
import { NetBotzDevice } from '../../simulators/devices/netbotz.js';
import { RackPduDevice } from '../../simulators/devices/pdu.js';
import { PriscanSimDevice } from '../../simulators/devices/sim.js';
import { Rfc1628UpsDevice } from '../../simulators/devices/ups.js';
import type { Severity } from '../../src/alarms/model.js';
import { scanAlarms, specOf } from '../../src/scanning/evaluate.js';
import { builtinProfiles } from '../helpers/profiles.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';
import { simSettings } from '../helpers/devices.js';

type ProfileName = string;
const profileFor = (sysObjectId: string) => builtinProfiles().select(sysObjectId);

const settings = simSettings({ address: '127.0.99.1' });

type Expected = Record<string, { code: string; severity: Severity }>;

/** RFC 1628 well-known alarms by the severity the profile gives them. */
const UPS_BY_SEVERITY: Record<Severity, string[]> = {
  critical: ['lowBattery', 'depletedBattery', 'outputBad', 'outputOverload', 'upsOutputOff', 'upsSystemOff', 'fuseFailure',
    'generalFault', 'awaitingPower', 'shutdownImminent'],
  warning: ['batteryBad', 'onBattery', 'tempBad', 'inputBad', 'onBypass', 'bypassBad', 'chargerFailed', 'fanFailure',
    'diagnosticTestFailed', 'communicationsLost', 'shutdownPending'],
  info: ['outputOffAsRequested', 'upsOffAsRequested', 'testInProgress'],
};
const UPS_EXPECTED: Expected = Object.fromEntries(
  Object.entries(UPS_BY_SEVERITY).flatMap(([severity, names]) =>
    names.map((name) => [name, { code: `ups.${name}`, severity: severity as Severity }]),
  ),
);

interface Kind {
  kind: string;
  make: () => SimDevice;
  profile: ProfileName;
  /**
   * Fewest requests a scan needs, alarm sources and readings together: one GET for all scalars,
   * one walk per table column (this fake client walks columns one by one; net-snmp puts them all in each GETBULK).
   */
  requests: Array<'get' | 'subtree'>;
  expected: Expected;
}

const KINDS: Kind[] = [
  {
    kind: 'sim',
    make: () => new PriscanSimDevice(settings),
    profile: 'priscan-sim',
    requests: ['subtree', 'subtree', 'subtree'],
    expected: {
      onBattery: { code: 'sim.2', severity: 'critical' },
      lowBattery: { code: 'sim.3', severity: 'critical' },
      overload: { code: 'sim.8', severity: 'critical' },
      fanFailure: { code: 'sim.16', severity: 'warning' },
      tempHigh: { code: 'sim.101', severity: 'warning' },
      doorOpen: { code: 'sim.201', severity: 'warning' },
      selfTest: { code: 'sim.301', severity: 'info' },
    },
  },
  {
    kind: 'ups',
    make: () => new Rfc1628UpsDevice(settings),
    profile: 'rfc1628-ups',
    requests: ['get', 'subtree', 'subtree', 'subtree', 'subtree', 'subtree', 'subtree'],
    expected: UPS_EXPECTED,
  },
  {
    kind: 'apc-ups',
    make: () => new ApcUpsDevice(settings),
    profile: 'apc-ups',
    requests: ['get'],
    expected: {
      onBattery: { code: 'apc.onBattery', severity: 'warning' },
      lowBattery: { code: 'apc.lowBattery', severity: 'critical' },
      batteryFault: { code: 'apc.batteryFault', severity: 'critical' },
      powerModuleFailure: { code: 'apc.powerModuleFailure', severity: 'critical' },
      loadAlarmViolation: { code: 'apc.loadAlarmViolation', severity: 'warning' },
      redundancyLost: { code: 'apc.redundancyLost', severity: 'warning' },
      systemFanFailure: { code: 'apc.systemFanFailure', severity: 'warning' },
    },
  },
  {
    kind: 'pdu',
    make: () => new RackPduDevice(settings),
    profile: 'apc-rpdu',
    requests: ['subtree', 'subtree', 'subtree'],
    expected: {
      overload: { code: 'pdu.phaseOverload', severity: 'critical' },
      nearOverload: { code: 'pdu.phaseNearOverload', severity: 'warning' },
      lowLoad: { code: 'pdu.phaseLowLoad', severity: 'info' },
      phase2Overload: { code: 'pdu.phaseOverload', severity: 'critical' },
      phase3Overload: { code: 'pdu.phaseOverload', severity: 'critical' },
    },
  },
  {
    kind: 'netbotz',
    make: () => new NetBotzDevice(settings),
    profile: 'netbotz',
    requests: Array<'subtree'>(10).fill('subtree'),
    expected: {
      tempHigh: { code: 'netbotz.valueTooHigh', severity: 'critical' },
      tempLow: { code: 'netbotz.valueTooLow', severity: 'warning' },
      doorOpen: { code: 'netbotz.valueError', severity: 'warning' },
    },
  },
];

describe.each(KINDS)('simulated $kind device', ({ make, profile: profileName, requests, expected }) => {
  const device = make();
  const profile = profileFor(device.identity.sysObjectId);

  it(`is recognised as ${profileName}, and the test covers every alarm it supports`, () => {
    expect(profile?.name).toBe(profileName);
    expect(Object.keys(expected).sort()).toEqual([...device.supportedAlarms].sort());
  });

  it('has no alarms at rest, read with the fewest requests', async () => {
    const client = new FakeSnmpClient(make().mib);
    expect(await scanAlarms(specOf(profile!), client)).toEqual([]);
    expect(client.requests.map((r) => r.op)).toEqual(requests);
  });

  it.each(Object.entries(expected))('%s raises exactly one alarm, and clearing it leaves none', async (name, { code, severity }) => {
    const fresh = make();
    fresh.raise(name);
    try {
      const client = new FakeSnmpClient(fresh.mib);
      const alarms = await scanAlarms(specOf(profile!), client);
      expect(alarms).toHaveLength(1);
      expect(alarms[0]).toMatchObject({ code, severity });
      expect(alarms[0]?.key).toMatch(new RegExp(`:${code.replace(/\./g, '\\.')}$`));
      expect(client.requests.map((r) => r.op)).toEqual(requests);
    } finally {
      // Clearing also stops the UPS's repeating on-battery timer.
      fresh.clear(name);
    }
    // A NetBotz keeps the resolved condition as a row: Resolved=1 is not an alarm.
    expect(await scanAlarms(specOf(profile!), new FakeSnmpClient(fresh.mib))).toEqual([]);
  });
});

describe('simulated devices with several alarms at once', () => {
  it('keeps each alarm key stable while others come and go', async () => {
    const ups = new Rfc1628UpsDevice(settings);
    const profile = profileFor(ups.identity.sysObjectId)!;
    ups.raise('onBattery');
    try {
      const [first] = await scanAlarms(specOf(profile), new FakeSnmpClient(ups.mib));
      ups.raise('lowBattery');
      const both = await scanAlarms(specOf(profile), new FakeSnmpClient(ups.mib));
      expect(both.map((a) => a.code)).toEqual(['ups.onBattery', 'ups.lowBattery']);
      expect(both[0]?.key).toBe(first?.key);
      ups.clear('lowBattery');
      expect(await scanAlarms(specOf(profile), new FakeSnmpClient(ups.mib))).toEqual([first]);
    } finally {
      ups.clear('onBattery');
    }
  });

  it('reports each PDU phase on its own row', async () => {
    const pdu = new RackPduDevice(settings);
    const profile = profileFor(pdu.identity.sysObjectId)!;
    for (const name of ['overload', 'phase2Overload', 'phase3Overload']) pdu.raise(name);
    const alarms = await scanAlarms(specOf(profile), new FakeSnmpClient(pdu.mib));
    expect(alarms.map((a) => [a.key, a.description])).toEqual([
      ['rPDU2PhaseStatusLoadState:1:pdu.phaseOverload', 'Phase 1 overloaded'],
      ['rPDU2PhaseStatusLoadState:2:pdu.phaseOverload', 'Phase 2 overloaded'],
      ['rPDU2PhaseStatusLoadState:3:pdu.phaseOverload', 'Phase 3 overloaded'],
    ]);
  });

  it('gives a NetBotz condition raised again a new key (a new error condition row)', async () => {
    const netbotz = new NetBotzDevice(settings);
    const profile = profileFor(netbotz.identity.sysObjectId)!;
    netbotz.raise('tempHigh');
    const [first] = await scanAlarms(specOf(profile), new FakeSnmpClient(netbotz.mib));
    netbotz.clear('tempHigh');
    netbotz.raise('tempHigh');
    const [second] = await scanAlarms(specOf(profile), new FakeSnmpClient(netbotz.mib));
    expect(second?.code).toBe(first?.code);
    expect(second?.key).not.toBe(first?.key);
    expect(second?.description).toBe('Value too high on sensor nbHawkEnc_0_TEMP1');
  });
});
