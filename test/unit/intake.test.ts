// The notification listener on a real loopback socket, with a fake device directory.
import dgram from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SNMPV2 } from '../../src/profiles/oids.js';
import { decodeMessage, encodeMessage, PduType, VarType, type SnmpMessage } from '../../src/snmp/message.js';
import { NotificationIntake, type AcceptedNotification, type NotificationResult } from '../../src/traps/intake.js';

// Senders on 127.0.29.0/24.
const DEVICE = '127.0.29.1';
const STRANGER = '127.0.29.2';
const COMMUNITY = 'n0tify-c0mm';
const ALERT = '1.3.6.1.4.1.32473.1.2.0.1';

let intake: NotificationIntake;
let accepted: AcceptedNotification[];
let counted: string[];
const sockets: dgram.Socket[] = [];

async function socketOn(address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((r) => socket.bind(0, address, r));
  return socket;
}

function v2(type: typeof PduType.TrapV2 | typeof PduType.InformRequest | typeof PduType.GetRequest, trapOid = ALERT, community = COMMUNITY, requestId = 42): Buffer {
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
      ],
    },
  };
  return encodeMessage(message);
}

function v1(genericTrap: number, community = COMMUNITY): Buffer {
  return encodeMessage({
    version: 0,
    community: Buffer.from(community),
    pdu: { type: PduType.TrapV1, enterprise: '1.3.6.1.4.1.318', agentAddr: DEVICE, genericTrap, specificTrap: genericTrap === 6 ? 5 : 0, timestamp: 1, varbinds: [] },
  });
}

async function send(from: string, datagram: Buffer): Promise<dgram.Socket> {
  const socket = await socketOn(from);
  await new Promise<void>((r) => socket.send(datagram, intake.port, '127.0.0.1', () => r()));
  return socket;
}

async function settled(count: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (counted.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} datagrams counted, got ${counted.length}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function replyOn(socket: dgram.Socket, waitMs = 300): Promise<SnmpMessage | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    socket.once('message', (data) => {
      clearTimeout(timer);
      resolve(decodeMessage(data));
    });
  });
}

beforeEach(async () => {
  accepted = [];
  counted = [];
  intake = new NotificationIntake({
    address: '127.0.0.1',
    port: 0,
    receiveBufferBytes: 1024 * 1024,
    now: () => 5000,
    sourceFor: (address) => (address === DEVICE ? { deviceId: 7, community: Buffer.from(COMMUNITY) } : undefined),
    onNotification: (n) => accepted.push(n),
    observer: { notification: (version, kind, result) => counted.push(`${version}/${kind}/${result}`) },
  });
  await intake.start();
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await intake.stop();
});

