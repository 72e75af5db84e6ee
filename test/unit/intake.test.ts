// The notification listener on a real loopback socket, with the real in-memory device directory.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SNMPV2 } from '../../src/profiles/oids.js';
import { decodeMessage, encodeMessage, PduType, VarType, type SnmpMessage } from '../../src/snmp/message.js';
import { NotificationIntake, type AcceptedNotification, type IntakeDeps } from '../../src/traps/intake.js';
import { NotificationSources } from '../../src/traps/sources.js';
import { KeyCache, type UsmUser } from '../../src/snmp/usm.js';
import { encodeV3, EngineTimeWindows, receiveNonAuthoritative, type LocalEngine, type V3Outgoing } from '../../src/snmp/v3.js';

// Senders on 127.0.29.0/24; the listener on 127.0.0.1.
const DEVICE = '127.0.29.1';
const STRANGER = '127.0.29.2';
const COMMUNITY = 'n0tify-c0mm';
const ALERT = '1.3.6.1.4.1.32473.1.2.0.1';
const BUFFER = 1024 * 1024;
/** The intake's own SNMPv3 engine, at boot 2, 100 s after it started. */
const ENGINE: LocalEngine = { engineId: Buffer.from('80007ed905aabbccddeeff00112233', 'hex'), boots: 2, time: () => 100 };
/** The device's engine (it is authoritative for its traps). */
const DEVICE_ENGINE = Buffer.from('80007ed904646576696365', 'hex');
const USER: UsmUser = { name: 'ups-admin', level: 'authPriv', authProtocol: 'sha256', authPassword: 'auth-passw0rd', privProtocol: 'aes128', privPassword: 'priv-passw0rd' };
const userKeys = new KeyCache();

let intake: NotificationIntake;
let sources: NotificationSources;
let accepted: AcceptedNotification[];
let onAccepted: (n: AcceptedNotification) => void;
let counted: string[];
const sockets: dgram.Socket[] = [];
const extraIntakes: NotificationIntake[] = [];

function deps(overrides: Partial<IntakeDeps> = {}): IntakeDeps {
  return {
    address: '127.0.0.1',
    port: 0,
    receiveBufferBytes: BUFFER,
    now: () => 5000,
    sourceFor: (address) => sources.lookup(address),
    onNotification: (n) => onAccepted(n),
    engine: ENGINE,
    observer: { notification: (version, kind, result) => counted.push(`${version}/${kind}/${result}`) },
    ...overrides,
  };
}

async function socketOn(address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  sockets.push(socket);
  await new Promise<void>((r) => socket.bind(0, address, r));
  return socket;
}

type V2Pdu = typeof PduType.TrapV2 | typeof PduType.InformRequest | typeof PduType.GetRequest | typeof PduType.Response;

function v2(type: V2Pdu, trapOid = ALERT, community = COMMUNITY, requestId = 42): Buffer {
  const message: SnmpMessage = {
    version: 1,
    community: Buffer.from(community),
    pdu: {
      type,
      requestId,
      errorStatus: 0,
      errorIndex: 0,
      varbinds: [
        { oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: 100 },
        { oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: trapOid },
        { oid: '1.3.6.1.4.1.32473.1.1.1.0', type: VarType.OctetString, value: Buffer.from([0, 0xff, 0x80]) },
      ],
    },
  };
  return encodeMessage(message);
}

function v1(genericTrap: number, community = COMMUNITY, agentAddr = DEVICE): Buffer {
  return encodeMessage({
    version: 0,
    community: Buffer.from(community),
    pdu: { type: PduType.TrapV1, enterprise: '1.3.6.1.4.1.318', agentAddr, genericTrap, specificTrap: genericTrap === 6 ? 5 : 0, timestamp: 1, varbinds: [] },
  });
}

/** The same message with its version field rewritten, to carry a PDU its version does not allow. */
function withVersion(datagram: Buffer, version: number): Buffer {
  const copy = Buffer.from(datagram);
  expect([...copy.subarray(2, 4)]).toEqual([0x02, 0x01]); // short-form SEQUENCE, then INTEGER of one byte
  copy[4] = version;
  return copy;
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  if (body.length > 127) throw new Error('short form only');
  return Buffer.concat([Buffer.from([tag, body.length]), body]);
}
const int = (n: number) => tlv(0x02, Buffer.from([n]));
const octets = (s: string | number[]) => tlv(0x04, Buffer.from(s as string));

