// The config file's `thresholds:` list: the schema refuses what no threshold can be, and start-up
// (and check-config, which runs the same loadProfiles) refuses what the loaded profiles do not
// have, each with one line naming the key.
import { describe, expect, it } from 'vitest';
import { loadProfiles } from '../../src/app/daemon-config.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';

const SNMP = { readCommunity: 'public', writeCommunity: 'private' };
const config = (thresholds: unknown[], devices: unknown[] = []) => parseConfig({ thresholds, devices }, 'test.yaml');
const warm = { profile: 'netbotz', reading: 'temperature', level: 'warning' };

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('config thresholds: the schema', () => {
  it('takes profile, site and device thresholds, with every setting', () => {
    const parsed = config([
      { ...warm, above: 30, hysteresis: 1.5, forSeconds: 120, intervalSeconds: 60 },
      { site: 'dc-east', reading: 'humidity', level: 'critical', outside: [10, 90] },
      { device: 'nb-1', reading: 'temperature', level: 'warning', instance: 'Rack inlet', disabled: true },
    ]);
    expect(parsed.thresholds).toHaveLength(3);
    expect(parsed.thresholds[2]).toEqual({ device: 'nb-1', reading: 'temperature', level: 'warning', instance: 'Rack inlet', disabled: true });
  });

  it.each<[string, unknown, RegExp]>([
    ['no target', { reading: 'temperature', level: 'warning', above: 1 }, /^test\.yaml: thresholds\.0: give exactly one of profile, site, device/],
    ['two targets', { ...warm, site: 'dc-east', above: 1 }, /^test\.yaml: thresholds\.0: give exactly one of profile, site, device/],
    ['no limit', { ...warm }, /^test\.yaml: thresholds\.0: give exactly one of above, below, outside, or disabled: true/],
    ['two directions', { ...warm, above: 30, below: 10 }, /^test\.yaml: thresholds\.0: give exactly one of above, below, outside/],
    ['a band upside down', { ...warm, outside: [30, 10] }, /^test\.yaml: thresholds\.0\.outside: outside needs \[low, high\] with low < high/],
    ['a negative hysteresis', { ...warm, above: 30, hysteresis: -1 }, /^test\.yaml: thresholds\.0\.hysteresis: must be 0 or more/],
    ['disabled with settings', { ...warm, disabled: true, forSeconds: 5 }, /^test\.yaml: thresholds\.0\.disabled: disabled: true removes the threshold/],
    ['disabled: false', { ...warm, disabled: false }, /^test\.yaml: thresholds\.0\.disabled:/],
    ['an interval below 10 s', { ...warm, above: 30, intervalSeconds: 5 }, /^test\.yaml: thresholds\.0\.intervalSeconds:/],
    ['an unknown key', { ...warm, above: 30, sevrity: 'high' }, /^test\.yaml: thresholds\.0: .*sevrity/],
    ['a level that is not one', { ...warm, level: 'major', above: 30 }, /^test\.yaml: thresholds\.0\.level:/],
    ['a reading that is no identifier', { ...warm, reading: 'inlet temp', above: 30 }, /^test\.yaml: thresholds\.0\.reading:/],
  ])('refuses %s, naming the key', (_name, entry, message) => {
    expect(refusal(() => config([entry]))).toMatch(message);
  });

  it('refuses a second entry for the same target, reading, level and instance', () => {
    expect(refusal(() => config([{ ...warm, above: 30 }, { ...warm, above: 31 }]))).toMatch(
      /^test\.yaml: thresholds\.1: sets the same reading, level and instance on the same target as thresholds\.0/,
    );
    expect(() => config([{ ...warm, above: 30 }, { ...warm, instance: 'Rack inlet', above: 31 }])).not.toThrow();
  });
});

describe('config thresholds: checked against the loaded profiles at start and by check-config', () => {
  it.each<[string, unknown, unknown[], string]>([
    ['a profile not loaded', { profile: 'acme', reading: 'temperature', level: 'warning', above: 1 }, [], 'thresholds.0.profile: unknown profile "acme"; known: apc-rpdu, apc-ups, eaton-xups, net-snmp, netbotz, priscan-sim, raritan-pdu2, rfc1628-ups'],
    ['a reading the profile lacks', { ...warm, reading: 'batteryCharge', below: 50 }, [], 'thresholds.0.reading: profile netbotz has no reading "batteryCharge"; its readings: temperature, humidity'],
    ['a state reading', { ...warm, reading: 'door', above: 0 }, [], 'thresholds.0.reading: reading door is a state (open, closed): thresholds compare numbers'],
    ['a site reading no profile has', { site: 'dc-east', reading: 'inletTemp', level: 'warning', above: 1 }, [], 'thresholds.0.reading: no loaded profile has a reading "inletTemp"'],
    ['a reading a config device\'s profile lacks', { device: 'ups-1', reading: 'temperature', level: 'warning', above: 1 },
      [{ name: 'ups-1', address: '127.0.220.9', profile: 'apc-ups', snmp: SNMP }],
      'thresholds.0.reading: profile apc-ups (device ups-1\'s) has no reading "temperature"; its readings: batteryCharge, batteryTemperature, batteryRuntime, inputVoltage, outputLoad'],
  ])('refuses %s', (_name, entry, devices, message) => {
    expect(refusal(() => loadProfiles(config([entry], devices)))).toBe(message);
  });

  it('takes a device threshold on a reading some profile has when the device is auto or not in the file', () => {
    const entries = [
      { device: 'ups-1', reading: 'batteryCharge', level: 'warning', below: 40 },
      { device: 'added-by-api', reading: 'temperature', level: 'critical', above: 35 },
    ];
    expect(() => loadProfiles(config(entries, [{ name: 'ups-1', address: '127.0.220.9', snmp: SNMP }]))).not.toThrow();
  });
});
