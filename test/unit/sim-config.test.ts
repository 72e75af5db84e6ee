import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApcUpsDevice } from '../../simulators/devices/apc-ups.js';
import type { DeviceSettings, SimDevice } from '../../simulators/devices/device.js';
import { PriscanSimDevice } from '../../simulators/devices/sim.js';
import { parseSnmprec, SnmprecError } from '../../simulators/devices/snmprec.js';
import { Rfc1628UpsDevice } from '../../simulators/devices/ups.js';
import { deviceAddress, Fleet, FleetSpecError, MAX_FLEET_SIZE, parseFleetSpec } from '../../simulators/fleet.js';
import { checkScenario, loadScenario, ScenarioError, scenarioSchema, type Scenario } from '../../simulators/scenario.js';
import { VarType, type VarValue } from '../../src/snmp/message.js';

describe('parseFleetSpec', () => {
  it.each([
    ['ups:10', [{ kind: 'ups', count: 10 }]],
    ['ups', [{ kind: 'ups', count: 1 }]],
    ['ups:2,apc-ups:3,netbotz,pdu:1,sim:4,snmprec:1', [
      { kind: 'ups', count: 2 }, { kind: 'apc-ups', count: 3 }, { kind: 'netbotz', count: 1 },
      { kind: 'pdu', count: 1 }, { kind: 'sim', count: 4 }, { kind: 'snmprec', count: 1 },
    ]],
    [' sim:2 , ups ,', [{ kind: 'sim', count: 2 }, { kind: 'ups', count: 1 }]],
    [`pdu:${MAX_FLEET_SIZE}`, [{ kind: 'pdu', count: MAX_FLEET_SIZE }]],
  ])('%j', (spec, expected) => {
    expect(parseFleetSpec(spec)).toEqual(expected);
  });

  const countError = (part: string) => `"${part}": the count must be a whole number from 1 to ${MAX_FLEET_SIZE}`;
  it.each([
    ['unknown kind', 'ups:1,toaster:2', 'unknown device kind "toaster" in "toaster:2"; kinds are sim, ups, apc-ups, netbotz, pdu, pdu-chain, snmprec'],
    ['kind in the wrong case', 'UPS:1', 'unknown device kind "UPS" in "UPS:1"'],
    ['missing kind', ':3', 'unknown device kind "" in ":3"'],
    ['zero', 'ups:0', countError('ups:0')],
    ['negative', 'ups:-2', countError('ups:-2')],
    ['non-integer', 'ups:1.5', countError('ups:1.5')],
    ['not a number', 'ups:ten', countError('ups:ten')],
    ['empty count', 'ups:', countError('ups:')],
    ['too large', `ups:${MAX_FLEET_SIZE + 1}`, countError(`ups:${MAX_FLEET_SIZE + 1}`)],
    ['extra colon', 'ups:1:2', countError('ups:1:2')],
    ['empty', '', 'no devices given; expected e.g. ups:10,apc-ups:10,netbotz:10,pdu:10,sim:10'],
    ['only commas', ' , ,', 'no devices given'],
  ])('rejects %s', (_name, spec, message) => {
    expect(() => parseFleetSpec(spec)).toThrow(FleetSpecError);
    expect(() => parseFleetSpec(spec)).toThrow(message);
  });
});

