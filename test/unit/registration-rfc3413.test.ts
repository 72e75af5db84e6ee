import { describe, expect, it } from 'vitest';
import type { DeviceSettings } from '../../simulators/devices/device.js';
import { Rfc1628UpsDevice } from '../../simulators/devices/ups.js';
import { VarType } from '../../src/snmp/message.js';
import { RFC3413, ROW_STATUS } from '../../src/profiles/oids.js';
import { RegistrationError, type ManagerRegistration } from '../../src/registration/method.js';
import { decodeTAddress, encodeTAddress, registrationMethod } from '../../src/registration/methods.js';
import { SnmpError, type SnmpClient, type SnmpVarbind } from '../../src/snmp/client.js';
import { FakeSnmpClient, type RecordedRequest } from '../helpers/fake-snmp.js';
import { KeyCache, type UsmUser } from '../../src/snmp/usm.js';

const COMMUNITY = 'Nf7-s3cret-c0m';
/** The simulated device's own v3 user: it refuses v3 params rows naming anyone else. */
const DEVICE_USER: UsmUser = { name: 'ups-admin', level: 'authPriv', authProtocol: 'sha', authPassword: 'auth-passw0rd', privProtocol: 'aes128', privPassword: 'priv-passw0rd' };
const MANAGER: ManagerRegistration = { address: '127.0.0.1', port: 1162, community: COMMUNITY };
const method = registrationMethod('rfc3413');
const A = RFC3413.targetAddrCol;
const P = RFC3413.targetParamsCol;
const N = RFC3413.notifyCol;
const ROW = [...Buffer.from('priscan')].join('.');
const params = (col: number): string => `${RFC3413.targetParamsEntry}.${col}.${ROW}`;
const addr = (col: number): string => `${RFC3413.targetAddrEntry}.${col}.${ROW}`;
const notify = (col: number): string => `${RFC3413.notifyEntry}.${col}.${ROW}`;
/** Each table's RowStatus column, by entry OID. */
const STATUS_COL = new Map<string, number>([
  [RFC3413.targetParamsEntry, P.rowStatus],
  [RFC3413.targetAddrEntry, A.rowStatus],
  [RFC3413.notifyEntry, N.rowStatus],
]);

function setup(v3User?: UsmUser) {
  const settings: DeviceSettings = {
    ...(v3User ? { v3: { user: v3User, keys: new KeyCache() } } : {}),
    address: '127.0.98.1',
    port: 161,
    readCommunity: 'public',
    writeCommunity: 'private',
    clock: { now: () => 1_700_000_000_000 },
    apcTrapPort: 162,
    onBatteryRepeatMs: 60_000,
  };
  const device = new Rfc1628UpsDevice(settings);
  return { device, client: new FakeSnmpClient(device.mib) };
}

const value = (device: Rfc1628UpsDevice, oid: string) => device.mib.get(oid).value;
const hex = (v: unknown) => (v as Buffer).toString('hex').toUpperCase();
/** The first OID of each SET, as [table, column] names are too long to compare: enough to see the order. */
const setOids = (requests: readonly RecordedRequest[]) => requests.filter((r) => r.op === 'set').map((r) => r.oids);

describe('encodeTAddress / decodeTAddress', () => {
  it.each([
    ['127.0.0.1', 162, '7F00000100A2'],
    ['10.1.2.3', 65535, '0A010203FFFF'],
    ['0.0.0.0', 1, '000000000001'],
    ['255.255.255.255', 162, 'FFFFFFFF00A2'],
  ])('%s:%i -> %s and back', (ip, port, expected) => {
    const buf = encodeTAddress(ip, port);
    expect(buf.toString('hex').toUpperCase()).toBe(expected);
    expect(decodeTAddress(buf)).toEqual({ address: ip, port });
  });

  it.each([
    ['10.0.0.256', 162, /not an IPv4/],
    ['10.0.0', 162, /not an IPv4/],
    ['10.0.0.1.5', 162, /not an IPv4/],
    ['-1.0.0.1', 162, /not an IPv4/],
    ['ten.0.0.1', 162, /not an IPv4/],
    ['127.0.0.1', 0, /port 0 is not 1\.\.65535/],
    ['127.0.0.1', 65536, /port 65536/],
    ['127.0.0.1', 16.5, /port 16.5/],
    ['2001:db8::1', 162, /IPv6 manager addresses are not supported/],
    ['::ffff:127.0.0.1', 162, /IPv6/],
  ])('%s:%s is invalid-address', (ip, port, message) => {
    let error: unknown;
    try {
      encodeTAddress(ip, port);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RegistrationError);
    expect((error as RegistrationError).code).toBe('invalid-address');
    expect((error as RegistrationError).message).toMatch(message);
  });

  it.each([
    ['4 bytes (what net-snmp accepts, then sends nothing)', '7F000001'],
    ['empty', ''],
    ['7 bytes', '7F00000100A200'],
    ['18 bytes (IPv6 form)', '20010DB8000000000000000000000001' + '00A2'],
  ])('decode of %s is undefined', (_, bytes) => {
    expect(decodeTAddress(Buffer.from(bytes, 'hex'))).toBeUndefined();
  });
});

