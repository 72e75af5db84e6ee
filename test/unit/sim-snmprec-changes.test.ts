// snmprec devices whose values, rows and notification a test changes (issue 13's groundwork):
// every change is checked whole first; a refused one throws and leaves the MIB as it was.
import { describe, expect, it } from 'vitest';
import type { Notification, NotificationTarget } from '../../simulators/agent/notification.js';
import type { DeviceSettings } from '../../simulators/devices/device.js';
import { RecordingChangeError, type RecordingChanges, type ValueInput } from '../../simulators/devices/recorded-values.js';
import { NoNotificationError, SnmprecDevice, type SnmprecOptions } from '../../simulators/devices/snmprec-device.js';
import { parseSnmprec, SnmprecError } from '../../simulators/devices/snmprec.js';
import { Fleet, FleetSpecError } from '../../simulators/fleet.js';
import { PRISCAN_SIM, RFC3413, ROW_STATUS } from '../../src/profiles/oids.js';
import { VarType, type VarBind } from '../../src/snmp/message.js';

const E = '1.3.6.1.4.1.99999';
const ALARMS = `${E}.7.1.0`;
const ENTRY = `${E}.7.2.1`;
const RECORDING = parseSnmprec(
  [
    '1.3.6.1.2.1.1.1.0|4|recorded UPS',
    '1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999',
    `${E}.2.4.0|2|100`,
    `${ALARMS}|66|1`,
    `${ENTRY}.1.7|2|7`,
    `${ENTRY}.2.7|6|${E}.7.3`,
    `${ENTRY}.1.17|2|17`,
    `${ENTRY}.1.7.1|2|71`,
  ].join('\n'),
);

const settings: DeviceSettings = {
  address: '127.0.195.1',
  port: 16195,
  readCommunity: 'public',
  writeCommunity: 'private',
  clock: { now: () => 1_700_000_000_000 },
  apcTrapPort: 162,
  onBatteryRepeatMs: 60_000,
};

/** A device whose agent records what it would send instead of sending it. */
function device(options: SnmprecOptions = {}, recording: VarBind[] = RECORDING) {
  const d = new SnmprecDevice(settings, recording, options);
  const sent: Array<{ target: NotificationTarget; notification: Notification }> = [];
  d.agent.send = (target, notification) => void sent.push({ target, notification });
  return { d, sent };
}
const value = (d: SnmprecDevice, oid: string) => d.mib.get(oid);
const oids = (d: SnmprecDevice) => d.mib.walk().map((vb) => vb.oid);