describe('deviceAddress', () => {
  it.each([
    ['127.0.10.1', 0, '127.0.10.1'],
    ['127.0.10.1', 1, '127.0.10.2'],
    ['127.0.10.1', 253, '127.0.10.254'],
    ['127.0.10.1', 254, '127.0.11.1'],
    ['127.0.10.1', 508, '127.0.12.1'],
    ['127.0.10.0', 0, '127.0.10.1'],
    ['127.0.10.0', 254, '127.0.11.1'],
    ['127.0.10.255', 0, '127.0.11.1'],
    ['127.0.10.255', 1, '127.0.11.2'],
    ['127.0.255.254', 1, '127.1.0.1'],
    ['127.255.255.254', 0, '127.255.255.254'],
    ['127.255.255.1', 253, '127.255.255.254'],
  ])('%s + %i = %s', (base, i, expected) => {
    expect(deviceAddress(base, i)).toBe(expected);
  });

  it('skips .0 and .255 across /24 boundaries', () => {
    const addresses = Array.from({ length: 11 }, (_, i) => deviceAddress('127.0.10.250', i));
    expect(addresses).toEqual([
      '127.0.10.250', '127.0.10.251', '127.0.10.252', '127.0.10.253', '127.0.10.254',
      '127.0.11.1', '127.0.11.2', '127.0.11.3', '127.0.11.4', '127.0.11.5', '127.0.11.6',
    ]);
    const many = Array.from({ length: 2000 }, (_, i) => deviceAddress('127.0.0.0', i));
    expect(new Set(many).size).toBe(2000);
    expect(many.filter((a) => a.endsWith('.0') || a.endsWith('.255'))).toEqual([]);
  });

  it.each([
    ['non-loopback base', '10.0.10.1', 0, 'base address 10.0.10.1 is not loopback: simulated devices live on 127.0.0.0/8 only'],
    ['non-IPv4 base', '127.0.10', 0, 'base address "127.0.10" is not an IPv4 address'],
    ['octet above 255', '127.0.256.1', 0, 'is not an IPv4 address'],
    ['past 127.255.255.254', '127.255.255.254', 1, 'the fleet does not fit in 127.0.0.0/8 after 127.255.255.254'],
    ['base 127.255.255.255', '127.255.255.255', 0, 'the fleet does not fit in 127.0.0.0/8'],
  ])('rejects %s', (_name, base, i, message) => {
    expect(() => deviceAddress(base, i)).toThrow(FleetSpecError);
    expect(() => deviceAddress(base, i)).toThrow(message);
  });
});

