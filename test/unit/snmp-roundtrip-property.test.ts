// Property: whatever message the codec is given, decoding its encoding gives that message back.
// Random v1 traps and responses, v2c traps, informs and responses, and v3 messages at every
// security level, with varbinds of every value type adding up to 0 bytes .. 64 KiB: sizes that
// make the encoder's buffers grow at every point of a message. Everything comes from one seeded
// generator, so a failure names the seed and iteration that replay it.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, PduType, VarType, type Pdu, type RequestPdu, type SnmpMessage, type VarBind, type VarValue } from '../../src/snmp/message.js';
import { desAvailable, KeyCache, type UsmUser } from '../../src/snmp/usm.js';
import { emptyUsmStats, encodeV3, EngineTimeWindows, receiveAuthoritative, receiveNonAuthoritative, receiveReply, type V3Message } from '../../src/snmp/v3.js';
import { Rng } from '../helpers/notification-fuzz.js';

const MAX_VARBIND_BYTES = 64 * 1024;
const UINT32_MAX = 2 ** 32 - 1;
const V1_TYPES = [VarType.Integer, VarType.OctetString, VarType.Null, VarType.OID, VarType.IpAddress, VarType.Counter32, VarType.Gauge32, VarType.TimeTicks, VarType.Opaque];
const ALL_TYPES = [...V1_TYPES, VarType.Counter64, VarType.NoSuchObject, VarType.NoSuchInstance, VarType.EndOfMibView];

/** An arc: often at the edges of the encoding (1, 2, 5 octets), sometimes anywhere up to 2^32-1. */
function arc(rng: Rng): number {
  return rng.chance(0.5) ? rng.pick([0, 1, 127, 128, 16383, 16384, 2 ** 31, UINT32_MAX]) : rng.range(0, rng.pick([127, 65535, UINT32_MAX]));
}

function oid(rng: Rng): string {
  const first = rng.int(3);
  const second = first < 2 ? rng.int(40) : arc(rng);
  const arcs = [first, second];
  for (let n = rng.chance(0.1) ? 126 : rng.int(30); n > 0; n--) arcs.push(arc(rng));
  return arcs.join('.');
}

function octets(rng: Rng, room: number): Buffer {
  const length = rng.chance(0.3) ? rng.int(Math.max(1, room)) : rng.int(Math.min(room, 300) + 1);
  return rng.bytes(Math.max(0, Math.min(length, room)));
}

function value(rng: Rng, type: VarType, room: number): VarValue {
  switch (type) {
    case VarType.Integer:
      return rng.chance(0.5) ? rng.pick([-(2 ** 31), -129, -128, -1, 0, 127, 128, 2 ** 31 - 1]) : rng.range(-(2 ** 31), 2 ** 31 - 1);
    case VarType.Counter32:
    case VarType.Gauge32:
    case VarType.TimeTicks:
      return rng.chance(0.5) ? rng.pick([0, 127, 128, 2 ** 31 - 1, 2 ** 31, UINT32_MAX]) : rng.range(0, UINT32_MAX);
    case VarType.Counter64:
      return rng.chance(0.3) ? rng.pick([0n, 127n, 128n, 2n ** 63n, 2n ** 64n - 1n]) : (BigInt(rng.range(0, UINT32_MAX)) << 32n) | BigInt(rng.range(0, UINT32_MAX));
    case VarType.OctetString:
    case VarType.Opaque:
      return octets(rng, room);
    case VarType.OID:
      return oid(rng);
    case VarType.IpAddress:
      return [0, 0, 0, 0].map(() => rng.int(256)).join('.');
    default:
      return null;
  }
}

/** Varbinds of random types whose encodings add up to about `target` bytes (never above 64 KiB). */
function varbinds(rng: Rng, types: readonly VarType[], target: number): VarBind[] {
  const out: VarBind[] = [];
  let size = 0;
  while (size < target) {
    const name = oid(rng);
    const type = rng.pick(types);
    // Room for the value: what is left once the name and the headers (at most 14 bytes) are counted.
    const room = MAX_VARBIND_BYTES - size - name.length - 14;
    if (room < 16) break;
    const v = value(rng, type, Math.min(room, target - size));
    out.push({ oid: name, type, value: v });
    // An upper bound: each arc's digits take at least as many characters as its encoding takes bytes.
    size += name.length + 14 + (Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? v.length : 9);
  }
  return out;
}

/** 0 bytes one time in ten, close to 64 KiB one time in ten, otherwise log-uniform in between. */
function targetSize(rng: Rng): number {
  const draw = rng.next();
  return draw < 0.1 ? 0 : draw < 0.2 ? rng.range(56 * 1024, MAX_VARBIND_BYTES) : Math.floor(2 ** (rng.next() * 16));
}

function requestPdu(rng: Rng, type: RequestPdu['type'], list: VarBind[]): RequestPdu {
  const int32 = () => rng.range(-(2 ** 31), 2 ** 31 - 1);
  return { type, requestId: int32(), errorStatus: type === PduType.Response ? rng.int(19) : 0, errorIndex: type === PduType.Response ? rng.int(list.length + 1) : 0, varbinds: list };
}

