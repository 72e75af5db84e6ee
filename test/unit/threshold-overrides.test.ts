// Operator thresholds on top of a profile's defaults: which threshold applies to a device, where it
// came from, and how fast the device must be scanned. Pure: the shipped netbotz profile, a device
// and overrides in, effective thresholds out.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ThresholdEvaluator, type EffectiveThreshold } from '../../src/thresholds/evaluate.js';
import { cadenceSeconds, overrideProblem, resolveThresholds, type ThresholdOverride } from '../../src/thresholds/overrides.js';
import type { ReadingValue } from '../../src/scanning/evaluate.js';
import { builtinProfile, builtinProfiles } from '../helpers/profiles.js';

const NETBOTZ = builtinProfile('netbotz');
const DEVICE = { id: 7, name: 'nb-1', site: 'dc-east' };

let ids = 0;
type Given = Partial<ThresholdOverride> & Pick<ThresholdOverride, 'scope' | 'target' | 'reading' | 'level'>;
const o = (given: Given): ThresholdOverride => ({ id: String(++ids), origin: 'api', ...given });
const temp = (scope: ThresholdOverride['scope'], target: string, rest: Partial<ThresholdOverride> = {}) => o({ scope, target, reading: 'temperature', level: 'warning', ...rest });

/** One line per effective threshold: what it sets and where it came from. */
function summary(thresholds: readonly EffectiveThreshold[]): string[] {
  return thresholds.map((t) => {
    const limit = t.disabled ? 'disabled' : t.above !== undefined ? `>${t.above}` : t.below !== undefined ? `<${t.below}` : `outside ${t.outside!.join('..')}`;
    const row = t.instance === undefined ? '' : `[${t.instance}]`;
    const from = t.override ? `${t.scope}:${t.override.origin}` : t.scope;
    return `${t.reading}${row} ${t.level} ${limit} h${t.hysteresis} for${t.forSeconds} (${from})`;
  });
}

const CRIT_DEFAULT = 'temperature critical >32 h1 for0 (profile-default)';
const HUMI_DEFAULT = 'humidity warning outside 20..80 h2 for0 (profile-default)';
const DEFAULTS = ['temperature warning >27 h1 for0 (profile-default)', CRIT_DEFAULT, HUMI_DEFAULT];

