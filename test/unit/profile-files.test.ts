// Profile files: what the schema refuses (one line naming the file and the key), what the
// registry loads and overrides, and that every shipped file is valid.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadProfileDirectory, parseProfile, ProfileFileError } from '../../src/profiles/load.js';
import { ProfileRegistry } from '../../src/profiles/registry.js';
import { fillTemplate } from '../../src/profiles/template.js';

const minimal = {
  name: 'acme-ups',
  description: 'Acme UPS',
  match: { sysObjectId: ['1.3.6.1.4.1.99999.1'] },
  registration: 'rfc3413',
  alarms: [{ kind: 'scalar', id: 'acmeState', oid: '1.3.6.1.4.1.99999.2.1.0', values: { 2: { severity: 'critical', code: 'acme.fault', description: 'Fault' } } }],
  readings: [{ id: 'load', description: 'Load', oid: '1.3.6.1.4.1.99999.3.1.0', unit: 'percent' }],
  thresholds: [{ reading: 'load', level: 'warning', above: 80 }],
};

function refused(changes: Record<string, unknown>): string {
  try {
    parseProfile(stringify({ ...minimal, ...changes }), 'acme.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ProfileFileError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('profile files', () => {
  it('accepts a minimal vendor profile and fills the defaults', () => {
    const profile = parseProfile(stringify(minimal), 'acme.yaml');
    expect(profile.notifications.scanOn).toBe('any');
    expect(profile.readings[0]!.scale).toBe(1);
    expect(profile.thresholds[0]).toMatchObject({ hysteresis: 0, forSeconds: 0 });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown key', { vendor: 'acme' }, /^acme\.yaml: \(top level\): Unrecognized key: "vendor"/],
    ['a symbolic OID', { match: { sysObjectId: ['ACME-MIB::acmeUps'] } }, /^acme\.yaml: match\.sysObjectId\.0: must be a numeric OID/],
    ['an unknown registration method', { registration: 'telnet' }, /^acme\.yaml: registration: /],
    ['a free-text code', { alarms: [{ ...minimal.alarms[0], values: { 2: { severity: 'critical', code: 'Fault on UPS!', description: 'x' } } }] }, /^acme\.yaml: alarms\.0\.values\.2\.code: a dotted code/],
    ['a non-integer value key', { alarms: [{ ...minimal.alarms[0], values: { two: { severity: 'critical', code: 'acme.fault', description: 'x' } } }] }, /^acme\.yaml: alarms\.0\.values\.two: keys are integers/],
    ['a threshold on a reading that does not exist', { thresholds: [{ reading: 'temp', level: 'warning', above: 30 }] }, /^acme\.yaml: thresholds\.0\.reading: no reading temp/],
    ['a threshold with two directions', { thresholds: [{ reading: 'load', level: 'warning', above: 80, below: 10 }] }, /^acme\.yaml: thresholds\.0: give exactly one of above, below, outside/],
    ['a band upside down', { thresholds: [{ reading: 'load', level: 'warning', outside: [90, 10] }] }, /thresholds\.0\.outside: outside needs \[low, high\]/],
    ['a unit outside the closed set', { readings: [{ id: 'load', description: 'Load', oid: '1.3.6.1.4.1.99999.3.1.0', unit: 'furlongs' }] }, /^acme\.yaml: readings\.0\.unit: /],
    ['a reading with both forms', { readings: [{ id: 'load', description: 'Load', oid: '1.3.6.1.4.1.99999.3.1.0', table: '1.3.6.1.4.1.99999.4.1', column: 2, unit: 'percent' }] }, /give either oid/],
    ['a state reading without states', { readings: [{ id: 'load', description: 'Load', oid: '1.3.6.1.4.1.99999.3.1.0', unit: 'state' }] }, /has states exactly when its unit is state/],
    ['two sources with one id', { alarms: [minimal.alarms[0], minimal.alarms[0]] }, /alarms\.1\.id: id acmeState is used twice/],
    ['the reserved name auto', { name: 'auto' }, /name: "auto" is reserved/],
    [
      'a column a condition does not name',
      { alarms: [{ kind: 'alarm-table', id: 't', table: '1.3.6.1.4.1.99999.5.1', columns: { state: { column: 2, type: 'integer' } }, when: [{ column: 'status', equals: 1 }], meaning: { severity: 'warning', code: 'acme.x', description: 'x' } }] },
      /alarms\.0\.when\.0\.column: no column named status/,
    ],
    [
      'a code filled from a text column',
      { alarms: [{ kind: 'alarm-table', id: 't', table: '1.3.6.1.4.1.99999.5.1', columns: { kind: { column: 2, type: 'text' } }, meaning: { severity: 'warning', code: 'acme.{kind}', description: 'x' } }] },
      /\{kind\} in code acme\.\{kind\} must name an integer column/,
    ],
  ])('refuses %s with one line naming the file and key', (_what, changes, message) => {
    const text = refused(changes);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('refuses YAML that does not parse, with its line', () => {
    expect(() => parseProfile('name: [unclosed\n', 'broken.yaml')).toThrow(/^broken\.yaml: not valid YAML at line \d+/);
  });
});

describe('a profile directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'priscan-profiles-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds vendor profiles and replaces a built-in of the same name', () => {
    writeFileSync(join(dir, 'acme.yaml'), stringify(minimal));
    writeFileSync(join(dir, 'my-netbotz.yml'), stringify({ ...minimal, name: 'netbotz', description: 'Our NetBotz', match: { sysObjectId: ['1.3.6.1.4.1.5528.100.20.10'] } }));
    writeFileSync(join(dir, 'notes.txt'), 'not a profile');
    const registry = new ProfileRegistry({ directory: dir });
    const changes = registry.load();
    expect(changes.added).toEqual(expect.arrayContaining(['acme-ups', 'netbotz', 'rfc1628-ups']));
    expect(registry.require('netbotz').description).toBe('Our NetBotz');
    expect(registry.origin('netbotz')).toMatchObject({ kind: 'directory' });
    expect(registry.origin('apc-ups')).toMatchObject({ kind: 'builtin' });
    expect(registry.select('1.3.6.1.4.1.99999.1.7')?.name).toBe('acme-ups');
  });

  it('keeps what it had when a file turns bad, and reports what a good reload changed', () => {
    writeFileSync(join(dir, 'acme.yaml'), stringify(minimal));
    const registry = new ProfileRegistry({ directory: dir });
    registry.load();
    writeFileSync(join(dir, 'acme.yaml'), stringify({ ...minimal, registration: 'carrier-pigeon' }));
    expect(() => registry.load()).toThrow(/acme\.yaml: registration:/);
    expect(registry.require('acme-ups').registration).toBe('rfc3413');
    writeFileSync(join(dir, 'acme.yaml'), stringify({ ...minimal, description: 'Acme UPS, v2' }));
    expect(registry.load()).toEqual({ added: [], removed: [], changed: ['acme-ups'] });
    rmSync(join(dir, 'acme.yaml'));
    expect(registry.load()).toEqual({ added: [], removed: ['acme-ups'], changed: [] });
  });

  it('refuses two files that name one profile', () => {
    writeFileSync(join(dir, 'a.yaml'), stringify(minimal));
    writeFileSync(join(dir, 'b.yaml'), stringify(minimal));
    expect(() => loadProfileDirectory(dir)).toThrow(/b\.yaml: name: profile acme-ups is also defined in .*a\.yaml/);
  });

  it('names a directory it cannot read', () => {
    expect(() => new ProfileRegistry({ directory: join(dir, 'missing') }).load()).toThrow(/missing: cannot read the profile directory: ENOENT/);
  });
});

describe('the shipped profiles', () => {
  it('are all valid and each matches at least one sysObjectID', () => {
    const registry = new ProfileRegistry();
    registry.load();
    expect(registry.names()).toEqual(['apc-rpdu', 'apc-ups', 'eaton-xups', 'net-snmp', 'netbotz', 'priscan-sim', 'raritan-pdu2', 'rfc1628-ups']);
    for (const profile of registry.list()) expect(profile.match.sysObjectId.length).toBeGreaterThan(0);
  });
});

describe('description templates', () => {
  it('takes the first alternative whose placeholders are all filled', () => {
    const template = ['Value too high on sensor {sensorId}', 'Value too high'];
    expect(fillTemplate(template, { sensorId: 'TEMP1' })).toBe('Value too high on sensor TEMP1');
    expect(fillTemplate(template, { sensorId: '' })).toBe('Value too high');
  });

  it('clips device text, so a lying device cannot make a description huge', () => {
    expect(fillTemplate('{value}', { value: 'x'.repeat(3000) }).length).toBeLessThanOrEqual(256);
  });
});
