/**
 * Strict SNMP v1/v2c message codec, shared by the simulated agents and the notification
 * intake (v3 messages: v3.ts, which reuses the PDU codec here).
 *
 * Why not net-snmp's agent: it corrupts binary OCTET STRING values on SET, so the
 * simulators parse and build messages themselves. decodeMessage() faces the network
 * and throws only SnmpDecodeError; encodeMessage() faces our own code and throws
 * TypeError/RangeError for invalid in-memory values, and enforces the same rules as
 * the decoder so that everything we send can be read back.
 */
import { BerReader, BerWriter, SnmpDecodeError, Tag } from './ber.js';

export { SnmpDecodeError };

export const VarType = {
  Integer: 0x02,
  OctetString: 0x04,
  Null: 0x05,
  OID: 0x06,
  IpAddress: 0x40,
  Counter32: 0x41,
  Gauge32: 0x42,
  TimeTicks: 0x43,
  Opaque: 0x44,
  Counter64: 0x46,
  NoSuchObject: 0x80,
  NoSuchInstance: 0x81,
  EndOfMibView: 0x82,
} as const;
export type VarType = (typeof VarType)[keyof typeof VarType];

export const PduType = {
  GetRequest: 0xa0,
  GetNextRequest: 0xa1,
  Response: 0xa2,
  SetRequest: 0xa3,
  TrapV1: 0xa4,
  GetBulkRequest: 0xa5,
  InformRequest: 0xa6,
  TrapV2: 0xa7,
  Report: 0xa8,
} as const;
export type PduType = (typeof PduType)[keyof typeof PduType];

export const ErrorStatus = {
  noError: 0,
  tooBig: 1,
  noSuchName: 2,
  badValue: 3,
  readOnly: 4,
  genErr: 5,
  noAccess: 6,
  wrongType: 7,
  wrongLength: 8,
  wrongEncoding: 9,
  wrongValue: 10,
  noCreation: 11,
  inconsistentValue: 12,
  resourceUnavailable: 13,
  commitFailed: 14,
  undoFailed: 15,
  authorizationError: 16,
  notWritable: 17,
  inconsistentName: 18,
} as const;

export const SnmpVersion = { v1: 0, v2c: 1, v3: 3 } as const;

/** Integer: number (signed 32-bit); OctetString, Opaque: Buffer; OID: dotted string without leading dot;
 *  IpAddress: dotted quad string; Counter32, Gauge32, TimeTicks: number 0..2^32-1; Counter64: bigint;
 *  Null, NoSuchObject, NoSuchInstance, EndOfMibView: null. */