describe('rfc3413', () => {
  it('creates params, addr and notify rows, in that order, holding exactly what was chosen', async () => {
    const { device, client } = setup();
    expect(await method.ensure(client, MANAGER)).toBe('created');
    expect(setOids(client.requests).map((oids) => oids.at(-1))).toEqual([params(P.rowStatus), addr(A.rowStatus), notify(N.rowStatus)]);

    expect(value(device, params(P.mpModel))).toBe(RFC3413.mpModel.v2c);
    expect(value(device, params(P.securityModel))).toBe(RFC3413.securityModel.v2c);
    expect((value(device, params(P.securityName)) as Buffer).toString()).toBe(COMMUNITY);
    expect(value(device, params(P.securityLevel))).toBe(RFC3413.securityLevel.noAuthNoPriv);
    expect(value(device, addr(A.tDomain))).toBe(RFC3413.snmpUDPDomain);
    expect(hex(value(device, addr(A.tAddress)))).toBe('7F000001048A');
    expect(value(device, addr(A.timeout))).toBe(300);
    expect(value(device, addr(A.retryCount))).toBe(1);
    expect((value(device, addr(A.tagList)) as Buffer).toString()).toBe('priscan');
    expect((value(device, addr(A.params)) as Buffer).toString()).toBe('priscan');
    expect((value(device, notify(N.tag)) as Buffer).toString()).toBe('priscan');
    expect(value(device, notify(N.type))).toBe(RFC3413.notifyType.trap);
    for (const oid of [params(P.storageType), addr(A.storageType), notify(N.storageType)]) {
      expect(value(device, oid)).toBe(RFC3413.storageType.nonVolatile);
    }
    for (const oid of [params(P.rowStatus), addr(A.rowStatus), notify(N.rowStatus)]) expect(value(device, oid)).toBe(ROW_STATUS.active);
  });

  it.each(['authPriv', 'authNoPriv', 'noAuthNoPriv'] as const)('writes v3 params naming a %s device user, and no community', async (level) => {
    const { device, client } = setup(DEVICE_USER);
    expect(await method.ensure(client, { ...MANAGER, usm: { user: 'ups-admin', level } })).toBe('created');
    expect(value(device, params(P.mpModel))).toBe(RFC3413.mpModel.v3);
    expect(value(device, params(P.securityModel))).toBe(RFC3413.securityModel.usm);
    expect((value(device, params(P.securityName)) as Buffer).toString()).toBe('ups-admin');
    expect(value(device, params(P.securityLevel))).toBe(RFC3413.securityLevel[level]);
    const written = [P.mpModel, P.securityModel, P.securityName, P.securityLevel, P.storageType].map((col) => value(device, params(col)));
    expect(written.filter((v) => Buffer.isBuffer(v) && v.toString() === COMMUNITY)).toEqual([]);
  });

  it('repairs a v2c params row into v3 when the device moves to v3, and verifies it after', async () => {
    const { device, client } = setup(DEVICE_USER);
    expect(await method.ensure(client, MANAGER)).toBe('created');
    const v3 = { ...MANAGER, usm: { user: 'ups-admin', level: 'authPriv' as const } };
    expect(await method.ensure(client, v3)).toBe('repaired');
    expect(value(device, params(P.mpModel))).toBe(RFC3413.mpModel.v3);
    expect(await method.ensure(client, v3)).toBe('verified');
  });

  it('removes notify, addr, then params, and needs nothing from the manager to do it', async () => {
    const { device, client } = setup();
    await method.ensure(client, MANAGER);
    client.requests.length = 0;
    await method.remove(client, { ...MANAGER, address: '2001:db8::1' });
    expect(setOids(client.requests)).toEqual([[notify(N.rowStatus)], [addr(A.rowStatus)], [params(P.rowStatus)]]);
    const left = device.mib.walk().filter((vb) => [...STATUS_COL.keys()].some((entry) => vb.oid.startsWith(`${entry}.`)));
    expect(left).toEqual([]);
  });

  it('leaves another manager\'s rows alone', async () => {
    const { device, client } = setup();
    const other = [...Buffer.from('other')].join('.');
    device.mib.set([
      { oid: `${RFC3413.notifyEntry}.${N.tag}.${other}`, type: VarType.OctetString, value: Buffer.from('other') },
      { oid: `${RFC3413.notifyEntry}.${N.rowStatus}.${other}`, type: VarType.Integer, value: ROW_STATUS.createAndGo },
    ]);
    await method.ensure(client, MANAGER);
    await method.remove(client, MANAGER);
    expect(value(device, `${RFC3413.notifyEntry}.${N.rowStatus}.${other}`)).toBe(ROW_STATUS.active);
  });

  it('takes an active row out of service to change it when the agent refuses changes to active rows', async () => {
    const { device, client } = setup();
    await method.ensure(client, MANAGER);
    device.mib.set([{ oid: params(P.securityName), type: VarType.OctetString, value: Buffer.from('drifted') }]);
    const strict = new ActiveRowsReadOnly(client, device);

    expect(await method.ensure(strict, MANAGER)).toBe('repaired');
    expect(strict.attempts).toEqual([
      [params(P.securityName), 'refused'],
      [params(P.rowStatus), 'ok'],
      [params(P.securityName), 'ok'],
      [params(P.rowStatus), 'ok'],
    ]);
    expect(value(device, params(P.rowStatus))).toBe(ROW_STATUS.active);
    expect(device.identity.registration.targets()).toMatchObject([{ address: '127.0.0.1', port: 1162, community: COMMUNITY }]);
  });

  it('puts the row back in service when the change is refused out of service too', async () => {
    const { device, client } = setup();
    await method.ensure(client, MANAGER);
    const strict = new ActiveRowsReadOnly(client, device);
    const tooLong = 'z'.repeat(256);

    const error = await method.ensure(strict, { ...MANAGER, community: tooLong }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistrationError);
    expect((error as RegistrationError).code).toBe('refused');
    expect((error as RegistrationError).message).toBe('device refused snmpTargetParamsSecurityName: wrongLength');
    expect(value(device, params(P.rowStatus))).toBe(ROW_STATUS.active);
    expect(device.identity.registration.targets()).toMatchObject([{ community: COMMUNITY }]);
  });

  it('names the drifted columns, never the community, when the read-back differs', async () => {
    const { device, client } = setup();
    const error = await method.ensure(new TruncatingTAddress(client), MANAGER).catch((e: unknown) => e);
    expect((error as RegistrationError).code).toBe('read-back-mismatch');
    expect((error as RegistrationError).message).toContain('snmpTargetAddrTAddress is 0x7F000001FFFF, expected 0x7F000001048A');
    expect((error as RegistrationError).message).not.toContain(COMMUNITY);
    expect(device.identity.registration.targets()).toMatchObject([{ port: 65535 }]);
  });
});