function communityMessage(rng: Rng): SnmpMessage {
  const community = rng.bytes(rng.int(65));
  const shape = rng.pick(['v1-trap', 'v1-response', 'v2c-trap', 'v2c-inform', 'v2c-response'] as const);
  const v1 = shape.startsWith('v1');
  const list = varbinds(rng, v1 ? V1_TYPES : ALL_TYPES, targetSize(rng));
  let pdu: Pdu;
  if (shape === 'v1-trap') {
    pdu = { type: PduType.TrapV1, enterprise: oid(rng), agentAddr: value(rng, VarType.IpAddress, 0) as string, genericTrap: rng.int(7), specificTrap: rng.range(0, 2 ** 31 - 1), timestamp: rng.range(0, UINT32_MAX), varbinds: list };
  } else {
    const type = { 'v1-response': PduType.Response, 'v2c-trap': PduType.TrapV2, 'v2c-inform': PduType.InformRequest, 'v2c-response': PduType.Response }[shape];
    pdu = requestPdu(rng, type, list);
  }
  return { version: v1 ? 0 : 1, community, pdu };
}

/** Buffers as hex and bigints as text: fast to compare, and the difference is readable. */
function comparable(x: unknown): unknown {
  if (Buffer.isBuffer(x)) return `0x${x.toString('hex')}`;
  if (typeof x === 'bigint') return `${x}n`;
  if (Array.isArray(x)) return x.map(comparable);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, comparable(v)]));
  return x;
}

const SEEDS = [0x0c0dec01, 0x5eed0002, 0x00decade];

describe('encode then decode gives the message back', () => {
  it.each(SEEDS)('v1 and v2c messages up to 64 KiB of varbinds (seed %i)', (seed) => {
    const rng = new Rng(seed);
    let largest = 0;
    let empty = 0;
    for (let i = 0; i < 150; i++) {
      const message = communityMessage(rng);
      const datagram = encodeMessage(message);
      const where = `seed ${seed} iteration ${i} (${datagram.length} bytes)`;
      expect(comparable(decodeMessage(datagram)), where).toEqual(comparable(message));
      // One encoding per message: a second encode of what was decoded is byte-identical.
      expect(encodeMessage(decodeMessage(datagram)).equals(datagram), where).toBe(true);
      largest = Math.max(largest, datagram.length);
      if (message.pdu.varbinds.length === 0) empty++;
    }
    // The generator really covered the range the property is about.
    expect(largest).toBeGreaterThan(48 * 1024);
    expect(empty).toBeGreaterThan(0);
  });

  const USERS: UsmUser[] = [
    { name: 'none', level: 'noAuthNoPriv' },
    { name: 'auth-md5', level: 'authNoPriv', authProtocol: 'md5', authPassword: 'md5-passw0rd' },
    { name: 'auth-sha512', level: 'authNoPriv', authProtocol: 'sha512', authPassword: 'sha512-passw0rd' },
    { name: 'priv-sha256-aes128', level: 'authPriv', authProtocol: 'sha256', authPassword: 'sha256-passw0rd', privProtocol: 'aes128', privPassword: 'aes128-passw0rd' },
    { name: 'priv-sha-aes256', level: 'authPriv', authProtocol: 'sha', authPassword: 'sha1-passw0rd', privProtocol: 'aes256', privPassword: 'aes256-passw0rd' },
    ...(desAvailable() ? [{ name: 'priv-md5-des', level: 'authPriv', authProtocol: 'md5', authPassword: 'md5-passw0rd', privProtocol: 'des', privPassword: 'des-passw0rd' } as const] : []),
  ];
  const keys = new KeyCache();

  /** Encodes a v3 message as its sender would and receives it as its receiver does. */
  function v3RoundTrip(rng: Rng): { sent: Omit<V3Message, 'maxSize' | 'reportable'>; received: V3Message; bytes: number } {
    const user = rng.pick(USERS);
    const engineId = rng.bytes(rng.range(5, 32));
    const clock = { boots: rng.range(1, 2 ** 31 - 2), time: rng.range(0, 2 ** 31 - 1) };
    const type = rng.pick([PduType.TrapV2, PduType.InformRequest, PduType.Response, PduType.GetRequest, PduType.Report] as const);
    const pdu = requestPdu(rng, type, varbinds(rng, ALL_TYPES, targetSize(rng)));
    const sent = { msgId: rng.range(0, 2 ** 31 - 1), level: user.level, engineId, ...clock, userName: user.name, contextEngineId: rng.bytes(rng.int(33)), contextName: rng.bytes(rng.int(33)), pdu };
    const localized = keys.localize(user, engineId);
    const datagram = encodeV3({ ...sent, reportable: false, keys: localized, clock });
    let received: V3Message;
    if (type === PduType.TrapV2) {
      received = receiveNonAuthoritative(datagram, { userFor: () => user, keys, windows: new EngineTimeWindows(() => 0) });
    } else if (type === PduType.Response || type === PduType.Report) {
      received = receiveReply(datagram, { user, level: user.level, keys });
    } else {
      received = receiveAuthoritative(datagram, { engine: { engineId, boots: clock.boots, time: () => clock.time }, userFor: () => user, keys, stats: emptyUsmStats() });
    }
    return { sent, received, bytes: datagram.length };
  }

  it.each(SEEDS)('v3 messages at every security level, up to 64 KiB of varbinds (seed %i)', (seed) => {
    const rng = new Rng(seed);
    let largest = 0;
    for (let i = 0; i < 80; i++) {
      const { sent, received, bytes } = v3RoundTrip(rng);
      const { maxSize: _maxSize, reportable: _reportable, ...rest } = received;
      expect(comparable(rest), `seed ${seed} iteration ${i} (${sent.userName}, ${bytes} bytes)`).toEqual(comparable(sent));
      largest = Math.max(largest, bytes);
    }
    expect(largest).toBeGreaterThan(48 * 1024);
  });
});