describe('parseSnmprec', () => {
  const hex = (text: string) => Buffer.from(text).toString('hex');
  it.each([
    ['2|42', VarType.Integer, 42],
    ['2|-2147483648', VarType.Integer, -2147483648],
    ['2x|7fffffff', VarType.Integer, 2147483647],
    ['4|hello world', VarType.OctetString, Buffer.from('hello world')],
    ['4|', VarType.OctetString, Buffer.alloc(0)],
    ['4|a|b', VarType.OctetString, Buffer.from('a|b')],
    ['4x|00ff10', VarType.OctetString, Buffer.from([0, 255, 16])],
    ['4x|', VarType.OctetString, Buffer.alloc(0)],
    ['5|', VarType.Null, null],
    ['6|1.3.6.1.4.1.318', VarType.OID, '1.3.6.1.4.1.318'],
    ['6|.1.3.6.1', VarType.OID, '1.3.6.1'],
    [`6x|${hex('1.3.6.1.4')}`, VarType.OID, '1.3.6.1.4'],
    ['64|192.0.2.1', VarType.IpAddress, '192.0.2.1'],
    ['64x|c00002ff', VarType.IpAddress, '192.0.2.255'],
    ['65|4294967295', VarType.Counter32, 4294967295],
    ['65x|ffffffff', VarType.Counter32, 4294967295],
    ['66|0', VarType.Gauge32, 0],
    ['66x|10', VarType.Gauge32, 16],
    ['67|123456', VarType.TimeTicks, 123456],
    ['67x|0A', VarType.TimeTicks, 10],
    ['68|abc', VarType.Opaque, Buffer.from('abc')],
    ['68x|9f780441', VarType.Opaque, Buffer.from([0x9f, 0x78, 0x04, 0x41])],
    ['70|18446744073709551615', VarType.Counter64, 2n ** 64n - 1n],
    ['70|0', VarType.Counter64, 0n],
    ['70x|ffffffffffffffff', VarType.Counter64, 2n ** 64n - 1n],
  ] as Array<[string, VarType, VarValue]>)('1.3.6.1.2.1.1.1.0|%s', (rest, type, value) => {
    expect(parseSnmprec(`1.3.6.1.2.1.1.1.0|${rest}`)).toEqual([{ oid: '1.3.6.1.2.1.1.1.0', type, value }]);
  });

  it('skips comments and blank lines, accepts CRLF, and sorts by OID', () => {
    const text = [
      '# recorded by snmprec',
      '',
      '1.3.6.1.2.1.2.2.1.1.1|2|1',
      '   # indented comment',
      '1.3.6.1.2.1.1.10.0|2|10',
      '  ',
      '.1.3.6.1.2.1.1.9.0|2|9',
      '1.3.6.1.2.1.1.1.0|4|descr',
      '',
    ].join('\r\n');
    expect(parseSnmprec(text)).toEqual([
      { oid: '1.3.6.1.2.1.1.1.0', type: VarType.OctetString, value: Buffer.from('descr') },
      { oid: '1.3.6.1.2.1.1.9.0', type: VarType.Integer, value: 9 },
      { oid: '1.3.6.1.2.1.1.10.0', type: VarType.Integer, value: 10 },
      { oid: '1.3.6.1.2.1.2.2.1.1.1', type: VarType.Integer, value: 1 },
    ]);
    expect(parseSnmprec('# nothing\n\n')).toEqual([]);
  });

  // Each bad line is line 3, after a comment and a good line, with CRLF endings.
  it.each([
    ['bad line (no separators)', 'just some text', 'expected OID|TAG|VALUE, got "just some text"'],
    ['bad line (one separator)', '1.3.6.1.2.1.1.5.0|4', 'expected OID|TAG|VALUE'],
    ['bad OID', 'iso.3.6|2|1', '"iso.3.6" is not a numeric OID'],
    ['single-arc OID', '1|2|1', '"1" is not a numeric OID'],
    // No message can carry these: loaded, they made every walk through them throw in the encoder.
    ['OID arc above 2^32-1', '1.3.6.1.4.1.4294967296.0|2|1', '"1.3.6.1.4.1.4294967296.0" is refused: OID arc above 2^32-1'],
    ['OID of 129 arcs', `1.3${'.1'.repeat(127)}|2|1`, `"1.3${'.1'.repeat(127)}" is refused: OID has more than 128 arcs`],
    ['OID starting 1.40', '1.40.1|2|1', '"1.40.1" is refused: OID starts with 1.40, which X.690 cannot encode'],
    ['OID value arc above 2^32-1', '1.3.6.1.2.1.1.5.0|6|1.3.6.1.4.1.4294967296', '"1.3.6.1.4.1.4294967296" is refused: OID arc above 2^32-1'],
    ['duplicate OID', '.1.3.6.1.2.1.1.1.0|4|again', '1.3.6.1.2.1.1.1.0 appears twice'],
    ['unsupported tag', '1.3.6.1.2.1.1.5.0|3|x', 'unsupported tag "3" (supported: 2, 4, 5, 6, 64, 65, 66, 67, 68, 70, with optional x for hex)'],
    ['unsupported tag suffix', '1.3.6.1.2.1.1.5.0|4e|x', 'unsupported tag "4e"'],
    ['empty tag', '1.3.6.1.2.1.1.5.0||x', 'unsupported tag ""'],
    ['odd-length hex', '1.3.6.1.2.1.1.5.0|4x|abc', '"abc" is not hex'],
    ['non-hex digits', '1.3.6.1.2.1.1.5.0|68x|zz', '"zz" is not hex'],
    ['bad Counter64 hex', '1.3.6.1.2.1.1.5.0|70x|zz', '"zz" is not'],
    ['Integer too large', '1.3.6.1.2.1.1.5.0|2|2147483648', '"2147483648" is not an integer in -2147483648..2147483647'],
    ['Integer too small', '1.3.6.1.2.1.1.5.0|2|-2147483649', '"-2147483649" is not an integer in -2147483648..2147483647'],
    ['Integer hex too large', '1.3.6.1.2.1.1.5.0|2x|80000000', '"80000000" is not an integer'],
    ['Integer not a number', '1.3.6.1.2.1.1.5.0|2|1.5', '"1.5" is not an integer'],
    ['negative Gauge32', '1.3.6.1.2.1.1.5.0|66|-1', '"-1" is not an integer in 0..4294967295'],
    ['Counter32 too large', '1.3.6.1.2.1.1.5.0|65|4294967296', '"4294967296" is not an integer in 0..4294967295'],
    ['Counter64 too large', '1.3.6.1.2.1.1.5.0|70|18446744073709551616', '"18446744073709551616" is not a Counter64'],
    ['negative Counter64', '1.3.6.1.2.1.1.5.0|70|-1', '"-1" is not a Counter64'],
    ['bad OID value', '1.3.6.1.2.1.1.5.0|6|enterprises.318', '"enterprises.318" is not an OID'],
    ['bad IP octet', '1.3.6.1.2.1.1.5.0|64|192.0.2.256', '"192.0.2.256" is not an IPv4 address'],
    ['bad IP shape', '1.3.6.1.2.1.1.5.0|64|192.0.2', '"192.0.2" is not an IPv4 address'],
    ['bad IP hex length', '1.3.6.1.2.1.1.5.0|64x|c00002', 'an IpAddress is 4 octets'],
  ])('%s names the source and line', (_name, line, message) => {
    const text = `# header\r\n1.3.6.1.2.1.1.1.0|4|descr\r\n${line}\r\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.318\r\n`;
    const parse = () => parseSnmprec(text, 'dev.snmprec');
    expect(parse).toThrow(SnmprecError);
    expect(parse).toThrow(`dev.snmprec:3: ${message}`);
  });

  it('defaults the source name to "recording"', () => {
    expect(() => parseSnmprec('oops')).toThrow('recording:1: expected OID|TAG|VALUE');
  });
});

