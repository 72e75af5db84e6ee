// The notification intake never derives SNMPv3 keys in its receive path: a message whose user's
// keys are not ready waits (bounded, unauthenticated) until the deriver delivers them, and is then
// checked like any other. Most tests drive receive() with a deriver the test finishes by hand;
// the last ones use real sockets (senders on 127.0.205.0/24) and the real worker thread.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { SNMPV2 } from '../../src/profiles/oids.js';
import { PduType, VarType } from '../../src/snmp/message.js';
import { WorkerKeyDeriver, type PasswordKeyDeriver } from '../../src/snmp/key-derivation.js';
import { KeyCache, type SecurityLevel, type UsmUser } from '../../src/snmp/usm.js';
import { UsmKeyStore } from '../../src/snmp/usm-keys.js';
import { encodeV3, EngineTimeWindows, receiveNonAuthoritative, type LocalEngine } from '../../src/snmp/v3.js';
import { NotificationIntake, type AcceptedNotification } from '../../src/traps/intake.js';
import { NotificationSources } from '../../src/traps/sources.js';
import { ManualDeriver } from '../helpers/manual-deriver.js';

const DEVICE = '127.0.205.1';
const STRANGER = '127.0.205.99';
const ALERT = '1.3.6.1.4.1.32473.1.2.0.1';
const ENGINE: LocalEngine = { engineId: Buffer.from('80007ed905aabbccddeeff00112299', 'hex'), boots: 2, time: () => 100 };
const DEVICE_ENGINE = Buffer.from('80007ed904646576696365', 'hex');
const USER: UsmUser = { name: 'ups-admin', level: 'authPriv', authProtocol: 'sha256', authPassword: 'auth-passw0rd', privProtocol: 'aes128', privPassword: 'priv-passw0rd' };
const senderKeys = new KeyCache();

/** A v3 notification as the device sends it: a trap from its own engine, an inform to the intake's. */
function notification(options: { user?: UsmUser; level?: SecurityLevel; inform?: boolean; msgId?: number; engineId?: Buffer } = {}): Buffer {
  const user = options.user ?? USER;
  const level = options.level ?? user.level;
  const engineId = options.engineId ?? (options.inform ? ENGINE.engineId : DEVICE_ENGINE);
  return encodeV3({
    msgId: options.msgId ?? 1,
    reportable: Boolean(options.inform),
    level,
    userName: user.name,
    ...(level === 'noAuthNoPriv' ? {} : { keys: senderKeys.localize(user, engineId) }),
    engineId,
    clock: options.inform ? { boots: ENGINE.boots, time: ENGINE.time() } : { boots: 9, time: 5000 },
    contextEngineId: DEVICE_ENGINE,
    pdu: {
      type: options.inform ? PduType.InformRequest : PduType.TrapV2,
      requestId: options.msgId ?? 1,
      errorStatus: 0,
      errorIndex: 0,
      varbinds: [
        { oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: 100 },
        { oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: ALERT },
      ],
    },
  });
}

let counted: string[];
let accepted: AcceptedNotification[];
const intakes: NotificationIntake[] = [];
const sockets: dgram.Socket[] = [];

function setup(deriver: PasswordKeyDeriver, options: { prepareOnSet?: boolean } = {}) {
  counted = [];
  accepted = [];
  let intake: NotificationIntake | undefined;
  const sources = new NotificationSources(options.prepareOnSet ? { onUsmUser: (user) => intake?.prepareKeys(user) } : {});
  intake = new NotificationIntake({
    address: '127.0.0.1',
    port: 0,
    receiveBufferBytes: 1024 * 1024,
    now: () => 5000,
    sourceFor: (address) => sources.lookup(address),
    onNotification: (n) => accepted.push(n),
    engine: ENGINE,
    observer: { notification: (version, kind, result) => counted.push(`${version}/${kind}/${result}`) },
    usmKeys: new UsmKeyStore({ cache: new KeyCache(), deriver }),
  });
  intakes.push(intake);
  return { intake, sources };
}