export type VarValue = number | bigint | string | Buffer | null;
export interface VarBind {
  oid: string;
  type: VarType;
  value: VarValue;
}
export interface RequestPdu {
  type: Exclude<PduType, typeof PduType.TrapV1>;
  requestId: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: VarBind[];
}
// For GetBulkRequest, errorStatus carries non-repeaters and errorIndex max-repetitions (as on the wire).
export interface TrapV1Pdu {
  type: typeof PduType.TrapV1;
  enterprise: string;
  agentAddr: string;
  genericTrap: number;
  specificTrap: number;
  timestamp: number;
  varbinds: VarBind[];
}
export type Pdu = RequestPdu | TrapV1Pdu;
export interface SnmpMessage {
  version: 0 | 1;
  community: Buffer;
  pdu: Pdu;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
const UINT64_MAX = (1n << 64n) - 1n;

/** PDU types a v1 message may carry (RFC 1157); GetBulk, Inform, TrapV2 and Report are v2-only. */
const V1_PDUS: ReadonlySet<number> = new Set([
  PduType.GetRequest,
  PduType.GetNextRequest,
  PduType.Response,
  PduType.SetRequest,
  PduType.TrapV1,
]);
const V2C_PDUS: ReadonlySet<number> = new Set([
  PduType.GetRequest,
  PduType.GetNextRequest,
  PduType.Response,
  PduType.SetRequest,
  PduType.GetBulkRequest,
  PduType.InformRequest,
  PduType.TrapV2,
  PduType.Report,
]);

function pduAllowed(version: number, type: number): boolean {
  return (version === SnmpVersion.v1 ? V1_PDUS : V2C_PDUS).has(type);
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

export function decodeMessage(datagram: Buffer): SnmpMessage {
  if (!(datagram instanceof Uint8Array)) throw new TypeError('decodeMessage expects a Buffer');
  const top = new BerReader(datagram);
  const msg = top.enter(Tag.Sequence, 'message SEQUENCE');
  top.expectEnd('message');

  const version = msg.readInt32(Tag.Integer, 'version');
  if (version !== SnmpVersion.v1 && version !== SnmpVersion.v2c) {
    // On the wire v1 = 0, v2c = 1, v3 = 3 (decoded by v3.ts).
    throw new SnmpDecodeError(`unsupported SNMP version ${version}`);
  }
  const community = msg.readOctets(Tag.OctetString, 'community');
  const pdu = readPdu(msg, version);
  msg.expectEnd('PDU');
  return { version, community, pdu };
}

/**
 * The version field of a message, or undefined when the datagram does not start like one.
 * Cheap: lets a listener pick the v1/v2c or the v3 decoder.
 */
export function peekVersion(datagram: Buffer): number | undefined {
  try {
    const msg = new BerReader(datagram).enter(Tag.Sequence, 'message SEQUENCE');
    return msg.readInt32(Tag.Integer, 'version');
  } catch {
    return undefined;
  }
}

/** Reads one PDU at the reader's position; v1 allows the RFC 1157 PDUs, v2c and v3 the RFC 3416 ones. */
export function readPdu(msg: BerReader, version: number): Pdu {
  const pduAt = msg.pos;
  const type = msg.peekTag();
  if (!pduAllowed(version, type)) {
    const known = V1_PDUS.has(type) || V2C_PDUS.has(type);
    throw new SnmpDecodeError(
      known
        ? `PDU type 0x${type.toString(16)} at offset ${pduAt} is not allowed in SNMP ${versionName(version)}`
        : `unknown PDU type 0x${type.toString(16)} at offset ${pduAt}`,
    );
  }
  const body = msg.enter(type, 'PDU');

  let pdu: Pdu;
  if (type === PduType.TrapV1) {
    const enterprise = body.readOid(Tag.OID, 'enterprise');
    const agentAddr = readIpAddress(body, 'agent-addr');
    const genericTrap = body.readInt32(Tag.Integer, 'generic-trap');
    const specificTrap = body.readInt32(Tag.Integer, 'specific-trap');
    const timestamp = body.readUint32(VarType.TimeTicks, 'time-stamp');
    const varbinds = readVarbinds(body);
    pdu = { type, enterprise, agentAddr, genericTrap, specificTrap, timestamp, varbinds };
  } else {
    const requestId = body.readInt32(Tag.Integer, 'request-id');
    const errorStatus = body.readInt32(Tag.Integer, 'error-status');
    const errorIndex = body.readInt32(Tag.Integer, 'error-index');
    const varbinds = readVarbinds(body);
    pdu = { type: type as RequestPdu['type'], requestId, errorStatus, errorIndex, varbinds };
  }
  body.expectEnd('varbind list');
  return pdu;
}

function versionName(version: number): string {
  return version === SnmpVersion.v1 ? 'v1' : version === SnmpVersion.v2c ? 'v2c' : `v${version}`;
}

function readIpAddress(r: BerReader, what: string): string {
  const at = r.readFixed(VarType.IpAddress, 4, what);
  return `${r.byteAt(at)}.${r.byteAt(at + 1)}.${r.byteAt(at + 2)}.${r.byteAt(at + 3)}`;
}

function readVarbinds(body: BerReader): VarBind[] {
  const list = body.enter(Tag.Sequence, 'varbind list');
  const varbinds: VarBind[] = [];
  while (!list.atEnd()) {
    const vb = list.enter(Tag.Sequence, 'varbind');
    const oid = vb.readOid(Tag.OID, 'varbind name');
    const type = vb.peekTag();
    const value = readValue(vb, type);
    vb.expectEnd('varbind value');
    varbinds.push({ oid, type: type as VarType, value });
  }
  return varbinds;
}

function readValue(r: BerReader, type: number): VarValue {
  switch (type) {
    case VarType.Integer:
      return r.readInt32(type, 'Integer value');
    case VarType.OctetString:
    case VarType.Opaque:
      return r.readOctets(type, 'string value');
    case VarType.Null:
    case VarType.NoSuchObject:
    case VarType.NoSuchInstance:
    case VarType.EndOfMibView:
      r.readFixed(type, 0, 'null/exception value');
      return null;
    case VarType.OID:
      return r.readOid(type, 'OID value');
    case VarType.IpAddress:
      return readIpAddress(r, 'IpAddress value');
    case VarType.Counter32:
    case VarType.Gauge32:
    case VarType.TimeTicks:
      return r.readUint32(type, 'unsigned value');
    case VarType.Counter64:
      return r.readUint64(type, 'Counter64 value');
    default:
      throw new SnmpDecodeError(`unknown value type 0x${type.toString(16)} at offset ${r.pos}`);
  }
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

/** Reused across calls (encoding is synchronous); toBuffer() hands out a copy. */
const writer = new BerWriter();

function checkInt(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${what} must be an integer, got ${typeof value === 'number' ? value : typeof value}`);
  }
  if (value < min || value > max) throw new RangeError(`${what} ${value} is outside ${min}..${max}`);
  return value;
}

function checkBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Buffer`);
  return value;
}

const ipScratch = Buffer.alloc(4);

/** Strict dotted quad: exactly four decimal octets 0..255, no leading zeros (which some read as octal). */
function parseIp(value: unknown, what: string): Buffer {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a dotted-quad string`);
  let part = 0;
  let v = 0;
  let digits = 0;
  for (let i = 0; i <= value.length; i++) {
    const c = i < value.length ? value.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) throw new RangeError(`${what} "${value}" is not a dotted quad`);
      ipScratch[part++] = v;
      v = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && !(digits === 1 && v === 0)) {
      v = v * 10 + (c - 0x30);
      digits++;
      if (v > 255) throw new RangeError(`${what} "${value}" has an octet above 255`);
    } else {
      throw new RangeError(`${what} "${value}" is not a dotted quad`);
    }
  }
  if (part !== 4) throw new RangeError(`${what} "${value}" is not a dotted quad`);
  return ipScratch;
}

function writeValue(w: BerWriter, vb: VarBind): void {
  const { type, value } = vb;
  switch (type) {
    case VarType.Integer:
      w.writeInteger(type, checkInt(value, INT32_MIN, INT32_MAX, 'Integer value'));
      return;
    case VarType.OctetString:
    case VarType.Opaque:
      w.writeOctets(type, checkBytes(value, 'OctetString/Opaque value'));
      return;
    case VarType.Null:
    case VarType.NoSuchObject:
    case VarType.NoSuchInstance:
    case VarType.EndOfMibView:
      if (value !== null) throw new TypeError(`value of type 0x${type.toString(16)} must be null`);
      w.writeNull(type);
      return;
    case VarType.OID:
      w.writeOid(type, value);
      return;
    case VarType.IpAddress:
      w.writeOctets(type, parseIp(value, 'IpAddress value'));
      return;
    case VarType.Counter32:
    case VarType.Gauge32:
    case VarType.TimeTicks:
      w.writeInteger(type, checkInt(value, 0, UINT32_MAX, 'unsigned value'));
      return;
    case VarType.Counter64:
      if (typeof value !== 'bigint') throw new TypeError('Counter64 value must be a bigint');
      if (value < 0n || value > UINT64_MAX) throw new RangeError(`Counter64 value ${value} is outside 0..2^64-1`);
      w.writeUint64(type, value);
      return;
    default:
      throw new RangeError(`unknown value type ${String(type)}`);
  }
}

/** Encodes a message. Fields are emitted last-to-first because BerWriter writes backwards. */
export function encodeMessage(message: SnmpMessage): Buffer {
  const { version, community, pdu } = message;
  if (version !== SnmpVersion.v1 && version !== SnmpVersion.v2c) {
    throw new RangeError(`unsupported SNMP version ${String(version)}`);
  }
  const w = writer;
  w.reset();
  writePdu(w, pdu, version);
  w.writeOctets(Tag.OctetString, checkBytes(community, 'community'));
  w.writeInteger(Tag.Integer, version);
  w.wrap(Tag.Sequence, 0);
  return w.toBuffer();
}

/** Writes one PDU (before what precedes it: BerWriter writes backwards). */
export function writePdu(w: BerWriter, pdu: Pdu, version: number): void {
  if (!pduAllowed(version, pdu.type)) {
    throw new RangeError(`PDU type ${String(pdu.type)} is not allowed in SNMP ${versionName(version)}`);
  }
  if (!Array.isArray(pdu.varbinds)) throw new TypeError('varbinds must be an array');
  const pduMark = w.mark();

  // VarBindList
  const listMark = w.mark();
  for (let i = pdu.varbinds.length - 1; i >= 0; i--) {
    const vb = pdu.varbinds[i]!;
    const vbMark = w.mark();
    writeValue(w, vb);
    w.writeOid(Tag.OID, vb.oid);
    w.wrap(Tag.Sequence, vbMark);
  }
  w.wrap(Tag.Sequence, listMark);

  if (pdu.type === PduType.TrapV1) {
    w.writeInteger(VarType.TimeTicks, checkInt(pdu.timestamp, 0, UINT32_MAX, 'timestamp'));
    w.writeInteger(Tag.Integer, checkInt(pdu.specificTrap, INT32_MIN, INT32_MAX, 'specificTrap'));
    w.writeInteger(Tag.Integer, checkInt(pdu.genericTrap, INT32_MIN, INT32_MAX, 'genericTrap'));
    w.writeOctets(VarType.IpAddress, parseIp(pdu.agentAddr, 'agentAddr'));
    w.writeOid(Tag.OID, pdu.enterprise);
  } else {
    w.writeInteger(Tag.Integer, checkInt(pdu.errorIndex, INT32_MIN, INT32_MAX, 'errorIndex'));
    w.writeInteger(Tag.Integer, checkInt(pdu.errorStatus, INT32_MIN, INT32_MAX, 'errorStatus'));
    w.writeInteger(Tag.Integer, checkInt(pdu.requestId, INT32_MIN, INT32_MAX, 'requestId'));
  }
  w.wrap(pdu.type, pduMark);
}
