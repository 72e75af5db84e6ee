import { seededRandom } from '../../simulators/devices/device.js';
import { SNMPV2 } from '../../src/profiles/oids.js';
import { encodeMessage, PduType, VarType, type SnmpMessage, type VarBind } from '../../src/snmp/message.js';
import { KeyCache, type UsmUser } from '../../src/snmp/usm.js';
import { encodeV3 } from '../../src/snmp/v3.js';
import { berLength, notificationMessage, tlv, v3TrapMessage, type NotificationShape } from './notifications.js';

/** The v3 user the fuzzed device is configured with: its real, signed and encrypted traps get fuzzed too. */
export const FUZZ_V3_USER: UsmUser = { name: 'fuzz-ops', level: 'authPriv', authProtocol: 'sha256', authPassword: 'fuzz-auth-passw0rd', privProtocol: 'aes128', privPassword: 'fuzz-priv-passw0rd' };
const fuzzKeys = new KeyCache();

/** A genuine authPriv trap from the fuzzed device's user, from one of a few engines, at any clock. */
function v3AuthPrivTrap(rng: Rng, varbinds: VarBind[]): Buffer {
  const engineId = Buffer.from(`80007ed904${rng.int(4).toString(16).padStart(2, '0')}66757a7a`, 'hex');
  return encodeV3({
    msgId: rng.range(0, 2 ** 31 - 1),
    reportable: false,
    level: 'authPriv',
    userName: FUZZ_V3_USER.name,
    keys: fuzzKeys.localize(FUZZ_V3_USER, engineId),
    engineId,
    clock: { boots: rng.range(1, 3), time: rng.range(0, 100_000) },
    contextEngineId: engineId,
    pdu: {
      type: PduType.TrapV2,
      requestId: rng.range(0, 2 ** 31 - 1),
      errorStatus: 0,
      errorIndex: 0,
      varbinds: [{ oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: 1 }, { oid: SNMPV2.snmpTrapOID, type: VarType.OID, value: '1.3.6.1.4.1.32473.1.0.1' }, ...varbinds],
    },
  });
}

/*
 * Hostile datagrams for the notification intake: random bytes, and real notifications of every
 * version truncated, bit-flipped, edited, with oversized lengths, nested thousands deep, with
 * wrong types, or of the wrong PDU type. Everything is drawn from one seeded generator, so a
 * failing run replays exactly.
 */

/** The simulators' seeded generator with helpers, so a failing run can be replayed with its seed. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  /** 0 .. n-1 */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** lo .. hi inclusive */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

// --- hand-made BER, for what the codec refuses to encode -------------------------------------------

function intTlv(n: number, tag = 0x02): Buffer {
  const bytes: number[] = [];
  let x = n;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (!((x === 0 && (bytes[0] as number) < 0x80) || (x === -1 && (bytes[0] as number) >= 0x80)));
  return tlv(tag, Buffer.from(bytes));
}

function oidTlv(oid: string, tag = 0x06): Buffer {
  const arcs = oid.split('.').map(Number);
  const out: number[] = [];
  for (const v of [(arcs[0] as number) * 40 + (arcs[1] as number), ...arcs.slice(2)]) {
    const groups = [v % 128];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) groups.unshift((x % 128) | 0x80);
    out.push(...groups);
  }
  return tlv(tag, Buffer.from(out));
}

/** `depth` nested elements around `core`, built in one pass (thousands deep is cheap). */
function nested(depth: number, core: Buffer, tag = 0x30): Buffer {
  const lengths = [core.length];
  for (let i = 0; i < depth; i++) lengths.push((lengths[i] as number) + 1 + berLength(lengths[i] as number).length);
  const out = Buffer.alloc(lengths[depth] as number);
  let pos = 0;
  for (let i = depth - 1; i >= 0; i--) {
    out[pos++] = tag;
    pos += berLength(lengths[i] as number).copy(out, pos);
  }
  core.copy(out, pos);
  return out;
}