describe('NotificationIntake', () => {
  it.each<[string, () => Buffer, string, boolean]>([
    ['a v2c trap', () => v2(PduType.TrapV2), 'v2c/trap/accepted', false],
    ['a v2c coldStart', () => v2(PduType.TrapV2, SNMPV2.coldStart), 'v2c/trap/accepted', true],
    ['a v2c warmStart', () => v2(PduType.TrapV2, SNMPV2.warmStart), 'v2c/trap/accepted', true],
    ['a v1 enterprise trap', () => v1(6), 'v1/trap/accepted', false],
    ['a v1 coldStart', () => v1(0), 'v1/trap/accepted', true],
    ['a v1 warmStart', () => v1(1), 'v1/trap/accepted', true],
  ])('accepts %s from a known device with its community', async (_name, datagram, count, restart) => {
    await send(DEVICE, datagram());
    await settled(1);
    expect(counted).toEqual([count]);
    expect(accepted).toEqual([{ deviceId: 7, restart, receivedAt: 5000 }]);
  });

  it('acknowledges an accepted inform with a Response carrying its request id and varbinds', async () => {
    const socket = await socketOn(DEVICE);
    const reply = replyOn(socket);
    socket.send(v2(PduType.InformRequest, ALERT, COMMUNITY, 4242), intake.port, '127.0.0.1');
    const ack = await reply;
    expect(ack?.pdu.type).toBe(PduType.Response);
    expect(ack?.pdu.type === PduType.Response ? ack.pdu.requestId : undefined).toBe(4242);
    expect(ack?.pdu.varbinds.map((v) => v.oid)).toEqual([SNMPV2.sysUpTime, SNMPV2.snmpTrapOID]);
    expect(counted).toEqual(['v2c/inform/accepted']);
  });

  it.each<[string, string, Buffer, string]>([
    ['an unknown source', STRANGER, v2(PduType.TrapV2), 'v2c/trap/unknown_source'],
    ['the wrong community', DEVICE, v2(PduType.TrapV2, ALERT, 'public'), 'v2c/trap/bad_community'],
    ['a community that only starts right', DEVICE, v2(PduType.TrapV2, ALERT, `${COMMUNITY}x`), 'v2c/trap/bad_community'],
    ['a v1 trap with the wrong community', DEVICE, v1(6, 'public'), 'v1/trap/bad_community'],
    ['a request sent to the trap port', DEVICE, v2(PduType.GetRequest), 'v2c/unknown/unexpected_pdu'],
  ])('triggers nothing for %s, and counts it', async (_name, from, datagram, count) => {
    await send(from, datagram);
    await settled(1);
    expect(counted).toEqual([count]);
    expect(accepted).toEqual([]);
  });

  it.each<[string, string, Buffer]>([
    ['an unknown source', STRANGER, v2(PduType.InformRequest)],
    ['the wrong community', DEVICE, v2(PduType.InformRequest, ALERT, 'public')],
  ])('does not acknowledge an inform from %s', async (_name, from, datagram) => {
    const socket = await socketOn(from);
    const reply = replyOn(socket);
    socket.send(datagram, intake.port, '127.0.0.1');
    expect(await reply).toBeUndefined();
    expect(accepted).toEqual([]);
  });

  it('counts malformed datagrams and keeps working after a thousand of them', async () => {
    const real = v2(PduType.TrapV2);
    const garbage: Buffer[] = [Buffer.alloc(0), Buffer.from('hello'), real.subarray(0, real.length - 3), Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])];
    // v3 is not taken here: counted as malformed, never guessed at.
    garbage.push(Buffer.from('303e020103300f02020001020300ffe304010302010304', 'hex'));
    let seed = 1;
    for (let i = garbage.length; i < 1000; i++) {
      const bytes = Buffer.from(real);
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const at = seed % bytes.length;
      bytes[at] = bytes[at]! ^ (1 << (seed % 8));
      garbage.push(i % 2 ? bytes : bytes.subarray(0, seed % bytes.length));
    }
    const socket = await socketOn(STRANGER);
    for (const [i, datagram] of garbage.entries()) {
      socket.send(datagram, intake.port, '127.0.0.1');
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5));
    }
    await settled(garbage.length);
    const results = new Set<NotificationResult | string>(counted.map((c) => c.split('/')[2]!));
    expect([...results].every((r) => ['malformed', 'unknown_source', 'unexpected_pdu'].includes(r))).toBe(true);
    expect(counted.filter((c) => c.endsWith('malformed')).length).toBeGreaterThan(500);
    expect(accepted).toEqual([]);
    await send(DEVICE, real);
    await settled(garbage.length + 1);
    expect(accepted).toHaveLength(1);
  });

  it('asks for the configured receive buffer (Linux reports twice what it grants)', () => {
    expect(intake.receiveBufferSize).toBeGreaterThanOrEqual(1024 * 1024);
  });

  it('releases its port on stop', async () => {
    const port = intake.port;
    await intake.stop();
    const again = new NotificationIntake({ address: '127.0.0.1', port, receiveBufferBytes: 65536, now: () => 0, sourceFor: () => undefined, onNotification: () => undefined });
    await again.start();
    expect(again.port).toBe(port);
    await again.stop();
  });

  it('says which address and why when the port is taken', async () => {
    const clash = new NotificationIntake({ address: '127.0.0.1', port: intake.port, receiveBufferBytes: 65536, now: () => 0, sourceFor: () => undefined, onNotification: () => undefined });
    await expect(clash.start()).rejects.toThrow(`cannot listen for notifications on 127.0.0.1:${intake.port}: address already in use`);
  });
});