describe('snmprec values changed through the library', () => {
  it.each<[ValueInput, VarType, unknown]>([
    [{ type: 'Integer32', value: -5 }, VarType.Integer, -5],
    [{ type: 'Integer32', value: '2147483647' }, VarType.Integer, 2147483647],
    [{ type: 'OctetString', value: 'on battery' }, VarType.OctetString, Buffer.from('on battery')],
    [{ type: 'OctetString', hex: '00ff10' }, VarType.OctetString, Buffer.from([0, 255, 16])],
    [{ type: 'ObjectIdentifier', value: '.1.3.6.1.4.1.99999.7.4' }, VarType.OID, '1.3.6.1.4.1.99999.7.4'],
    [{ type: 'IpAddress', value: '192.0.2.7' }, VarType.IpAddress, '192.0.2.7'],
    [{ type: 'Counter32', value: 4294967295 }, VarType.Counter32, 4294967295],
    [{ type: 'Gauge32', value: 3 }, VarType.Gauge32, 3],
    [{ type: 'Unsigned32', value: 12840 }, VarType.Gauge32, 12840],
    [{ type: 'TimeTicks', value: 360000 }, VarType.TimeTicks, 360000],
    [{ type: 'Counter64', value: '18446744073709551615' }, VarType.Counter64, 2n ** 64n - 1n],
    [{ type: 'Opaque', hex: '9f780441' }, VarType.Opaque, Buffer.from([0x9f, 0x78, 0x04, 0x41])],
    [{ type: 'Null' }, VarType.Null, null],
  ])('sets %j and answers it with that type', (input, type, expected) => {
    const { d } = device();
    expect(d.setValue(`${E}.2.4.0`, input)).toEqual({ changed: true, written: 1, removed: 0 });
    expect(value(d, `${E}.2.4.0`)).toEqual({ type, value: expected });
  });

  it('adds a new OID in walk order and deletes one', () => {
    const { d } = device();
    d.setValue(`${E}.2.3.0`, { type: 'Integer32', value: 0 });
    expect(oids(d).slice(2, 4)).toEqual([`${E}.2.3.0`, `${E}.2.4.0`]);
    expect(d.deleteValue(`${E}.2.3.0`)).toEqual({ changed: true, written: 0, removed: 1 });
    expect(value(d, `${E}.2.3.0`).type).toBe(VarType.NoSuchObject);
    expect(d.deleteValue(`${E}.2.3.0`)).toEqual({ changed: false, written: 0, removed: 0 });
  });

  it('adds an alarm row and deletes exactly that row (not 17, not 7.1)', () => {
    const { d } = device();
    d.setRow(ENTRY, '9', { 1: { type: 'Integer32', value: 9 }, 2: { type: 'ObjectIdentifier', value: `${E}.7.4` }, 3: { type: 'TimeTicks', value: 4200 } });
    expect(value(d, `${ENTRY}.3.9`)).toEqual({ type: VarType.TimeTicks, value: 4200 });
    expect(d.deleteRow(ENTRY, '7')).toEqual({ changed: true, written: 0, removed: 2 });
    expect(oids(d).filter((o) => o.startsWith(ENTRY))).toEqual([`${ENTRY}.1.7.1`, `${ENTRY}.1.9`, `${ENTRY}.1.17`, `${ENTRY}.2.9`, `${ENTRY}.3.9`]);
  });

  it('applies a batch as one unit: removals before writes, so a row can be replaced', () => {
    const { d } = device();
    const result = d.applyChanges({
      deleteRows: [{ entry: ENTRY, index: '7' }],
      setRows: [{ entry: ENTRY, index: '7', columns: { 2: { type: 'ObjectIdentifier', value: `${E}.7.9` } } }],
      set: [{ oid: ALARMS, type: 'Gauge32', value: 2 }],
    });
    expect(result).toEqual({ changed: true, written: 2, removed: 2 });
    expect(value(d, `${ENTRY}.1.7`).type).toBe(VarType.NoSuchInstance);
    expect(value(d, `${ENTRY}.2.7`).value).toBe(`${E}.7.9`);
    expect(value(d, ALARMS)).toEqual({ type: VarType.Gauge32, value: 2 });
  });

  it.each<[string, RecordingChanges, string]>([
    ['nothing to change', {}, 'no changes given'],
    ['a non-numeric OID', { set: [{ oid: '1.3.6.x', type: 'Integer32', value: 1 }] }, 'set[0].oid: "1.3.6.x" is not a valid OID: not a numeric OID'],
    ['an arc above 2^32-1', { set: [{ oid: `${E}.4294967296`, type: 'Integer32', value: 1 }] }, 'is not a valid OID: OID arc above 2^32-1'],
    ['an unknown type', { set: [{ oid: ALARMS, type: 'Gauge' as 'Gauge32', value: 1 }] }, 'type must be one of Integer32, OctetString'],
    ['an Integer32 out of range', { set: [{ oid: ALARMS, type: 'Integer32', value: 2147483648 }] }, '(Integer32): "2147483648" is not an integer in -2147483648..2147483647'],
    ['a fraction', { set: [{ oid: ALARMS, type: 'Gauge32', value: 1.5 }] }, '"1.5" is not an integer'],
    ['a negative Gauge32', { set: [{ oid: ALARMS, type: 'Gauge32', value: -1 }] }, '"-1" is not an integer in 0..4294967295'],
    ['a number for a string', { set: [{ oid: ALARMS, type: 'OctetString', value: 5 }] }, '(OctetString): the value must be a string'],
    ['value and hex', { set: [{ oid: ALARMS, type: 'OctetString', value: 'a', hex: '61' }] }, 'give value or hex, not both'],
    ['hex for an integer', { set: [{ oid: ALARMS, type: 'Integer32', hex: '01' }] }, 'only OctetString and Opaque take hex'],
    ['odd hex', { set: [{ oid: ALARMS, type: 'OctetString', hex: 'abc' }] }, '"abc" is not hex'],
    ['no value', { set: [{ oid: ALARMS, type: 'TimeTicks' }] }, '(TimeTicks): needs a value'],
    ['a value for Null', { set: [{ oid: ALARMS, type: 'Null', value: 0 }] }, 'a Null has no value'],
    ['a bad IpAddress', { set: [{ oid: ALARMS, type: 'IpAddress', value: '192.0.2.256' }] }, '"192.0.2.256" is not an IPv4 address'],
    ['a bad OID value', { set: [{ oid: ALARMS, type: 'ObjectIdentifier', value: '1.40.1' }] }, '"1.40.1" is refused: OID starts with 1.40'],
    ['an OID written twice', { set: [{ oid: ALARMS, type: 'Gauge32', value: 1 }, { oid: `.${ALARMS}`, type: 'Gauge32', value: 2 }] }, `set[1]: ${ALARMS} is written twice in one change`],
    ['a bad row index', { setRows: [{ entry: ENTRY, index: '7.x', columns: { 1: { type: 'Integer32', value: 7 } } }] }, 'setRows[0].index: "7.x" is not a row index'],
    ['column 0', { setRows: [{ entry: ENTRY, index: '8', columns: { 0: { type: 'Integer32', value: 8 } } }] }, 'column "0" must be a whole number from 1'],
    ['a row without columns', { setRows: [{ entry: ENTRY, index: '8', columns: {} }] }, 'a row needs at least one column'],
    ['a bad entry to delete', { deleteRows: [{ entry: 'xups', index: '7' }] }, 'deleteRows[0].entry: "xups" is not a valid OID'],
    // One bad part refuses the good ones with it.
    ['a good change beside a bad one', { set: [{ oid: ALARMS, type: 'Gauge32', value: 0 }], deleteRows: [{ entry: ENTRY, index: '-1' }] }, 'deleteRows[0].index'],
  ])('refuses %s and changes nothing', (_name, changes, message) => {
    const { d } = device();
    const before = d.mib.walk();
    expect(() => d.applyChanges(changes)).toThrow(RecordingChangeError);
    expect(() => d.applyChanges(changes)).toThrow(message);
    expect(d.mib.walk()).toEqual(before);
  });
});