/** Offsets of every TLV header in a well-formed message, to aim length mutations at. */
function headers(buf: Buffer, start = 0, end = buf.length, out: Array<{ lengthAt: number; lengthSize: number }> = []) {
  let pos = start;
  while (pos < end) {
    const tag = buf[pos] as number;
    const first = buf[pos + 1] as number;
    const lengthSize = first < 0x80 ? 1 : 1 + (first & 0x7f);
    let length = first;
    if (first >= 0x80) {
      length = 0;
      for (let i = 2; i <= lengthSize; i++) length = length * 256 + (buf[pos + i] as number);
    }
    out.push({ lengthAt: pos + 1, lengthSize });
    const content = pos + 1 + lengthSize;
    if (tag === 0x30 || (tag >= 0xa0 && tag <= 0xa8)) headers(buf, content, content + length, out);
    pos = content + length;
  }
  return out;
}

// --- the corpus -----------------------------------------------------------------------------------

const SHAPES: readonly (NotificationShape | 'v3')[] = ['v1-trap', 'v2c-trap', 'v2c-inform', 'v3'];

function randomVarbind(rng: Rng): VarBind {
  const oid = `1.3.6.1.4.1.32473.${rng.range(0, 9)}.${rng.range(0, 2 ** 31)}`;
  switch (rng.int(9)) {
    case 0:
      return { oid, type: VarType.Integer, value: rng.range(-(2 ** 31), 2 ** 31 - 1) };
    case 1:
      return { oid, type: VarType.OctetString, value: rng.bytes(rng.int(64)) };
    case 2:
      return { oid, type: VarType.OID, value: `1.3.6.1.${rng.range(0, 2 ** 32 - 1)}` };
    case 3:
      return { oid, type: VarType.IpAddress, value: `${rng.int(256)}.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}` };
    case 4:
      return { oid, type: rng.pick([VarType.Counter32, VarType.Gauge32, VarType.TimeTicks]), value: rng.range(0, 2 ** 32 - 1) };
    case 5:
      return { oid, type: VarType.Counter64, value: BigInt(rng.range(0, 2 ** 32)) * BigInt(rng.range(0, 2 ** 32)) };
    case 6:
      return { oid, type: VarType.Opaque, value: rng.bytes(rng.int(16)) };
    case 7:
      return { oid, type: rng.pick([VarType.Null, VarType.NoSuchObject, VarType.NoSuchInstance, VarType.EndOfMibView]), value: null };
    default:
      return { oid: SNMPV2.sysUpTime, type: VarType.TimeTicks, value: rng.range(0, 2 ** 32 - 1) };
  }
}

function validMessage(rng: Rng, community: Buffer, varbinds = rng.int(4)): Buffer {
  const shape = rng.pick(SHAPES);
  if (shape === 'v3' && rng.chance(0.5)) return v3AuthPrivTrap(rng, Array.from({ length: varbinds }, () => randomVarbind(rng)));
  if (shape === 'v3') return v3TrapMessage(rng.chance(0.5) ? 'priscan' : rng.bytes(rng.int(12)).toString('latin1'));
  const trapOid = rng.pick(['1.3.6.1.4.1.32473.1.0.1', SNMPV2.coldStart, SNMPV2.warmStart, '1.3.6.1.4.1.318.0.5', '1.3.6.1.2.1.33.2.3']);
  const extra = Array.from({ length: varbinds }, () => randomVarbind(rng));
  return encodeMessage(notificationMessage(shape, { community, requestId: rng.range(-(2 ** 31), 2 ** 31 - 1), agentAddr: '192.0.2.1', trapOid, extra }));
}

export function wrongCommunity(rng: Rng, right: Buffer): Buffer {
  switch (rng.int(5)) {
    case 0:
      return rng.bytes(rng.int(40));
    case 1:
      return right.subarray(0, rng.int(right.length));
    case 2:
      return Buffer.concat([right, rng.bytes(rng.range(1, 3))]);
    case 3: // the same letters in the other case
      return Buffer.from([...right.toString('latin1')].map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join(''), 'latin1');
    default: {
      const copy = Buffer.from(right);
      flipBit(rng, copy);
      return copy;
    }
  }
}

/** A structurally plausible v2c trap whose snmpTrapOID value is `value` (any TLV). */
function trapWithValue(community: Buffer, value: Buffer, name = oidTlv(SNMPV2.snmpTrapOID)): Buffer {
  const upTime = tlv(0x30, oidTlv(SNMPV2.sysUpTime), intTlv(4200, 0x43));
  return tlv(0x30, intTlv(1), tlv(0x04, community), tlv(0xa7, intTlv(7), intTlv(0), intTlv(0), tlv(0x30, upTime, tlv(0x30, name, value))));
}