/** A well-formed SNMPv3 inform (USM, noAuthNoPriv): valid BER, only the version is unsupported. */
function v3Inform(): Buffer {
  const header = tlv(0x30, int(1), tlv(0x02, Buffer.from([0x00, 0xff, 0xe3])), octets([0x04]), int(3));
  const usm = octets([...tlv(0x30, octets('engine'), int(0), int(0), octets('priscan'), octets(''), octets(''))]);
  const pdu = tlv(PduType.InformRequest, int(42), int(0), int(0), tlv(0x30));
  return tlv(0x30, int(3), header, usm, tlv(0x30, octets('engine'), octets(''), pdu));
}

async function send(from: string, datagram: Buffer, to = intake): Promise<dgram.Socket> {
  const socket = await socketOn(from);
  await new Promise<void>((r) => socket.send(datagram, to.port, from.includes(':') ? '::1' : '127.0.0.1', () => r()));
  return socket;
}

async function settled(count: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (counted.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} datagrams counted, got ${counted.length}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function replyOn(socket: dgram.Socket, waitMs: number): Promise<{ message: SnmpMessage; port: number } | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    socket.once('message', (data, rinfo) => {
      clearTimeout(timer);
      resolve({ message: decodeMessage(data), port: rinfo.port });
    });
  });
}

/** Linux grants min(requested, rmem_max) and reports twice that (the doubled value covers its bookkeeping). */
function linuxRmemMax(): number {
  return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
}

beforeEach(async () => {
  accepted = [];
  counted = [];
  onAccepted = (n) => accepted.push(n);
  sources = new NotificationSources();
  sources.set(DEVICE, { deviceId: 7, community: COMMUNITY });
  intake = new NotificationIntake(deps());
  await intake.start();
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const extra of extraIntakes.splice(0)) await extra.stop();
  await intake.stop();
});