describe('effective thresholds: device > site > profile > profile default, by (reading, level, instance)', () => {
  it.each<[string, ThresholdOverride[], string[]]>([
    ['the profile file\'s defaults when nothing overrides them', [], DEFAULTS],
    ['a profile override replaces the default of its reading and level, keeping what it does not restate',
      [temp('profile', 'netbotz', { above: 30 })],
      [CRIT_DEFAULT, HUMI_DEFAULT, 'temperature warning >30 h1 for0 (profile:api)']],
    ['an override for another profile, site or device changes nothing',
      [temp('profile', 'apc-ups', { above: 1 }), temp('site', 'dc-west', { above: 2 }), temp('device', 'nb-2', { above: 3 })],
      DEFAULTS],
    ['a site override beats a profile override',
      [temp('site', 'dc-east', { above: 35, hysteresis: 3 }), temp('profile', 'netbotz', { above: 30 })],
      [CRIT_DEFAULT, HUMI_DEFAULT, 'temperature warning >35 h3 for0 (site:api)']],
    ['a device override (by name, from the config file) beats a site override',
      [temp('device', 'nb-1', { above: 40, origin: 'config', forSeconds: 60 }), temp('site', 'dc-east', { above: 35 })],
      [CRIT_DEFAULT, HUMI_DEFAULT, 'temperature warning >40 h1 for60 (device:config)']],
    ['an API device override follows the device by id, whatever its name',
      [temp('device', 'old-name', { deviceId: 7, above: 41 }), temp('device', 'nb-1', { deviceId: 8, above: 42 })],
      [CRIT_DEFAULT, HUMI_DEFAULT, 'temperature warning >41 h1 for0 (device:api)']],
    ['disabled removes the inherited threshold of that level only',
      [temp('device', 'nb-1', { disabled: true })],
      [CRIT_DEFAULT, HUMI_DEFAULT]],
    ['a more specific scope sets again what a less specific one removed (nothing left to inherit)',
      [temp('profile', 'netbotz', { disabled: true }), temp('device', 'nb-1', { below: 10 })],
      [CRIT_DEFAULT, HUMI_DEFAULT, 'temperature warning <10 h0 for0 (device:api)']],
    ['an override for one row stands beside the threshold for every row',
      [temp('site', 'dc-east', { instance: 'Rack inlet', above: 30 })],
      [...DEFAULTS, 'temperature[Rack inlet] warning >30 h1 for0 (site:api)']],
    ['an override for every row at a more specific scope replaces a row override from a less specific one',
      [temp('profile', 'netbotz', { instance: 'Rack inlet', above: 30 }), temp('device', 'nb-1', { above: 29 })],
      [CRIT_DEFAULT, HUMI_DEFAULT, 'temperature warning >29 h1 for0 (device:api)']],
    ['within one scope, the row override refines the one for every row, whatever their order',
      [temp('device', 'nb-1', { instance: '7', above: 31 }), temp('device', 'nb-1', { above: 29 })],
      [CRIT_DEFAULT, HUMI_DEFAULT, 'temperature warning >29 h1 for0 (device:api)', 'temperature[7] warning >31 h1 for0 (device:api)']],
    ['a row disabled stays as a marker that exempts that row',
      [temp('device', 'nb-1', { instance: 'Rack outlet', disabled: true })],
      [...DEFAULTS, 'temperature[Rack outlet] warning disabled h0 for0 (device:api)']],
    ['at one scope and key the config file wins over the API',
      [temp('profile', 'netbotz', { above: 33, origin: 'config' }), temp('profile', 'netbotz', { above: 34 })],
      [CRIT_DEFAULT, HUMI_DEFAULT, 'temperature warning >33 h1 for0 (profile:config)']],
    ['overrides on a reading the profile lacks, or on a state, do not apply',
      [o({ scope: 'device', target: 'nb-1', reading: 'batteryCharge', level: 'warning', below: 50 }), o({ scope: 'device', target: 'nb-1', reading: 'door', level: 'critical', above: 0 })],
      DEFAULTS],
    ['a new threshold where the profile has none, hysteresis 0 unless given',
      [o({ scope: 'site', target: 'dc-east', reading: 'humidity', level: 'critical', outside: [10, 90] })],
      [...DEFAULTS, 'humidity critical outside 10..90 h0 for0 (site:api)']],
  ])('%s', (_name, overrides, expected) => {
    expect(summary(resolveThresholds(NETBOTZ, DEVICE, overrides))).toEqual(expected);
  });

  it('a device without a site gets no site override', () => {
    expect(summary(resolveThresholds(NETBOTZ, { ...DEVICE, site: null }, [temp('site', 'dc-east', { above: 35 })]))).toEqual(DEFAULTS);
  });
});

describe('a row override at work', () => {
  const run = (thresholds: EffectiveThreshold[], readings: ReadingValue[]) =>
    new ThresholdEvaluator()
      .evaluate({ deviceId: 1, readings, definitions: NETBOTZ.readings, thresholds, activeKeys: new Set(), now: 0 })
      .map((a) => a.description);
  const inlet: ReadingValue = { reading: 'temperature', instance: '7', label: 'Rack inlet', value: 28.5 };
  const outlet: ReadingValue = { reading: 'temperature', instance: '8', label: 'Rack outlet', value: 28.5 };

  it("a row's own threshold takes the place of the one for every row at its level, for that row only", () => {
    const thresholds = resolveThresholds(NETBOTZ, DEVICE, [temp('device', 'nb-1', { instance: 'Rack inlet', above: 30 })]);
    expect(run(thresholds, [inlet, outlet])).toEqual(['Temperature Rack outlet is 28.5 °C, above the warning threshold of 27 °C']);
    expect(run(thresholds, [{ ...inlet, value: 30.5 }])).toEqual(['Temperature Rack inlet is 30.5 °C, above the warning threshold of 30 °C']);
  });

  it('a row disabled is exempt from that level, and still judged by the other', () => {
    const thresholds = resolveThresholds(NETBOTZ, DEVICE, [temp('device', 'nb-1', { instance: '8', disabled: true })]);
    expect(run(thresholds, [inlet, outlet])).toEqual(['Temperature Rack inlet is 28.5 °C, above the warning threshold of 27 °C']);
    expect(run(thresholds, [{ ...outlet, value: 33 }])).toEqual(['Temperature Rack outlet is 33 °C, above the critical threshold of 32 °C']);
  });
});

