import { describe, expect, it } from 'vitest';
import type { DeviceSettings, SimDevice } from '../../simulators/devices/device.js';
import { ApcUpsDevice } from '../../simulators/devices/apc-ups.js';
import { NetBotzDevice } from '../../simulators/devices/netbotz.js';
import { RackPduDevice } from '../../simulators/devices/pdu.js';
import { PriscanSimDevice } from '../../simulators/devices/sim.js';
import { Rfc1628UpsDevice } from '../../simulators/devices/ups.js';
import { VarType, type VarBind } from '../../src/snmp/message.js';
import { APC, PRISCAN_SIM, RFC3413, ROW_STATUS } from '../../src/profiles/oids.js';
import { REGISTRATION_METHODS, type RegistrationMethodName } from '../../src/profiles/schema.js';
import { RegistrationError, type ManagerRegistration } from '../../src/registration/method.js';
import { registrationMethod } from '../../src/registration/methods.js';
import { SnmpError, type SnmpClient, type SnmpVarbind } from '../../src/snmp/client.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';

const COMMUNITY = 'Nf7-s3cret-c0m'; // 14 characters: fits APC's communityString SIZE(0..15)
const MANAGER: ManagerRegistration = { address: '127.0.0.1', port: 1162, community: COMMUNITY };
const APC_TRAP_PORT = 162;

function settings(): DeviceSettings {
  return {
    address: '127.0.98.1',
    port: 161,
    readCommunity: 'public',
    writeCommunity: 'private',
    clock: { now: () => 1_700_000_000_000 },
    apcTrapPort: APC_TRAP_PORT,
    onBatteryRepeatMs: 60_000,
  };
}

const ROW = [...Buffer.from('priscan')].join('.');
const HIDDEN_ROW = `${MANAGER.address}.${MANAGER.port}`;
const hidden = (col: number): string => `${PRISCAN_SIM.regEntry}.${col}.${HIDDEN_ROW}`;
const apc = (col: number, row: number): string => `${APC.trapReceiverEntry}.${col}.${row}`;
const params = (col: number): string => `${RFC3413.targetParamsEntry}.${col}.${ROW}`;
const addr = (col: number): string => `${RFC3413.targetAddrEntry}.${col}.${ROW}`;
const notify = (col: number): string => `${RFC3413.notifyEntry}.${col}.${ROW}`;
const int = (oid: string, value: number): VarBind => ({ oid, type: VarType.Integer, value });
const str = (oid: string, value: string): VarBind => ({ oid, type: VarType.OctetString, value: Buffer.from(value) });

interface Case {
  device: string;
  method: RegistrationMethodName;
  make: () => SimDevice;
  /** The port the device sends to once registered. */
  port: number;
  /** The version it then sends: APC cards send v1 traps. */
  version: 'v1' | 'v2c';
  /** Ways the registration drifts on the device (another tool, an operator, a half-finished write). */
  drifts: Record<string, (device: SimDevice) => void>;
}

const hiddenDrifts: Case['drifts'] = {
  'community changed': (d) => d.mib.set([str(hidden(PRISCAN_SIM.regCol.community), 'other')]),
  'version set to v1': (d) => d.mib.set([int(hidden(PRISCAN_SIM.regCol.version), PRISCAN_SIM.regVersion.v1)]),
  'type set to inform': (d) => d.mib.set([int(hidden(PRISCAN_SIM.regCol.notifyType), PRISCAN_SIM.regNotifyType.inform)]),
  'row notInService': (d) => d.mib.set([int(hidden(PRISCAN_SIM.regCol.rowStatus), ROW_STATUS.notInService)]),
};
const apcDrifts: Case['drifts'] = {
  'community changed': (d) => d.mib.set([str(apc(APC.trapReceiverCol.communityString, 1), 'other')]),
  'receiver no longer accepted': (d) => d.mib.set([int(apc(APC.trapReceiverCol.acceptThisReceiver, 1), APC.acceptThisReceiver.no)]),
};