describe('NotificationIntake: accepted notifications', () => {
  it.each<[string, () => Buffer, string, boolean]>([
    ['a v2c trap', () => v2(PduType.TrapV2), 'v2c/trap/accepted', false],
    ['a v2c coldStart', () => v2(PduType.TrapV2, SNMPV2.coldStart), 'v2c/trap/accepted', true],
    ['a v2c warmStart', () => v2(PduType.TrapV2, SNMPV2.warmStart), 'v2c/trap/accepted', true],
    ['a v2c linkDown', () => v2(PduType.TrapV2, '1.3.6.1.6.3.1.1.5.3'), 'v2c/trap/accepted', false],
    ['a v2c coldStart inform', () => v2(PduType.InformRequest, SNMPV2.coldStart), 'v2c/inform/accepted', true],
    ['a v1 enterprise trap', () => v1(6), 'v1/trap/accepted', false],
    ['a v1 coldStart', () => v1(0), 'v1/trap/accepted', true],
    ['a v1 warmStart', () => v1(1), 'v1/trap/accepted', true],
    ['a v1 linkDown', () => v1(2), 'v1/trap/accepted', false],
  ])('accepts %s from a known device with its community', async (_name, datagram, count, restart) => {
    await send(DEVICE, datagram());
    await settled(1);
    expect(counted).toEqual([count]);
    expect(accepted).toEqual([{ deviceId: 7, restart, receivedAt: 5000 }]);
  });

  // A profile may name the notifications that mean "scan now" (its scanOn list): v2 OIDs by
  // prefix, v1 traps by their RFC 3584 translation (enterprise.0.specific, snmpTraps.generic+1).
  it.each<[string, () => Buffer, string, number]>([
    ['a listed v2c trap', () => v2(PduType.TrapV2, `${ALERT}`), 'v2c/trap/accepted', 1],
    ['a v2c trap under a listed prefix', () => v2(PduType.TrapV2, '1.3.6.1.4.1.318.0.5'), 'v2c/trap/accepted', 1],
    ['a v1 enterprise trap under a listed prefix', () => v1(6), 'v1/trap/accepted', 1],
    ['an unlisted v2c trap', () => v2(PduType.TrapV2, '1.3.6.1.6.3.1.1.5.3'), 'v2c/trap/ignored', 0],
    ['an unlisted v1 linkDown', () => v1(2), 'v1/trap/ignored', 0],
    ['a coldStart, always (the device may have lost its registration)', () => v2(PduType.TrapV2, SNMPV2.coldStart), 'v2c/trap/accepted', 1],
    ['an inform whose OID only shares digits with a listed one', () => v2(PduType.InformRequest, `${ALERT}1`), 'v2c/inform/ignored', 0],
  ])('with a scanOn list, handles %s', async (_name, datagram, count, scans) => {
    sources.set(DEVICE, { deviceId: 7, community: COMMUNITY, scanOn: [ALERT, '1.3.6.1.4.1.318.0'] });
    await send(DEVICE, datagram());
    await settled(1);
    expect(counted).toEqual([count]);
    expect(accepted).toHaveLength(scans);
  });

  it('acknowledges an inform it does not scan for, so the device does not resend it', async () => {
    sources.set(DEVICE, { deviceId: 7, community: COMMUNITY, scanOn: [ALERT] });
    const socket = await socketOn(DEVICE);
    const reply = replyOn(socket, 1000);
    socket.send(v2(PduType.InformRequest, '1.3.6.1.6.3.1.1.5.3'), intake.port, '127.0.0.1');
    expect((await reply)?.message.pdu.type).toBe(PduType.Response);
    expect(accepted).toEqual([]);
  });

  it('knows a device by the address it sends from, not the agent-addr a v1 trap claims', async () => {
    await send(STRANGER, v1(6, COMMUNITY, DEVICE));
    await send(DEVICE, v1(6, COMMUNITY, STRANGER));
    await settled(2);
    expect(counted.sort()).toEqual(['v1/trap/accepted', 'v1/trap/unknown_source']);
    expect(accepted).toEqual([{ deviceId: 7, restart: false, receivedAt: 5000 }]);
  });

  it('acknowledges an accepted inform to the sender with a Response carrying its request id and varbinds', async () => {
    const socket = await socketOn(DEVICE);
    const reply = replyOn(socket, 1000);
    const inform = v2(PduType.InformRequest, ALERT, COMMUNITY, 4242);
    socket.send(inform, intake.port, '127.0.0.1');
    const ack = await reply;
    const sent = decodeMessage(inform);
    expect(ack?.port).toBe(intake.port);
    expect(ack?.message).toEqual({ ...sent, pdu: { ...sent.pdu, type: PduType.Response, requestId: 4242, errorStatus: 0, errorIndex: 0 } });
    expect(counted).toEqual(['v2c/inform/accepted']);
    expect(accepted).toHaveLength(1);
  });

  it('looks up an IPv4 sender that a dual-stack socket reports as ::ffff:a.b.c.d by its IPv4 address', () => {
    const exact = new NotificationIntake(deps({ sourceFor: (address) => (address === DEVICE ? { deviceId: 7, community: Buffer.from(COMMUNITY) } : undefined) }));
    expect(exact.receive(v2(PduType.TrapV2), { address: `::ffff:${DEVICE}`, port: 9 })).toBe('accepted');
    expect(accepted).toEqual([{ deviceId: 7, restart: false, receivedAt: 5000 }]);
  });

  it('finds an IPv6 device however its address was written', async () => {
    sources.set('0:0:0:0:0:0:0:1', { deviceId: 9, community: COMMUNITY });
    const v6 = new NotificationIntake(deps({ address: '::1' }));
    extraIntakes.push(v6);
    await v6.start();
    await send('::1', v2(PduType.TrapV2), v6);
    await settled(1);
    expect(counted).toEqual(['v2c/trap/accepted']);
    expect(accepted).toEqual([{ deviceId: 9, restart: false, receivedAt: 5000 }]);
  });
});