/**
 * An agent that refuses (inconsistentValue) any change to a non-RowStatus
 * column of an active row, as net-snmp's target tables do.
 */
class ActiveRowsReadOnly implements SnmpClient {
  readonly attempts: Array<[string, 'ok' | 'refused']> = [];
  constructor(
    private readonly inner: FakeSnmpClient,
    private readonly device: Rfc1628UpsDevice,
  ) {}
  get(oids: readonly string[]): Promise<SnmpVarbind[]> {
    return this.inner.get(oids);
  }
  subtree(oid: string): Promise<SnmpVarbind[]> {
    return this.inner.subtree(oid);
  }
  async set(varbinds: readonly SnmpVarbind[]): Promise<void> {
    const refused = varbinds.findIndex((vb) => this.isActiveRowColumn(vb.oid));
    for (const vb of varbinds) this.attempts.push([vb.oid, refused >= 0 ? 'refused' : 'ok']);
    if (refused >= 0) throw new SnmpError('error-status', 'agent refused the SET: inconsistentValue', 'inconsistentValue', refused + 1);
    await this.inner.set(varbinds);
  }
  close(): void {}

  private isActiveRowColumn(oid: string): boolean {
    for (const [entry, statusCol] of STATUS_COL) {
      if (!oid.startsWith(`${entry}.`)) continue;
      const [col, ...index] = oid.slice(entry.length + 1).split('.');
      if (Number(col) === statusCol) return false;
      return this.device.mib.get(`${entry}.${statusCol}.${index.join('.')}`).value === ROW_STATUS.active;
    }
    return false;
  }
}

/** Writes a different 6-byte TAddress than asked: the read-back must catch it. */
class TruncatingTAddress implements SnmpClient {
  constructor(private readonly inner: FakeSnmpClient) {}
  get(oids: readonly string[]): Promise<SnmpVarbind[]> {
    return this.inner.get(oids);
  }
  subtree(oid: string): Promise<SnmpVarbind[]> {
    return this.inner.subtree(oid);
  }
  set(varbinds: readonly SnmpVarbind[]): Promise<void> {
    return this.inner.set(varbinds.map((vb) => (vb.oid === addr(A.tAddress) ? { ...vb, value: Buffer.from('7F000001FFFF', 'hex') } : vb)));
  }
  close(): void {}
}