const CASES: Case[] = [
  { device: 'PriscanSimDevice', method: 'hidden-table', make: () => new PriscanSimDevice(settings()), port: MANAGER.port, version: 'v2c', drifts: hiddenDrifts },
  { device: 'NetBotzDevice', method: 'hidden-table', make: () => new NetBotzDevice(settings()), port: MANAGER.port, version: 'v2c', drifts: hiddenDrifts },
  // APC cards have no port column: they always send to 162, whatever manager.port says.
  { device: 'ApcUpsDevice', method: 'apc-receiver-table', make: () => new ApcUpsDevice(settings()), port: APC_TRAP_PORT, version: 'v1', drifts: apcDrifts },
  { device: 'RackPduDevice', method: 'apc-receiver-table', make: () => new RackPduDevice(settings()), port: APC_TRAP_PORT, version: 'v1', drifts: apcDrifts },
  {
    device: 'Rfc1628UpsDevice',
    method: 'rfc3413',
    make: () => new Rfc1628UpsDevice(settings()),
    port: MANAGER.port,
    version: 'v2c',
    drifts: {
      'securityName changed': (d) => d.mib.set([str(params(RFC3413.targetParamsCol.securityName), 'other')]),
      'TAddress points elsewhere': (d) =>
        d.mib.set([{ oid: addr(RFC3413.targetAddrCol.tAddress), type: VarType.OctetString, value: Buffer.from('0a000001303a', 'hex') }]),
      'notify tag emptied': (d) => d.mib.set([str(notify(RFC3413.notifyCol.tag), '')]),
      'notify row destroyed': (d) => d.mib.set([int(notify(RFC3413.notifyCol.rowStatus), ROW_STATUS.destroy)]),
      'addr row notInService': (d) => d.mib.set([int(addr(RFC3413.targetAddrCol.rowStatus), ROW_STATUS.notInService)]),
      'params row destroyed': (d) => d.mib.set([int(params(RFC3413.targetParamsCol.rowStatus), ROW_STATUS.destroy)]),
    },
  },
];

/** Who the device would send to now. */
const targets = (device: SimDevice) =>
  device.identity.registration.targets().map(({ address, port, community, version, type }) => ({ address, port, community, version, type }));
const sets = (client: FakeSnmpClient) => client.requests.filter((r) => r.op === 'set');

/** Awaits a rejection and checks it is a RegistrationError with `code` whose message keeps the community secret. */
async function expectRegistrationError(promise: Promise<unknown>, code: RegistrationError['code'], community = COMMUNITY): Promise<RegistrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistrationError);
  const registrationError = error as RegistrationError;
  expect(registrationError.code).toBe(code);
  expect(registrationError.message).not.toContain(community);
  return registrationError;
}

describe.each(CASES)('$method on $device', ({ method: name, make, port, version, drifts }) => {
  const method = registrationMethod(name);
  const expected = [{ address: MANAGER.address, port, community: COMMUNITY, version, type: 'trap' }];

  it('creates, then verifies without writing, survives a reboot, and removes', async () => {
    const device = make();
    const client = new FakeSnmpClient(device.mib);
    expect(targets(device)).toEqual([]);

    expect(await method.ensure(client, MANAGER)).toBe('created');
    expect(targets(device)).toEqual(expected);

    client.requests.length = 0;
    expect(await method.ensure(client, MANAGER)).toBe('verified');
    expect(sets(client)).toEqual([]);
    expect(targets(device)).toEqual(expected);

    // The coldStart it tries to send goes through an agent that was never started: a no-op.
    device.reboot();
    expect(targets(device)).toEqual([]);
    expect(await method.ensure(client, MANAGER)).toBe('created');
    expect(targets(device)).toEqual(expected);

    await method.remove(client, MANAGER);
    expect(targets(device)).toEqual([]);

    client.requests.length = 0;
    await method.remove(client, MANAGER);
    expect(sets(client)).toEqual([]);
    expect(await method.ensure(client, MANAGER)).toBe('created');
  });

  it.each(Object.entries(drifts))('repairs drift: %s', async (_, drift) => {
    const device = make();
    const client = new FakeSnmpClient(device.mib);
    await method.ensure(client, MANAGER);
    drift(device);
    expect(targets(device)).not.toEqual(expected);

    expect(await method.ensure(client, MANAGER)).toBe('repaired');
    expect(targets(device)).toEqual(expected);
    expect(await method.ensure(client, MANAGER)).toBe('verified');
  });

  it('reports an unreachable device', async () => {
    const client = new FakeSnmpClient(make().mib);
    client.unreachable = true;
    await expectRegistrationError(method.ensure(client, MANAGER), 'unreachable');
    await expectRegistrationError(method.remove(client, MANAGER), 'unreachable');
  });

  it.each(['2001:db8::1', '10.0.0.256', '0.0.0.0', 'manager.example'])('refuses manager address %s before any request', async (address) => {
    const client = new FakeSnmpClient(make().mib);
    await expectRegistrationError(method.ensure(client, { ...MANAGER, address }), 'invalid-address');
    expect(client.requests).toEqual([]);
  });

  it('throws read-back-mismatch when the device acknowledges a write it does not keep', async () => {
    const device = make();
    await expectRegistrationError(method.ensure(new ForgetfulClient(new FakeSnmpClient(device.mib)), MANAGER), 'read-back-mismatch');
  });

  it('works against an SNMPv1 agent that answers noSuchName for absent instances', async () => {
    const device = make();
    const client = new V1Client(new FakeSnmpClient(device.mib));
    expect(await method.ensure(client, MANAGER)).toBe('created');
    expect(await method.ensure(client, MANAGER)).toBe('verified');
    await method.remove(client, MANAGER);
    expect(targets(device)).toEqual([]);
  });
});