const ODD_TAGS = [0x01, 0x02, 0x03, 0x04, 0x05, 0x09, 0x0a, 0x10, 0x1f, 0x30, 0x31, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x80, 0x81, 0x82, 0x83, 0xa0, 0xa7, 0xff];

function wrongTypes(rng: Rng, community: Buffer): Buffer {
  switch (rng.int(8)) {
    case 0: // the notification OID as some other type, well-formed or not
      return trapWithValue(community, tlv(rng.pick(ODD_TAGS), rng.bytes(rng.int(12))));
    case 1: // a varbind name that is not an OID
      return trapWithValue(community, oidTlv('1.3.6.1.4.1.32473.1.0.1'), tlv(rng.pick(ODD_TAGS), rng.bytes(rng.range(1, 10))));
    case 2: // a varbind that is not a SEQUENCE
      return tlv(0x30, intTlv(1), tlv(0x04, community), tlv(0xa7, intTlv(7), intTlv(0), intTlv(0), tlv(0x30, tlv(rng.pick(ODD_TAGS), oidTlv(SNMPV2.sysUpTime), intTlv(1, 0x43)))));
    case 3: // request-id, error-status or error-index of the wrong type or size
      return tlv(
        0x30,
        intTlv(1),
        tlv(0x04, community),
        tlv(0xa7, rng.chance(0.5) ? tlv(0x04, rng.bytes(4)) : tlv(0x02, rng.bytes(rng.range(5, 9))), intTlv(0), tlv(rng.pick(ODD_TAGS), rng.bytes(2)), tlv(0x30)),
      );
    case 4: // community as an INTEGER, or version as a string or an odd number
      return rng.chance(0.5)
        ? tlv(0x30, intTlv(1), intTlv(12345), tlv(0xa7, intTlv(1), intTlv(0), intTlv(0), tlv(0x30)))
        : tlv(0x30, rng.chance(0.5) ? tlv(0x04, Buffer.from('2c')) : intTlv(rng.pick([-1, 2, 3, 255, 2 ** 31 - 1])), tlv(0x04, community), tlv(0xa7, intTlv(1), intTlv(0), intTlv(0), tlv(0x30)));
    case 5: // v1 trap with an odd agent-addr, generic-trap or time-stamp
      return tlv(
        0x30,
        intTlv(0),
        tlv(0x04, community),
        tlv(
          0xa4,
          oidTlv('1.3.6.1.4.1.32473.1'),
          tlv(0x40, rng.bytes(rng.pick([0, 3, 5, 16]))),
          rng.chance(0.5) ? tlv(0x04, Buffer.from('6')) : intTlv(6),
          intTlv(1),
          intTlv(-rng.range(1, 1000), 0x43),
          tlv(0x30),
        ),
      );
    case 6: // numbers too long for their type
      return trapWithValue(community, tlv(rng.pick([0x02, 0x41, 0x42, 0x43, 0x46]), rng.bytes(rng.range(6, 12))));
    default: // a value the codec accepts although it is odd for snmpTrapOID: may well be accepted
      return encodeMessage({
        version: 1,
        community,
        pdu: { type: PduType.TrapV2, requestId: 1, errorStatus: 0, errorIndex: 0, varbinds: [{ ...randomVarbind(rng), oid: SNMPV2.snmpTrapOID }] },
      });
  }
}

function oversizedLength(rng: Rng, message: Buffer): Buffer {
  const list = headers(message);
  const { lengthAt, lengthSize } = rng.pick(list);
  const replacement = rng.pick([
    [0x84, 0xff, 0xff, 0xff, 0xff],
    [0x84, 0x7f, 0xff, 0xff, 0xff],
    [0x83, 0xff, 0xff, 0xff],
    [0x82, 0xff, 0xff],
    [0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [0x80],
    [0xff],
    [0x81, rng.range(0x80, 0xff)],
    [Math.min(0x7f, (message[lengthAt] as number) + rng.range(1, 20))],
  ]);
  return Buffer.concat([message.subarray(0, lengthAt), Buffer.from(replacement), message.subarray(lengthAt + lengthSize)]);
}

function deepNesting(rng: Rng, community: Buffer): Buffer {
  const depth = rng.range(100, 5000);
  switch (rng.int(4)) {
    case 0:
      return nested(depth, Buffer.alloc(0));
    case 1: // a plausible message whose varbind list nests thousands deep
      return tlv(0x30, intTlv(1), tlv(0x04, community), tlv(0xa7, intTlv(1), intTlv(0), intTlv(0), nested(depth, Buffer.alloc(0))));
    case 2: // headers only, each claiming more than is left
      return Buffer.concat(Array.from({ length: depth }, () => Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff])));
    default:
      return nested(depth, tlv(0x05, Buffer.alloc(0)), rng.pick([0x30, 0xa7, 0xa4, 0x31]));
  }
}

