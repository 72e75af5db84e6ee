import { describe, expect, it } from 'vitest';
import { diffAlarms } from '../../src/alarms/diff.js';
import type { Alarm } from '../../src/alarms/model.js';

const alarm = (key: string, extra: Partial<Alarm> = {}): Alarm => ({ key, severity: 'warning', code: `code.${key}`, description: `alarm ${key}`, ...extra });
const keys = (list: readonly Alarm[]) => list.map((a) => a.key);

describe('diffAlarms', () => {
  it.each<[string, string[], string[], string[], string[]]>([
    // name, active, scanned, raised, cleared
    ['nothing before, nothing now', [], [], [], []],
    ['a new alarm is raised', [], ['a'], ['a'], []],
    ['a missing alarm is cleared', ['a'], [], [], ['a']],
    ['the same state changes nothing', ['a', 'b'], ['b', 'a'], [], []],
    ['one raised and one cleared in the same scan', ['a', 'b'], ['b', 'c'], ['c'], ['a']],
    ['an empty scan clears everything', ['a', 'b', 'c'], [], [], ['a', 'b', 'c']],
    ['a key found twice in one scan is raised once', [], ['a', 'a'], ['a'], []],
  ])('%s', (_name, active, scanned, raised, cleared) => {
    const diff = diffAlarms(active.map((k) => alarm(k)), scanned.map((k) => alarm(k)));
    expect(keys(diff.raised)).toEqual(raised);
    expect(keys(diff.cleared)).toEqual(cleared);
  });

  it('keeps an alarm whose text or severity changed under the same key (no clear-and-raise churn)', () => {
    const diff = diffAlarms([alarm('a', { severity: 'warning' })], [alarm('a', { severity: 'critical', description: 'now worse' })]);
    expect(diff).toEqual({ raised: [], cleared: [] });
  });

  it('returns the stored records it clears, so their raise time and device stay with them', () => {
    const stored = { ...alarm('a'), deviceId: 7, raisedAt: 1234 };
    expect(diffAlarms([stored], []).cleared[0]).toBe(stored);
  });

  it('raises the first of duplicate keys as the scan listed it', () => {
    const diff = diffAlarms([], [alarm('a', { description: 'first' }), alarm('a', { description: 'second' })]);
    expect(diff.raised).toEqual([alarm('a', { description: 'first' })]);
  });
});
