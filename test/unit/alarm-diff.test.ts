import { describe, expect, it } from 'vitest';
import { diffAlarms } from '../../src/alarms/diff.js';
import { COMMUNICATION_LOST, SCAN_FAILED, type ActiveAlarm, type Alarm } from '../../src/alarms/model.js';

const alarm = (key: string, extra: Partial<Alarm> = {}): Alarm => ({ key, severity: 'warning', code: `code.${key}`, description: `alarm ${key}`, ...extra });
const stored = (a: Alarm, raisedAt = 1000): ActiveAlarm => ({ ...a, deviceId: 7, raisedAt });
const keys = (list: readonly Alarm[]) => list.map((a) => a.key);

describe('diffAlarms', () => {
  it.each<[string, string[], string[], string[], string[]]>([
    // name, active, scanned, raised, cleared
    ['nothing before, nothing now', [], [], [], []],
    ['a new alarm is raised', [], ['a'], ['a'], []],
    ['new alarms are raised in the order the scan found them', [], ['c', 'a', 'b'], ['c', 'a', 'b'], []],
    ['a missing alarm is cleared', ['a'], [], [], ['a']],
    ['the same state changes nothing', ['a', 'b'], ['b', 'a'], [], []],
    ['one raised and one cleared in the same scan', ['a', 'b'], ['b', 'c'], ['c'], ['a']],
    ['an empty scan clears everything, in stored order', ['a', 'b', 'c'], [], [], ['a', 'b', 'c']],
    ['a completely different set clears all and raises all', ['a', 'b'], ['c', 'd'], ['c', 'd'], ['a', 'b']],
    ['a key found twice in one scan is raised once', [], ['a', 'a'], ['a'], []],
    ['a key found twice that is already active is neither raised nor cleared', ['a'], ['a', 'a'], [], []],
    ['duplicates beside a new key', ['a'], ['b', 'a', 'b', 'a'], ['b'], []],
    ['keys are compared exactly (no trimming or case folding)', ['a'], ['A', 'a '], ['A', 'a '], ['a']],
  ])('%s', (_name, active, scanned, raised, cleared) => {
    const diff = diffAlarms(active.map((k) => stored(alarm(k))), scanned.map((k) => alarm(k)));
    expect(keys(diff.raised)).toEqual(raised);
    expect(keys(diff.cleared)).toEqual(cleared);
  });

  // By design (see diff.ts): the key, not the content, is the identity. A changed severity or text
  // under the same key is neither raised nor cleared, so the stored alarm keeps its old severity.
  it.each<[string, Partial<Alarm>]>([
    ['severity escalates', { severity: 'critical' }],
    ['severity drops', { severity: 'info' }],
    ['description changes', { description: 'Phase L2 overloaded' }],
    ['code changes under the same key', { code: 'code.other' }],
  ])('writes nothing when the %s under the same key', (_name, change) => {
    const diff = diffAlarms([stored(alarm('a'))], [alarm('a', change)]);
    expect(diff).toEqual({ raised: [], cleared: [] });
  });

  it('raises the scanned alarm itself, with the severity and text the scan found', () => {
    const found = alarm('a', { severity: 'critical', description: 'UPS on battery' });
    const diff = diffAlarms([], [found]);
    expect(diff.raised[0]).toBe(found);
  });

  it('returns the stored records it clears, so their raise time and device stay with them', () => {
    const record = stored(alarm('a'), 1234);
    expect(diffAlarms([record], []).cleared[0]).toBe(record);
  });

  it('raises the first of duplicate keys as the scan listed it', () => {
    const diff = diffAlarms([], [alarm('a', { description: 'first' }), alarm('a', { description: 'second' })]);
    expect(diff.raised).toEqual([alarm('a', { description: 'first' })]);
  });

  it('does not modify its inputs', () => {
    const active = [stored(alarm('a')), stored(alarm('b'))];
    const scanned = [alarm('b'), alarm('c')];
    const before = JSON.stringify([active, scanned]);
    diffAlarms(active, scanned);
    expect(JSON.stringify([active, scanned])).toBe(before);
  });

  describe("priscan's own alarms", () => {
    // The scanner raises these one by one when a scan fails; the next successful scan is what clears them.
    it('clears communication-lost on the first successful scan and keeps the device alarms that are still present', () => {
      const active = [stored(alarm('ups:1:onBattery')), stored(COMMUNICATION_LOST), stored(alarm('ups:2:lowBattery'))];
      const diff = diffAlarms(active, [alarm('ups:1:onBattery'), alarm('ups:2:lowBattery')]);
      expect(diff.raised).toEqual([]);
      expect(diff.cleared).toEqual([stored(COMMUNICATION_LOST)]);
    });

    it('clears scan-failed and communication-lost together when the device answers with no alarms', () => {
      const diff = diffAlarms([stored(SCAN_FAILED), stored(COMMUNICATION_LOST)], []);
      expect(keys(diff.cleared)).toEqual([SCAN_FAILED.key, COMMUNICATION_LOST.key]);
    });

    it('treats them as ordinary keys: a scan that finds device alarms still clears communication-lost', () => {
      const profileKey = 'upsAlarmTable:1:ups.onBattery';
      const diff = diffAlarms([stored(COMMUNICATION_LOST)], [alarm(profileKey)]);
      expect(keys(diff.raised)).toEqual([profileKey]);
      expect(keys(diff.cleared)).toEqual([COMMUNICATION_LOST.key]);
    });
  });
});