describe('NotificationIntake: refused notifications', () => {
  it.each<[string, string, () => Buffer, string]>([
    ['an unknown source', STRANGER, () => v2(PduType.TrapV2), 'v2c/trap/unknown_source'],
    ['a v1 trap from an unknown source', STRANGER, () => v1(0), 'v1/trap/unknown_source'],
    ['the wrong community', DEVICE, () => v2(PduType.TrapV2, ALERT, 'public'), 'v2c/trap/bad_community'],
    ['a community that is the right one plus more', DEVICE, () => v2(PduType.TrapV2, ALERT, `${COMMUNITY}x`), 'v2c/trap/bad_community'],
    ['a community that is a prefix of the right one', DEVICE, () => v2(PduType.TrapV2, ALERT, COMMUNITY.slice(0, -1)), 'v2c/trap/bad_community'],
    ['an empty community', DEVICE, () => v2(PduType.TrapV2, ALERT, ''), 'v2c/trap/bad_community'],
    ['the community in other case', DEVICE, () => v2(PduType.TrapV2, ALERT, COMMUNITY.toUpperCase()), 'v2c/trap/bad_community'],
    ['a v1 trap with the wrong community', DEVICE, () => v1(6, 'public'), 'v1/trap/bad_community'],
    ['a wrong-community inform', DEVICE, () => v2(PduType.InformRequest, ALERT, 'public'), 'v2c/inform/bad_community'],
    ['a request sent to the trap port', DEVICE, () => v2(PduType.GetRequest), 'v2c/unknown/unexpected_pdu'],
    ['a response sent to the trap port', DEVICE, () => v2(PduType.Response), 'v2c/unknown/unexpected_pdu'],
  ])('triggers nothing for %s, and counts it', async (_name, from, datagram, count) => {
    await send(from, datagram());
    await settled(1);
    expect(counted).toEqual([count]);
    expect(accepted).toEqual([]);
  });

  it.each<[string, string, () => Buffer]>([
    ['an inform from an unknown source', STRANGER, () => v2(PduType.InformRequest)],
    ['an inform with the wrong community', DEVICE, () => v2(PduType.InformRequest, ALERT, 'public')],
    ['an inform with a prefix of the community', DEVICE, () => v2(PduType.InformRequest, ALERT, COMMUNITY.slice(0, 4))],
    ['a GetRequest from a known device', DEVICE, () => v2(PduType.GetRequest)],
  ])('sends nothing back for %s', async (_name, from, datagram) => {
    const socket = await socketOn(from);
    const replies: Buffer[] = [];
    socket.on('message', (data) => replies.push(data));
    socket.send(datagram(), intake.port, '127.0.0.1');
    await settled(1);
    // An ack is sent before the datagram is counted; give loopback a moment to deliver one.
    await new Promise((r) => setTimeout(r, 100));
    expect(replies).toEqual([]);
    expect(accepted).toEqual([]);
  });
});