const from = (address: string) => ({ address, port: 40_000 });

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const intake of intakes.splice(0)) await intake.stop();
});

describe('NotificationIntake: SNMPv3 keys not derived yet', () => {
  it("holds a trap while its user's keys are derived, then accepts it", async () => {
    const deriver = new ManualDeriver();
    const { intake, sources } = setup(deriver);
    sources.set(DEVICE, { deviceId: 7, community: 'c', usm: USER });
    expect(intake.receive(notification(), from(DEVICE))).toBe('awaiting_keys');
    expect(counted).toEqual([]);
    expect(accepted).toEqual([]);
    // Asked for the user's two password keys, urgently: a message is waiting for them.
    expect(deriver.asked.map((a) => [a.job.password, a.urgent])).toEqual([
      [USER.authPassword, true],
      [USER.privPassword, true],
    ]);
    await deriver.finishAll();
    expect(counted).toEqual(['v3/trap/accepted']);
    expect(accepted).toEqual([{ deviceId: 7, restart: false, receivedAt: 5000 }]);
    // From now on the keys are there: the next trap is checked at once.
    expect(intake.receive(notification({ msgId: 2 }), from(DEVICE))).toBe('accepted');
  });

  it.each<[string, UsmUser]>([
    ['the wrong authentication password', { ...USER, authPassword: 'guessed-passw0rd' }],
    ['the wrong privacy password', { ...USER, privPassword: 'guessed-passw0rd' }],
  ])('never accepts a held message with %s: it is refused once the keys arrive', async (_name, forger) => {
    const deriver = new ManualDeriver();
    const { intake, sources } = setup(deriver);
    sources.set(DEVICE, { deviceId: 7, community: 'c', usm: USER });
    expect(intake.receive(notification({ user: forger }), from(DEVICE))).toBe('awaiting_keys');
    await deriver.finishAll();
    expect(counted).toEqual(['v3/unknown/bad_auth']);
    expect(accepted).toEqual([]);
  });

  it.each<[string, () => Buffer, string, string]>([
    ['a message below the user\'s level', () => notification({ level: 'noAuthNoPriv' }), DEVICE, 'v3/unknown/bad_auth'],
    ['another user name', () => notification({ user: { ...USER, name: 'intruder' } }), DEVICE, 'v3/unknown/unknown_user'],
    ["a stranger's message", () => notification(), STRANGER, 'v3/unknown/unknown_source'],
  ])('refuses %s at once, without deriving anything', (_name, datagram, sender, result) => {
    const deriver = new ManualDeriver();
    const { intake, sources } = setup(deriver);
    sources.set(DEVICE, { deviceId: 7, community: 'c', usm: USER });
    expect(intake.receive(datagram(), from(sender))).toBe(result.split('/')[2]);
    expect(counted).toEqual([result]);
    expect(deriver.asked).toEqual([]);
  });

  it('holds at most 32 datagrams per device; the rest are dropped and counted', async () => {
    const deriver = new ManualDeriver();
    const { intake, sources } = setup(deriver);
    sources.set(DEVICE, { deviceId: 7, community: 'c', usm: USER });
    const outcomes = Array.from({ length: 40 }, (_, i) => intake.receive(notification({ msgId: i + 1 }), from(DEVICE)));
    expect(outcomes.filter((o) => o === 'awaiting_keys')).toHaveLength(32);
    expect(counted).toEqual(Array(8).fill('v3/unknown/dropped_awaiting_keys'));
    await deriver.finishAll();
    expect(accepted).toHaveLength(32);
  });

  it("derives a device's keys when it is added, so its first trap is accepted at once", async () => {
    const deriver = new ManualDeriver();
    const { intake, sources } = setup(deriver, { prepareOnSet: true });
    sources.set(DEVICE, { deviceId: 7, community: 'c', usm: USER });
    await new Promise((r) => setImmediate(r));
    expect(deriver.asked.map((a) => a.urgent)).toEqual([false, false]);
    await deriver.finishAll();
    expect(intake.receive(notification(), from(DEVICE))).toBe('accepted');
    expect(accepted).toHaveLength(1);
  });

  it('tries a failed derivation once more; a datagram whose keys fail twice is dropped and counted', async () => {
    const deriver = new ManualDeriver();
    const { intake, sources } = setup(deriver);
    sources.set(DEVICE, { deviceId: 7, community: 'c', usm: USER });
    intake.receive(notification(), from(DEVICE));
    await deriver.finishAll(true);
    expect(counted).toEqual([]);
    await deriver.finishAll(true);
    expect(counted).toEqual(['v3/unknown/dropped_awaiting_keys']);

    intake.receive(notification({ msgId: 2 }), from(DEVICE));
    await deriver.finishAll(true);
    await deriver.finishAll();
    expect(counted).toEqual(['v3/unknown/dropped_awaiting_keys', 'v3/trap/accepted']);
  });

  it('on stop, drops and counts what is held; nothing is accepted afterwards', async () => {
    const deriver = new ManualDeriver();
    const { intake, sources } = setup(deriver);
    sources.set(DEVICE, { deviceId: 7, community: 'c', usm: USER });
    for (let i = 1; i <= 3; i++) intake.receive(notification({ msgId: i }), from(DEVICE));
    await intake.stop();
    await new Promise((r) => setImmediate(r));
    expect(counted).toEqual(Array(3).fill('v3/unknown/dropped_awaiting_keys'));
    expect(accepted).toEqual([]);
  });
});