function truncated(rng: Rng, message: Buffer): Buffer {
  return message.subarray(0, rng.range(1, message.length - 1));
}

function flipBit(rng: Rng, buf: Buffer): void {
  const at = rng.int(buf.length);
  buf[at] = (buf[at] as number) ^ (1 << rng.int(8));
}

function bitFlipped(rng: Rng, message: Buffer): Buffer {
  const copy = Buffer.from(message);
  for (let n = rng.range(1, 8); n > 0; n--) flipBit(rng, copy);
  return copy;
}

function byteEdited(rng: Rng, message: Buffer): Buffer {
  let out = Buffer.from(message);
  for (let n = rng.range(1, 4); n > 0; n--) {
    const at = rng.int(out.length);
    const op = rng.int(3);
    if (op === 0) out[at] = rng.int(256);
    else if (op === 1) out = Buffer.concat([out.subarray(0, at), rng.bytes(rng.range(1, 8)), out.subarray(at)]);
    else if (out.length > 2) out = Buffer.concat([out.subarray(0, at), out.subarray(at + rng.range(1, 8))]);
  }
  return out.length > 0 ? out : Buffer.from([0x30]);
}

function wrongPdu(rng: Rng, community: Buffer): Buffer {
  const v1 = rng.chance(0.3);
  const type = v1
    ? rng.pick([PduType.GetRequest, PduType.GetNextRequest, PduType.Response, PduType.SetRequest])
    : rng.pick([PduType.GetRequest, PduType.GetNextRequest, PduType.Response, PduType.SetRequest, PduType.GetBulkRequest, PduType.Report]);
  const message: SnmpMessage = {
    version: v1 ? 0 : 1,
    community,
    pdu: { type, requestId: rng.range(0, 2 ** 31 - 1), errorStatus: rng.int(3), errorIndex: rng.int(3), varbinds: [randomVarbind(rng)] },
  };
  return encodeMessage(message);
}

type Category = (rng: Rng, community: Buffer) => Buffer;

export const CATEGORIES: ReadonlyArray<[name: string, weight: number, make: Category]> = [
  ['random-bytes', 8, (rng) => rng.bytes(rng.chance(0.9) ? rng.range(0, 200) : rng.range(201, 4000))],
  ['random-sequence', 6, (rng) => {
    const body = rng.bytes(rng.range(0, 300));
    return Buffer.concat([Buffer.from([0x30]), rng.chance(0.5) ? berLength(body.length) : berLength(rng.int(70_000)), body]);
  }],
  ['valid', 6, (rng, c) => validMessage(rng, c)],
  ['valid-large', 1, (rng, c) => validMessage(rng, c, rng.range(50, 400))],
  ['truncated', 16, (rng, c) => truncated(rng, validMessage(rng, c))],
  ['bit-flipped', 20, (rng, c) => bitFlipped(rng, validMessage(rng, c))],
  ['byte-edited', 8, (rng, c) => byteEdited(rng, validMessage(rng, c))],
  ['oversized-length', 10, (rng, c) => oversizedLength(rng, validMessage(rng, c))],
  ['deep-nesting', 1, deepNesting],
  ['wrong-types', 14, wrongTypes],
  ['wrong-pdu', 4, wrongPdu],
];
const TOTAL_WEIGHT = CATEGORIES.reduce((sum, [, w]) => sum + w, 0);

export function pickCategory(rng: Rng): (typeof CATEGORIES)[number] {
  let roll = rng.int(TOTAL_WEIGHT);
  for (const category of CATEGORIES) {
    roll -= category[1];
    if (roll < 0) return category;
  }
  return CATEGORIES[0]!;
}