describe('NotificationIntake: malformed datagrams', () => {
  const real = () => v2(PduType.TrapV2);
  it.each<[string, () => Buffer]>([
    ['an empty datagram', () => Buffer.alloc(0)],
    ['random bytes', () => Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 73 + 41) & 0xff))],
    ['a truncated real trap', () => real().subarray(0, real().length - 3)],
    ['a real trap with trailing bytes', () => Buffer.concat([real(), Buffer.from([0])])],
    ['a length that runs past the datagram', () => Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])],
    ['a v2c message carrying a v1 Trap PDU', () => withVersion(v1(6), 1)],
    ['a v1 message carrying a v2 Trap PDU', () => withVersion(real(), 0)],
  ])('counts %s from a known device as malformed and triggers nothing', async (_name, datagram) => {
    await send(DEVICE, datagram());
    await settled(1);
    expect(counted).toEqual(['unknown/unknown/malformed']);
    expect(accepted).toEqual([]);
  });

  it('has a v3 sample that is refused for its version, not for its encoding', () => {
    expect(() => decodeMessage(v3Inform())).toThrow(/unsupported SNMP version 3/);
  });

  it('counts a thousand garbage datagrams and still accepts a real trap afterwards', async () => {
    const trap = real();
    const garbage: Buffer[] = [];
    let seed = 1;
    for (let i = 0; i < 1000; i++) {
      const bytes = Buffer.from(trap);
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const at = seed % bytes.length;
      bytes[at] = bytes[at]! ^ (1 << (seed % 8));
      garbage.push(i % 2 ? bytes : bytes.subarray(0, seed % bytes.length));
    }
    // From the known device, with its community: only the damage can stop these.
    const socket = await socketOn(DEVICE);
    for (const [i, datagram] of garbage.entries()) {
      socket.send(datagram, intake.port, '127.0.0.1');
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5));
    }
    await settled(garbage.length);
    const malformed = counted.filter((c) => c === 'unknown/unknown/malformed').length;
    expect(malformed).toBeGreaterThan(500);
    // A flipped bit in a varbind value can leave a valid trap; whatever was accepted was counted as accepted.
    expect(accepted.length).toBe(counted.filter((c) => c.endsWith('/accepted')).length);
    const before = accepted.length;
    await send(DEVICE, trap);
    await settled(garbage.length + 1);
    expect(counted.at(-1)).toBe('v2c/trap/accepted');
    expect(accepted).toHaveLength(before + 1);
  });

  it('keeps listening when the notification callback throws', async () => {
    onAccepted = () => {
      throw new Error('subscriber bug');
    };
    await send(DEVICE, v2(PduType.TrapV2));
    await settled(1);
    onAccepted = (n) => accepted.push(n);
    await send(DEVICE, v2(PduType.TrapV2));
    await settled(2);
    expect(counted).toEqual(['unknown/unknown/malformed', 'v2c/trap/accepted']);
    expect(accepted).toHaveLength(1);
  });
});

describe('NotificationIntake: socket lifecycle', () => {
  it.skipIf(process.platform !== 'linux')('applies the configured receive buffer', () => {
    expect(BUFFER).toBeLessThanOrEqual(linuxRmemMax());
    expect(intake.receiveBufferSize).toBe(2 * BUFFER);
  });

  it.skipIf(process.platform !== 'linux')('starts with what the kernel grants when asked for more than rmem_max', async () => {
    const max = linuxRmemMax();
    const greedy = new NotificationIntake(deps({ receiveBufferBytes: max + 1024 * 1024 }));
    extraIntakes.push(greedy);
    await greedy.start();
    expect(greedy.receiveBufferSize).toBe(2 * max);
  });

  it('releases its port on stop, and a second stop is harmless', async () => {
    const port = intake.port;
    await intake.stop();
    await intake.stop();
    expect(intake.receiveBufferSize).toBe(0);
    const again = new NotificationIntake(deps({ port }));
    extraIntakes.push(again);
    await again.start();
    expect(again.port).toBe(port);
    await send(DEVICE, v2(PduType.TrapV2), again);
    await settled(1);
    expect(accepted).toHaveLength(1);
  });

  it('says which address and why when the port is taken', async () => {
    const clash = new NotificationIntake(deps({ port: intake.port }));
    await expect(clash.start()).rejects.toThrow(`cannot listen for notifications on 127.0.0.1:${intake.port}: address already in use`);
  });
});

