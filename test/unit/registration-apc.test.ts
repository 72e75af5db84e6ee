import { describe, expect, it } from 'vitest';
import { ApcUpsDevice } from '../../simulators/devices/apc-ups.js';
import type { DeviceSettings } from '../../simulators/devices/device.js';
import type { ApcTrapReceivers } from '../../simulators/registration/apc-receivers.js';
import { VarType, type VarBind } from '../../src/snmp/message.js';
import { APC } from '../../src/profiles/oids.js';
import { RegistrationError, type ManagerRegistration } from '../../src/registration/method.js';
import { registrationMethod } from '../../src/registration/methods.js';
import { FakeSnmpClient } from '../helpers/fake-snmp.js';

const COMMUNITY = 'Nf7-s3cret-c0m';
const MANAGER: ManagerRegistration = { address: '127.0.0.1', port: 1162, community: COMMUNITY };
const C = APC.trapReceiverCol;
const method = registrationMethod('apc-receiver-table');

function setup() {
  const settings: DeviceSettings = {
    address: '127.0.98.1',
    port: 161,
    readCommunity: 'public',
    writeCommunity: 'private',
    clock: { now: () => 1_700_000_000_000 },
    apcTrapPort: 162,
    onBatteryRepeatMs: 60_000,
  };
  const device = new ApcUpsDevice(settings);
  const receivers = device.identity.registration as ApcTrapReceivers;
  const client = new FakeSnmpClient(device.mib);
  return { device, receivers, client };
}

const cell = (col: number, row: number): string => `${APC.trapReceiverEntry}.${col}.${row}`;

/** Fills one row the way another manager (or an operator) would. */
function occupy(device: ApcUpsDevice, row: number, address: string, community: string, accept: number = APC.acceptThisReceiver.yes): void {
  const vbs: VarBind[] = [
    { oid: cell(C.receiverAddr, row), type: VarType.IpAddress, value: address },
    { oid: cell(C.communityString, row), type: VarType.OctetString, value: Buffer.from(community) },
    { oid: cell(C.acceptThisReceiver, row), type: VarType.Integer, value: accept },
  ];
  device.mib.set(vbs);
}

/** Every row as [trapIndex, receiverAddr, communityString, acceptThisReceiver]. */
const rows = (receivers: ApcTrapReceivers) =>
  receivers.table.rows().map((r) => [
    r.index[0],
    r.values.get(C.receiverAddr),
    (r.values.get(C.communityString) as Buffer).toString(),
    r.values.get(C.acceptThisReceiver),
  ]);
const sets = (client: FakeSnmpClient) => client.requests.filter((r) => r.op === 'set');

describe('apc-receiver-table', () => {
  it('takes the first free row and never a row that holds another address', async () => {
    const { device, receivers, client } = setup();
    occupy(device, 1, '10.0.0.1', 'a');
    // Not accepted, but still another manager's row.
    occupy(device, 2, '10.0.0.2', 'b', APC.acceptThisReceiver.no);
    expect(await method.ensure(client, MANAGER)).toBe('created');
    expect(rows(receivers)).toEqual([
      [1, '10.0.0.1', 'a', 1],
      [2, '10.0.0.2', 'b', 2],
      [3, MANAGER.address, COMMUNITY, 1],
      [4, '0.0.0.0', 'public', 2],
    ]);
  });

  it('refuses with no-free-row when every row belongs to another manager, and changes nothing', async () => {
    const { device, receivers, client } = setup();
    const others = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    others.forEach((address, i) => occupy(device, i + 1, address, `c${i}`));
    const before = rows(receivers);

    const error = await method.ensure(client, MANAGER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistrationError);
    expect((error as RegistrationError).code).toBe('no-free-row');
    const message = (error as RegistrationError).message;
    expect(message).toContain('4 trap receiver rows');
    for (const address of others) expect(message).toContain(address);
    expect(message).not.toContain(COMMUNITY);
    expect(sets(client)).toEqual([]);
    expect(rows(receivers)).toEqual(before);
  });

  it('reuses its own row even when it is not the first, and leaves the free row alone', async () => {
    const { device, receivers, client } = setup();
    occupy(device, 1, '10.0.0.1', 'a');
    occupy(device, 3, MANAGER.address, COMMUNITY);
    expect(await method.ensure(client, MANAGER)).toBe('verified');
    expect(sets(client)).toEqual([]);

    occupy(device, 3, MANAGER.address, 'stale', APC.acceptThisReceiver.no);
    expect(await method.ensure(client, MANAGER)).toBe('repaired');
    expect(rows(receivers)).toEqual([
      [1, '10.0.0.1', 'a', 1],
      [2, '0.0.0.0', 'public', 2],
      [3, MANAGER.address, COMMUNITY, 1],
      [4, '0.0.0.0', 'public', 2],
    ]);
  });

  it('repairs only the drifted cells of its row', async () => {
    const { device, client } = setup();
    await method.ensure(client, MANAGER);
    occupy(device, 1, MANAGER.address, COMMUNITY, APC.acceptThisReceiver.no);
    client.requests.length = 0;
    expect(await method.ensure(client, MANAGER)).toBe('repaired');
    expect(sets(client)).toEqual([{ op: 'set', oids: [cell(C.acceptThisReceiver, 1)] }]);
  });

  it('ignores manager.port: the card sends to port 162', async () => {
    const { device, client } = setup();
    await method.ensure(client, { ...MANAGER, port: 9162 });
    expect(device.identity.registration.targets()).toMatchObject([{ address: MANAGER.address, port: 162, version: 'v1', type: 'trap' }]);
    expect(await method.ensure(client, { ...MANAGER, port: 1 })).toBe('verified');
  });

  it('remove frees its row (0.0.0.0, empty community, not accepted) and leaves other rows', async () => {
    const { device, receivers, client } = setup();
    occupy(device, 1, '10.0.0.1', 'a');
    await method.ensure(client, MANAGER);
    await method.remove(client, MANAGER);
    expect(rows(receivers)).toEqual([
      [1, '10.0.0.1', 'a', 1],
      [2, '0.0.0.0', '', 2],
      [3, '0.0.0.0', 'public', 2],
      [4, '0.0.0.0', 'public', 2],
    ]);
    expect(device.identity.registration.targets()).toMatchObject([{ address: '10.0.0.1' }]);
  });
});