async function socketOn(address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((r) => socket.bind(0, address, r));
  return socket;
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('NotificationIntake: SNMPv3 keys derived in the worker thread', () => {
  it('acknowledges an inform that waited for its keys, with the same msgID', async () => {
    const deriver = new ManualDeriver();
    const { intake, sources } = setup(deriver);
    await intake.start();
    sources.set('127.0.205.2', { deviceId: 8, community: 'c', usm: USER });
    const device = await socketOn('127.0.205.2');
    const ack = new Promise<Buffer>((resolve) => device.once('message', resolve));
    device.send(notification({ inform: true, msgId: 31 }), intake.port, '127.0.0.1');
    await until('the inform held', () => deriver.asked.length === 2, 5000);
    expect(counted).toEqual([]);
    await deriver.finishAll();
    const read = receiveNonAuthoritative(await ack, { userFor: () => USER, keys: new KeyCache(), windows: new EngineTimeWindows(() => 0) });
    expect(read).toMatchObject({ msgId: 31, pdu: { type: PduType.Response, requestId: 31 } });
    expect(counted).toEqual(['v3/inform/accepted']);
  });

  it('accepts the first traps of 20 new devices, each its own user, with every key derived by the worker', async () => {
    const worker = new WorkerKeyDeriver();
    const derived: string[] = [];
    const counting: PasswordKeyDeriver = {
      derive: (job, urgent) => worker.derive(job, urgent).then((key) => (derived.push(job.id), key)),
      stop: () => worker.stop(),
    };
    const { intake, sources } = setup(counting);
    await intake.start();
    const devices = Array.from({ length: 20 }, (_, i) => ({
      address: `127.0.205.${10 + i}`,
      user: { ...USER, name: `dev${i}`, authPassword: `auth-${i}-passw0rd`, privPassword: `priv-${i}-passw0rd` } satisfies UsmUser,
    }));
    devices.forEach((d, i) => sources.set(d.address, { deviceId: 100 + i, community: 'c', usm: d.user }));
    for (const d of devices) (await socketOn(d.address)).send(notification({ user: d.user }), intake.port, '127.0.0.1');
    await until('20 traps accepted', () => accepted.length === 20, 30_000);
    expect(counted).toEqual(Array(20).fill('v3/trap/accepted'));
    expect(new Set(accepted.map((n) => n.deviceId)).size).toBe(20);
    expect(new Set(derived).size).toBe(40);
  });
});
