// APC rack PDUs daisy-chained behind one card: the simulator serves every unit's phases in one
// rPDU2PhaseStatusTable (indexed straight through, rPDU2PhaseStatusModule naming the unit), and the
// apc-rpdu profile reads, for a device with a chainPosition, that unit's rows only; for a shadow
// nothing else. Read the way priscan reads them: the profile file, the evaluator, a client on the MIB.
import { describe, expect, it } from 'vitest';
import { RackPduDevice } from '../../simulators/devices/pdu.js';
import { Fleet } from '../../simulators/fleet.js';
import { APC } from '../../src/profiles/oids.js';
import { profileSchema, type Profile } from '../../src/profiles/schema.js';
import { readPlan, scanDevice, specOf, type ChainUnit } from '../../src/scanning/evaluate.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';
import { simSettings } from '../helpers/devices.js';
import { builtinProfile } from '../helpers/profiles.js';

const settings = simSettings({ address: '127.0.250.250' });

const PHASE = APC.rPDU2PhaseStatusEntry;
const C = APC.rPDU2PhaseCol;

async function scan(device: RackPduDevice, unit?: ChainUnit, profile: Profile = builtinProfile('apc-rpdu')) {
  return scanDevice(specOf(profile, [], unit), new FakeSnmpClient(device.mib));
}

describe('the pdu-chain simulator', () => {
  it('serves every unit\'s phases indexed straight through, each row naming its unit', () => {
    const chain = new RackPduDevice(settings, 3);
    expect(chain.kind).toBe('pdu-chain');
    const rows = Array.from({ length: 9 }, (_, i) => i + 1);
    expect(rows.map((row) => chain.mib.get(`${PHASE}.${C.module}.${row}`)?.value)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(rows.map((row) => chain.mib.get(`${PHASE}.${C.number}.${row}`)?.value)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
    expect([1, 2, 3].map((unit) => chain.mib.get(`${APC.rPDU2DeviceStatusEntry}.${APC.rPDU2DeviceCol.module}.${unit}`)?.value)).toEqual([1, 2, 3]);
  });

  it('raises a named unit\'s alarm in that unit\'s rows only, and refuses a unit it does not have', () => {
    const chain = new RackPduDevice(settings, 3);
    chain.raise('unit2.phase3Overload');
    expect(chain.mib.get(`${PHASE}.${C.loadState}.6`)?.value).toBe(APC.loadState.overload);
    expect(chain.mib.get(`${PHASE}.${C.loadState}.3`)?.value).toBe(APC.loadState.normal);
    expect(chain.mib.get(`${APC.rPDU2DeviceStatusEntry}.${APC.rPDU2DeviceCol.loadState}.2`)?.value).toBe(APC.loadState.overload);
    expect(() => chain.raise('unit4.overload')).toThrow(/has no alarm "unit4.overload"/);
    expect(() => chain.raise('overload')).toThrow(/has no alarm "overload"/);
    expect(() => new RackPduDevice(settings, 5)).toThrow(/1 to 4 units/);
  });

  it('is a fleet kind whose chain length the fleet checks', async () => {
    await expect(new Fleet({ devices: [{ kind: 'pdu-chain', count: 1, units: 7 }], baseAddress: '127.0.250.240', port: 0 }).start()).rejects.toThrow(/2 to 4 units, not 7/);
  });
});

describe('apc-rpdu on a chain', () => {
  it('reads a shadow\'s own unit only: its phases\' alarms and readings', async () => {
    const chain = new RackPduDevice(settings, 3);
    chain.raise('unit2.overload');
    chain.raise('unit3.phase2Overload');
    const second = await scan(chain, { position: 2, shadow: true });
    expect(second.alarms).toEqual([{ key: 'rPDU2PhaseStatusLoadState:4:pdu.phaseOverload', severity: 'critical', code: 'pdu.phaseOverload', description: 'Phase 1 overloaded' }]);
    expect(second.readings.filter((r) => r.reading === 'phaseCurrent').map((r) => [r.instance, r.label, r.value])).toEqual([
      ['4', '1', 33],
      ['5', '2', 12],
      ['6', '3', 12],
    ]);
    const first = await scan(chain, { position: 1, shadow: false });
    expect(first.alarms).toEqual([]);
    expect(first.readings.filter((r) => r.reading === 'phaseCurrent').map((r) => r.instance)).toEqual(['1', '2', '3']);
  });

  it('reads every unit for a device without a position, and walks the module column only for one with', async () => {
    const chain = new RackPduDevice(settings, 2);
    chain.raise('unit2.overload');
    expect((await scan(chain)).alarms.map((a) => a.key)).toEqual(['rPDU2PhaseStatusLoadState:4:pdu.phaseOverload']);
    const profile = builtinProfile('apc-rpdu');
    const moduleColumn = `${PHASE}.${C.module}`;
    expect(readPlan(specOf(profile)).columns).not.toContain(moduleColumn);
    expect(readPlan(specOf(profile, [], { position: 2, shadow: true })).columns).toContain(moduleColumn);
  });

  it('leaves a shadow the sources that do not locate units: they are its lead\'s', async () => {
    const chain = new RackPduDevice(settings, 2);
    chain.raise('unit1.overload');
    chain.raise('unit2.overload');
    const base = builtinProfile('apc-rpdu');
    const source = base.alarms[0]!;
    // The same table without a locator: card-wide, read by the lead (all rows), never by a shadow.
    const unlocated = profileSchema.parse({ ...base, alarms: [source, { ...source, id: 'wholeCard', chainPosition: undefined }] });
    expect((await scan(chain, { position: 2, shadow: true }, unlocated)).alarms.map((a) => a.key)).toEqual(['rPDU2PhaseStatusLoadState:4:pdu.phaseOverload']);
    expect((await scan(chain, { position: 1, shadow: false }, unlocated)).alarms.map((a) => a.key)).toEqual([
      'rPDU2PhaseStatusLoadState:1:pdu.phaseOverload',
      'wholeCard:1:pdu.phaseOverload',
      'wholeCard:4:pdu.phaseOverload',
    ]);
  });

  it('refuses a locator that names neither or both of an index arc and a cell', () => {
    const base = builtinProfile('apc-rpdu');
    const source = base.alarms[0]!;
    for (const chainPosition of [{}, { indexArc: 1, cell: { column: 2 } }]) {
      const parsed = profileSchema.safeParse({ ...base, alarms: [{ ...source, chainPosition }] });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toBe('give exactly one of indexArc, cell');
    }
  });
});