describe('refusals name the object and status, never the community', () => {
  it.each([
    // priscanRegCommunity is SIZE(1..32).
    { make: () => new PriscanSimDevice(settings()), method: 'hidden-table', community: 'x'.repeat(33), text: 'device refused priscanRegCommunity: wrongLength' },
    // communityString is SIZE(0..15) on APC cards.
    { make: () => new ApcUpsDevice(settings()), method: 'apc-receiver-table', community: 'sixteen-chars-xx', text: 'device refused communityString: wrongLength' },
    { make: () => new Rfc1628UpsDevice(settings()), method: 'rfc3413', community: 'y'.repeat(256), text: 'device refused snmpTargetParamsSecurityName: wrongLength' },
  ] as const)('$method', async ({ make, method, community, text }) => {
    const device = make();
    const error = await expectRegistrationError(
      registrationMethod(method).ensure(new FakeSnmpClient(device.mib), { ...MANAGER, community }),
      'refused',
      community,
    );
    expect(error.message).toBe(text);
    expect(targets(device)).toEqual([]);
  });
});

describe('hidden-table', () => {
  it('keeps other managers\' rows: its row is indexed by its own address and port', async () => {
    const device = new PriscanSimDevice(settings());
    const client = new FakeSnmpClient(device.mib);
    const other = { address: '10.9.8.7', port: 162, community: 'theirs' };
    await registrationMethod('hidden-table').ensure(client, other);
    await registrationMethod('hidden-table').ensure(client, MANAGER);
    await registrationMethod('hidden-table').remove(client, MANAGER);
    expect(targets(device)).toEqual([{ ...other, version: 'v2c', type: 'trap' }]);
  });
});

describe('registrationMethod', () => {
  it.each(REGISTRATION_METHODS)('%s', (name) => {
    expect(registrationMethod(name).name).toBe(name);
  });
});

/** Wraps a client; subclasses change one behaviour. */
class ClientWrapper implements SnmpClient {
  constructor(protected readonly inner: SnmpClient) {}
  get(oids: readonly string[]): Promise<SnmpVarbind[]> {
    return this.inner.get(oids);
  }
  subtree(oid: string): Promise<SnmpVarbind[]> {
    return this.inner.subtree(oid);
  }
  set(varbinds: readonly SnmpVarbind[]): Promise<void> {
    return this.inner.set(varbinds);
  }
  close(): void {
    this.inner.close();
  }
}

/** Acknowledges every SET but drops the community-carrying cells: what a device with a broken store does. */
class ForgetfulClient extends ClientWrapper {
  override set(varbinds: readonly SnmpVarbind[]): Promise<void> {
    const secret = Buffer.from(COMMUNITY);
    const kept = varbinds.map((vb) => (Buffer.isBuffer(vb.value) && vb.value.equals(secret) ? { ...vb, value: Buffer.from('forgotten') } : vb));
    return this.inner.set(kept);
  }
}

/** SNMPv1 GET: one absent instance fails the whole request with noSuchName (RFC 1157 4.1.2). */
class V1Client extends ClientWrapper {
  override async get(oids: readonly string[]): Promise<SnmpVarbind[]> {
    const varbinds = await this.inner.get(oids);
    const absent = varbinds.findIndex((vb) => vb.value === null);
    if (absent >= 0) throw new SnmpError('error-status', 'agent answered noSuchName', 'noSuchName', absent + 1);
    return varbinds;
  }
}