describe('NotificationSources', () => {
  it.each<[string, string, string]>([
    ['an IPv6 address in capitals', '2001:DB8::1', '2001:db8::1'],
    ['an uncompressed IPv6 address', '2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['an IPv4-mapped IPv6 address', '::ffff:192.0.2.7', '192.0.2.7'],
    ['an IPv4 address', '192.0.2.7', '192.0.2.7'],
  ])('finds a device set under %s by the form a socket reports', (_name, configured, reported) => {
    const table = new NotificationSources();
    table.set(configured, { deviceId: 3, community: 'c' });
    expect(table.lookup(reported)).toEqual({ deviceId: 3, community: Buffer.from('c') });
    table.delete(reported);
    expect(table.lookup(configured)).toBeUndefined();
    expect(table.size).toBe(0);
  });

  it('does not confuse neighbouring addresses', () => {
    const table = new NotificationSources();
    table.set('192.0.2.7', { deviceId: 3, community: 'c' });
    expect(table.lookup('192.0.2.70')).toBeUndefined();
    expect(table.lookup('::ffff:0:192.0.2.7')).toBeUndefined();
  });
});

/** A v3 notification as a device sends it: a trap from its own engine, an inform to the intake's. */
function v3(type: typeof PduType.TrapV2 | typeof PduType.InformRequest, options: Partial<V3Outgoing> & { user?: UsmUser; trapOid?: string } = {}): Buffer {
  const user = options.user ?? USER;
  const engineId = options.engineId ?? (type === PduType.TrapV2 ? DEVICE_ENGINE : ENGINE.engineId);
  const level = options.level ?? user.level;
  return encodeV3({
    msgId: 77,
    reportable: type === PduType.InformRequest,
    level,
    userName: user.name,
    ...(level === 'noAuthNoPriv' ? {} : { keys: userKeys.localize(user, engineId) }),
    engineId,
    clock: options.clock ?? (type === PduType.TrapV2 ? { boots: 9, time: 5000 } : { boots: ENGINE.boots, time: ENGINE.time() }),
    contextEngineId: options.contextEngineId ?? DEVICE_ENGINE,
    pdu: {
      type,
      requestId: 4343,
      errorStatus: 0,
      errorIndex: 0,
      varbinds: [
        { oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: 100 },
        { oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: options.trapOid ?? ALERT },
      ],
    },
  });
}

function rawReply(socket: dgram.Socket, waitMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    socket.once('message', (data) => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

describe('NotificationIntake: SNMPv3', () => {
  beforeEach(() => sources.set(DEVICE, { deviceId: 7, community: COMMUNITY, usm: USER }));

  it.each<[string, () => Buffer, string, boolean]>([
    ['an authPriv trap', () => v3(PduType.TrapV2), 'v3/trap/accepted', false],
    ['a coldStart trap', () => v3(PduType.TrapV2, { trapOid: SNMPV2.coldStart }), 'v3/trap/accepted', true],
    ['an inform addressed to its engine', () => v3(PduType.InformRequest), 'v3/inform/accepted', false],
  ])('accepts %s from the device with its user', async (_name, datagram, count, restart) => {
    await send(DEVICE, datagram());
    await settled(1);
    expect(counted).toEqual([count]);
    expect(accepted).toEqual([{ deviceId: 7, restart, receivedAt: 5000 }]);
  });

  it('still takes v2c from a v3 device with the community its registration carries', async () => {
    await send(DEVICE, v2(PduType.TrapV2));
    await settled(1);
    expect(counted).toEqual(['v2c/trap/accepted']);
  });

  it('answers discovery with its engine and clock, then acknowledges the inform with the same msgID, user and context', async () => {
    const socket = await socketOn(DEVICE);
    const probe = encodeV3({ msgId: 1, reportable: true, level: 'noAuthNoPriv', userName: '', engineId: Buffer.alloc(0), clock: { boots: 0, time: 0 }, contextEngineId: Buffer.alloc(0), pdu: { type: PduType.InformRequest, requestId: 1, errorStatus: 0, errorIndex: 0, varbinds: [] } });
    const reportArrives = rawReply(socket, 1000);
    socket.send(probe, intake.port, '127.0.0.1');
    const report = receiveNonAuthoritative((await reportArrives)!, { userFor: () => ({ name: '', level: 'noAuthNoPriv' }), keys: new KeyCache(), windows: new EngineTimeWindows(() => 0) });
    expect(report.engineId.equals(ENGINE.engineId)).toBe(true);
    expect(report).toMatchObject({ boots: 2, time: 100 });
    expect(report.pdu.type).toBe(PduType.Report);

    const ackArrives = rawReply(socket, 1000);
    socket.send(v3(PduType.InformRequest), intake.port, '127.0.0.1');
    const ack = receiveNonAuthoritative((await ackArrives)!, { userFor: () => USER, keys: new KeyCache(), windows: new EngineTimeWindows(() => 0) });
    expect(ack).toMatchObject({ msgId: 77, userName: 'ups-admin', level: 'authPriv' });
    expect(ack.contextEngineId.equals(DEVICE_ENGINE)).toBe(true);
    expect(ack.pdu).toMatchObject({ type: PduType.Response, requestId: 4343, errorStatus: 0 });
    expect(counted).toEqual(['v3/unknown/discovery', 'v3/inform/accepted']);
    expect(accepted).toHaveLength(1);
  });

  it.each<[string, () => Buffer, string]>([
    ['a user the device does not have', () => v3(PduType.TrapV2, { user: { ...USER, name: 'intruder' } }), 'v3/unknown/unknown_user'],
    ['the wrong authentication password', () => v3(PduType.TrapV2, { user: { ...USER, authPassword: 'guessed-passw0rd' } }), 'v3/unknown/bad_auth'],
    ['the wrong privacy password', () => v3(PduType.TrapV2, { user: { ...USER, privPassword: 'guessed-passw0rd' } }), 'v3/unknown/bad_auth'],
    ['another auth protocol', () => v3(PduType.TrapV2, { user: { ...USER, authProtocol: 'sha' } }), 'v3/unknown/bad_auth'],
    ['a lower security level', () => v3(PduType.TrapV2, { level: 'authNoPriv' }), 'v3/unknown/bad_auth'],
    ['no security at all', () => v3(PduType.TrapV2, { level: 'noAuthNoPriv' }), 'v3/unknown/bad_auth'],
    ['an inform whose clock is off by more than 150 s', () => v3(PduType.InformRequest, { clock: { boots: 2, time: 400 } }), 'v3/unknown/not_in_time_window'],
    ['an inform from before the engine last booted', () => v3(PduType.InformRequest, { clock: { boots: 1, time: 100 } }), 'v3/unknown/not_in_time_window'],
    ['an inform for another engine (no discovery)', () => v3(PduType.InformRequest, { engineId: DEVICE_ENGINE }), 'v3/unknown/discovery'],
  ])('refuses %s and triggers nothing', async (_name, datagram, count) => {
    await send(DEVICE, datagram());
    await settled(1);
    expect(counted).toEqual([count]);
    expect(accepted).toEqual([]);
  });

  it('refuses a trap replayed from more than 150 s before the newest one the device sent', async () => {
    await send(DEVICE, v3(PduType.TrapV2, { clock: { boots: 9, time: 5000 } }));
    await send(DEVICE, v3(PduType.TrapV2, { clock: { boots: 9, time: 4800 } }));
    await send(DEVICE, v3(PduType.TrapV2, { clock: { boots: 8, time: 9000 } }));
    await settled(3);
    expect(counted).toEqual(['v3/trap/accepted', 'v3/unknown/not_in_time_window', 'v3/unknown/not_in_time_window']);
    expect(accepted).toHaveLength(1);
  });

  it('refuses v3 from a device configured without a v3 user', async () => {
    sources.set(DEVICE, { deviceId: 7, community: COMMUNITY });
    await send(DEVICE, v3(PduType.TrapV2));
    await settled(1);
    expect(counted).toEqual(['v3/unknown/unknown_user']);
  });

  it('tells a stranger nothing: no report to its discovery, counted as unknown source', async () => {
    const socket = await socketOn(STRANGER);
    const probe = encodeV3({ msgId: 1, reportable: true, level: 'noAuthNoPriv', userName: '', engineId: Buffer.alloc(0), clock: { boots: 0, time: 0 }, contextEngineId: Buffer.alloc(0), pdu: { type: PduType.GetRequest, requestId: 1, errorStatus: 0, errorIndex: 0, varbinds: [] } });
    const reply = rawReply(socket, 300);
    socket.send(probe, intake.port, '127.0.0.1');
    socket.send(v3(PduType.TrapV2), intake.port, '127.0.0.1');
    expect(await reply).toBeUndefined();
    await settled(2);
    expect(counted).toEqual(['v3/unknown/unknown_source', 'v3/unknown/unknown_source']);
    expect(accepted).toEqual([]);
  });

  it('counts a v3 message with a broken header as malformed', async () => {
    await send(DEVICE, v3Inform().subarray(0, 20));
    await settled(1);
    expect(counted).toEqual(['unknown/unknown/malformed']);
  });
});