describe('snmprec registration and notifications', () => {
  const paramsRow = (name: string, community: string): VarBind[] => {
    const idx = [...Buffer.from(name)].join('.');
    const p = (col: number) => `${RFC3413.targetParamsEntry}.${col}.${idx}`;
    const P = RFC3413.targetParamsCol;
    return [
      { oid: p(P.mpModel), type: VarType.Integer, value: RFC3413.mpModel.v2c },
      { oid: p(P.securityModel), type: VarType.Integer, value: RFC3413.securityModel.v2c },
      { oid: p(P.securityName), type: VarType.OctetString, value: Buffer.from(community) },
      { oid: p(P.securityLevel), type: VarType.Integer, value: 1 },
      { oid: p(P.rowStatus), type: VarType.Integer, value: ROW_STATUS.createAndGo },
    ];
  };
  /** RFC 3413 rows for a v2c trap target, as a manager would SET them. */
  function registerRfc3413(d: SnmprecDevice, port: number): void {
    const idx = [...Buffer.from('priscan')].join('.');
    const a = (col: number) => `${RFC3413.targetAddrEntry}.${col}.${idx}`;
    const n = (col: number) => `${RFC3413.notifyEntry}.${col}.${idx}`;
    const A = RFC3413.targetAddrCol;
    const N = RFC3413.notifyCol;
    const tAddress = Buffer.from([127, 0, 0, 1, port >> 8, port & 0xff]);
    d.mib.set(paramsRow('priscan', 'trapcomm'));
    d.mib.set([
      { oid: a(A.tAddress), type: VarType.OctetString, value: tAddress },
      { oid: a(A.tagList), type: VarType.OctetString, value: Buffer.from('priscan') },
      { oid: a(A.params), type: VarType.OctetString, value: Buffer.from('priscan') },
      { oid: a(A.rowStatus), type: VarType.Integer, value: ROW_STATUS.createAndGo },
    ]);
    d.mib.set([
      { oid: n(N.tag), type: VarType.OctetString, value: Buffer.from('priscan') },
      { oid: n(N.rowStatus), type: VarType.Integer, value: ROW_STATUS.createAndGo },
    ]);
  }
  const TRAP = `${E}.11.4.1.0.3`;

  it('replays as recorded without a registration: nobody can register, nothing is sent', () => {
    const { d, sent } = device({ notification: { trapOid: TRAP } });
    expect(d.status().registrationMethod).toBe('none');
    expect(() => d.mib.set(paramsRow('priscan', 'x'))).toThrow(/names no writable object/);
    expect(d.sendAlertPresent()).toEqual({ trapOid: TRAP, managers: 0 });
    expect(sent).toEqual([]);
  });

  it('lets a manager register through RFC 3413 rows and sends it the configured notification with its objects', () => {
    const { d, sent } = device({ registration: 'rfc3413', notification: { trapOid: TRAP, objects: [`${ENTRY}.1.7`, `${ENTRY}.2.7`] } });
    registerRfc3413(d, 16162);
    expect(d.sendAlertPresent()).toEqual({ trapOid: TRAP, managers: 1 });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.target).toMatchObject({ address: '127.0.0.1', port: 16162, community: 'trapcomm', version: 'v2c', type: 'trap' });
    expect(sent[0]!.notification).toEqual({
      trapOid: TRAP,
      varbinds: [
        { oid: `${ENTRY}.1.7`, type: VarType.Integer, value: 7 },
        { oid: `${ENTRY}.2.7`, type: VarType.OID, value: `${E}.7.3` },
      ],
    });
  });

  it('notifies after a change with the values the change wrote, and a refused notification changes nothing', () => {
    const { d, sent } = device({ registration: 'rfc3413' });
    registerRfc3413(d, 16162);
    const raise: RecordingChanges = { setRows: [{ entry: ENTRY, index: '8', columns: { 1: { type: 'Integer32', value: 8 } } }] };
    const before = d.mib.walk();
    expect(() => d.applyChanges(raise, true)).toThrow(NoNotificationError);
    expect(() => d.applyChanges(raise, { trapOid: TRAP, objects: [`${ENTRY}.1.9`] })).toThrow(`objects[0]: ${ENTRY}.1.9 is not served`);
    expect(d.mib.walk()).toEqual(before);
    expect(sent).toEqual([]);
    expect(d.applyChanges(raise, { trapOid: TRAP, objects: [`${ENTRY}.1.8`] })).toEqual({ changed: true, written: 1, removed: 0, notified: { trapOid: TRAP, managers: 1 } });
    expect(sent[0]!.notification.varbinds).toEqual([{ oid: `${ENTRY}.1.8`, type: VarType.Integer, value: 8 }]);
  });

  it('refuses changes inside the emulated registration table', () => {
    const { d } = device({ registration: 'hidden-table' });
    expect(() => d.setValue(`${PRISCAN_SIM.regEntry}.3.127.0.0.1.162`, { type: 'OctetString', value: 'x' })).toThrow(`is in ${PRISCAN_SIM.regEntry}, the table the device's registration emulates`);
  });

  it('refuses a recording that holds rows of the table its registration would emulate', () => {
    const clash = parseSnmprec(`${RFC3413.targetAddrEntry}.9.112|2|1\n${E}.1.0|2|1`);
    expect(() => device({ registration: 'rfc3413', source: 'agent.snmprec' }, clash)).toThrow(SnmprecError);
    expect(() => device({ registration: 'rfc3413', source: 'agent.snmprec' }, clash)).toThrow(
      `agent.snmprec: 1 recorded value(s) lie in ${RFC3413.targetAddrEntry}, the table the rfc3413 registration emulates`,
    );
    expect(device({}, clash).d.mib.get(`${RFC3413.targetAddrEntry}.9.112`).value).toBe(1);
  });

  it.each([
    ['an unknown registration', { snmprecRegistration: 'snmp-target' as 'rfc3413' }, 'snmprec registration must be one of none, rfc3413, hidden-table, apc-receiver-table, got "snmp-target"'],
    ['a bad notification OID', { snmprecNotification: { trapOid: '1.3.6.1.4.1.534.1.11.4.1.0.x' } }, 'snmprec notification: "1.3.6.1.4.1.534.1.11.4.1.0.x" is not a valid OID'],
    ['a bad notification object', { snmprecNotification: { trapOid: TRAP, objects: ['3.1'] } }, 'snmprec notification object: "3.1" is not a valid OID: OID starts with 3.1'],
    ['no recording', { snmprecFile: undefined }, 'snmprec devices need a recording: pass --snmprec FILE'],
  ])('a fleet refuses %s before binding anything', async (_name, options, message) => {
    const fleet = new Fleet({ devices: [{ kind: 'snmprec', count: 1 }], baseAddress: '127.0.195.1', port: 16195, snmprecFile: 'eaton-xups', ...options });
    await expect(fleet.start()).rejects.toThrow(FleetSpecError);
    await expect(fleet.start()).rejects.toThrow(message);
    expect(fleet.devices).toEqual([]);
  });
});