describe('cadence', () => {
  it('is the fastest interval a profile reading or an applying override asks for, never below 10 s', () => {
    expect(cadenceSeconds(NETBOTZ, resolveThresholds(NETBOTZ, DEVICE, []))).toBeUndefined();
    const fast = [temp('device', 'nb-1', { above: 30, intervalSeconds: 60 }), temp('site', 'dc-east', { level: 'critical', above: 33, intervalSeconds: 30 })];
    expect(cadenceSeconds(NETBOTZ, resolveThresholds(NETBOTZ, DEVICE, fast))).toBe(30);
    // Replaced by a device override without one: the site's cadence no longer applies.
    const replaced = [temp('site', 'dc-east', { above: 33, intervalSeconds: 30 }), temp('device', 'nb-1', { above: 30 })];
    expect(cadenceSeconds(NETBOTZ, resolveThresholds(NETBOTZ, DEVICE, replaced))).toBeUndefined();
    const withReading = { ...NETBOTZ, readings: NETBOTZ.readings.map((r) => (r.id === 'humidity' ? { ...r, intervalSeconds: 120 } : r)) };
    expect(cadenceSeconds(withReading, resolveThresholds(withReading, DEVICE, fast))).toBe(30);
    expect(cadenceSeconds(withReading, [])).toBe(120);
    expect(cadenceSeconds(NETBOTZ, [{ reading: 'temperature', level: 'warning', above: 1, hysteresis: 0, forSeconds: 0, intervalSeconds: 1, scope: 'device' }])).toBe(10);
  });
});

describe('checking an override against the loaded profiles', () => {
  const profiles = builtinProfiles();
  it.each<[string, Parameters<typeof overrideProblem>[0], string | null | undefined, string | undefined]>([
    ['a profile and a reading it has', { scope: 'profile', target: 'netbotz', reading: 'temperature' }, undefined, undefined],
    ['a profile not loaded', { scope: 'profile', target: 'acme', reading: 'temperature' }, undefined, 'profile: unknown profile "acme"; known: apc-rpdu, apc-ups, eaton-xups, net-snmp, netbotz, priscan-sim, raritan-pdu2, rfc1628-ups'],
    ['a reading the profile lacks', { scope: 'profile', target: 'netbotz', reading: 'batteryCharge' }, undefined, 'reading: profile netbotz has no reading "batteryCharge"; its readings: temperature, humidity'],
    ['a state reading', { scope: 'profile', target: 'netbotz', reading: 'door' }, undefined, 'reading: reading door is a state (open, closed): thresholds compare numbers'],
    ['a site and a reading some profile has', { scope: 'site', target: 'dc-east', reading: 'batteryCharge' }, undefined, undefined],
    ['a site and a reading no profile has', { scope: 'site', target: 'dc-east', reading: 'inletTemp' }, undefined, 'reading: no loaded profile has a reading "inletTemp"'],
    ["a device and a reading its profile lacks", { scope: 'device', target: 'nb-1', reading: 'batteryCharge' }, 'netbotz', "reading: profile netbotz (device nb-1's) has no reading \"batteryCharge\"; its readings: temperature, humidity"],
    ['a row of a single value', { scope: 'profile', target: 'apc-ups', reading: 'batteryCharge', instance: '1' }, undefined, 'instance: reading batteryCharge of profile apc-ups is a single value: it has no rows to choose from'],
    ['a row of a table reading', { scope: 'profile', target: 'netbotz', reading: 'temperature', instance: 'Rack inlet' }, undefined, undefined],
    ['a device whose profile is not known yet', { scope: 'device', target: 'nb-1', reading: 'batteryCharge' }, null, undefined],
  ])('%s', (_name, override, deviceProfile, expected) => {
    const problem = overrideProblem(override, profiles, deviceProfile);
    expect(problem && `${problem.field}: ${problem.message}`).toBe(expected);
  });
});

describe("the README's table of default thresholds", () => {
  it('lists exactly what the built-in profile files ship', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const documented = readme.split('\n').filter((line) => /^\| `[a-z0-9-]+` \| \w+ \| \w+ \| (warning|critical) \|/.test(line));
    const shipped = builtinProfiles()
      .list()
      .flatMap((p) =>
        p.thresholds.map((t) => {
          const unit = p.readings.find((r) => r.id === t.reading)!.unit;
          const limit = t.outside ? `outside ${t.outside[0]}..${t.outside[1]}` : t.above !== undefined ? `above ${t.above}` : `below ${t.below}`;
          return `| \`${p.name}\` | ${t.reading} | ${unit} | ${t.level} | ${limit} | ${t.hysteresis} |`;
        }),
      );
    expect(shipped.length).toBeGreaterThan(10);
    expect([...documented].sort()).toEqual([...shipped].sort());
  });
});