describe('scenario files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'priscan-scenario-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (content: unknown): string => {
    const path = join(dir, `s${n++}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const step = (extra: Record<string, unknown>) => ({ at: 0, device: '*', action: 'reboot', ...extra });

  it('loads a valid scenario with defaults', () => {
    const steps = [{ at: 0, device: 'kind:ups', action: 'raise', alarm: 'onBattery' }, { at: 500, device: '127.0.10.1', action: 'offline' }];
    expect(loadScenario(file({ steps }))).toEqual({ steps, repeat: false, repeatDelayMs: 1000 });
    expect(scenarioSchema.parse({ steps, repeat: true, repeatDelayMs: 0 })).toMatchObject({ repeat: true, repeatDelayMs: 0 });
  });

  const NEEDS_ALARM = 'raise and clear need "alarm"; other actions take none';
  it.each([
    ['unknown root key', { steps: [step({})], loop: true }, '(root): Unrecognized key: "loop"'],
    ['unknown step key', { steps: [step({ when: 1 })] }, 'steps.0: Unrecognized key: "when"'],
    ['missing alarm on raise', { steps: [step({}), step({ action: 'raise' })] }, `steps.1: ${NEEDS_ALARM}`],
    ['missing alarm on clear', { steps: [step({ action: 'clear' })] }, `steps.0: ${NEEDS_ALARM}`],
    ['alarm given on reboot', { steps: [step({ alarm: 'onBattery' })] }, `steps.0: ${NEEDS_ALARM}`],
    ['alarm given on online', { steps: [step({ action: 'online', alarm: 'x' })] }, `steps.0: ${NEEDS_ALARM}`],
    ['unknown action', { steps: [step({ action: 'explode' })] }, 'steps.0.action: '],
    ['negative time', { steps: [step({ at: -1 })] }, 'steps.0.at: '],
    ['fractional time', { steps: [step({ at: 1.5 })] }, 'steps.0.at: '],
    ['empty device', { steps: [step({ device: '' })] }, 'steps.0.device: '],
    ['no steps', { steps: [] }, 'steps: '],
    ['not an object', [1, 2], '(root): '],
  ])('rejects %s', (_name, content, message) => {
    const path = file(content);
    expect(() => loadScenario(path)).toThrow(ScenarioError);
    expect(() => loadScenario(path)).toThrow(`scenario ${path}: ${message}`);
  });

  it.each([
    ['bad JSON', '{"steps": [', 'JSON'],
    ['an empty file', '', 'JSON'],
  ])('rejects %s', (_name, content, hint) => {
    const path = file(content);
    expect(() => loadScenario(path)).toThrow(ScenarioError);
    expect(() => loadScenario(path)).toThrow(new RegExp(`^cannot read scenario ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*${hint}`));
  });

  it('rejects a missing file', () => {
    expect(() => loadScenario(join(dir, 'missing.json'))).toThrow(/^cannot read scenario .*missing\.json: ENOENT/);
  });
});

describe('checkScenario', () => {
  const clock = { now: () => 0 };
  const settings = (address: string): DeviceSettings => ({
    address, port: 16161, readCommunity: 'public', writeCommunity: 'private', clock, apcTrapPort: 16162, onBatteryRepeatMs: 60_000,
  });
  const devices: SimDevice[] = [
    new PriscanSimDevice(settings('127.0.30.1')),
    new Rfc1628UpsDevice(settings('127.0.30.2')),
    new ApcUpsDevice(settings('127.0.30.3')),
  ];
  // Fleet.devices and Fleet.get only see devices after start(), which binds sockets.
  const fleet = { devices, get: (id: string) => devices.find((d) => d.id === id) } as unknown as Fleet;
  const scenario = (...steps: Array<Record<string, unknown>>): Scenario => scenarioSchema.parse({ steps });

  it('an unstarted Fleet holds no devices yet', () => {
    const unstarted = new Fleet({ devices: [{ kind: 'sim', count: 1 }] });
    expect(unstarted.devices).toEqual([]);
    expect(() => checkScenario(scenario({ at: 0, device: '*', action: 'reboot' }), unstarted)).toThrow('step 1: no device matches "*"');
  });

  it('accepts steps whose devices exist and support the alarm', () => {
    expect(() =>
      checkScenario(
        scenario(
          { at: 0, device: '*', action: 'reboot' },
          { at: 1, device: '*', action: 'raise', alarm: 'onBattery' },
          { at: 2, device: 'kind:ups', action: 'raise', alarm: 'batteryBad' },
          { at: 3, device: '127.0.30.1', action: 'clear', alarm: 'fanFailure' },
          { at: 4, device: '127.0.30.3', action: 'offline' },
        ),
        fleet,
      ),
    ).not.toThrow();
  });

  it.each([
    ['unknown address', { device: '127.0.30.99', action: 'online' }, 'step 2: no device matches "127.0.30.99"'],
    ['kind with no devices', { device: 'kind:pdu', action: 'reboot' }, 'step 2: no device matches "kind:pdu"'],
    ['unknown kind', { device: 'kind:toaster', action: 'reboot' }, 'step 2: no device matches "kind:toaster"'],
    ['alarm one device lacks', { device: '127.0.30.2', action: 'raise', alarm: 'doorOpen' }, 'step 2: ups device 127.0.30.2 has no alarm "doorOpen"'],
    ['alarm some devices of * lack', { device: '*', action: 'clear', alarm: 'doorOpen' }, 'step 2: ups device 127.0.30.2 has no alarm "doorOpen"'],
    ['alarm a kind lacks', { device: 'kind:apc-ups', action: 'raise', alarm: 'batteryBad' }, 'step 2: apc-ups device 127.0.30.3 has no alarm "batteryBad"'],
  ])('rejects %s', (_name, bad, message) => {
    const check = () => checkScenario(scenario({ at: 0, device: '*', action: 'reboot' }, { at: 5, ...bad }), fleet);
    expect(check).toThrow(ScenarioError);
    expect(check).toThrow(message);
  });
});
