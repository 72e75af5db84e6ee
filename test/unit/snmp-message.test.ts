import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import snmp from 'net-snmp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BerReader, Tag } from '../../src/snmp/ber.js';
import { decodeMessage, encodeMessage, ErrorStatus, PduType, SnmpDecodeError, VarType } from '../../src/snmp/message.js';
import type { SnmpMessage, VarBind, VarType as VarTypeT, VarValue } from '../../src/snmp/message.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const community = Buffer.from('public');
const BINARY = hex('7F00000100A2');

function response(varbinds: VarBind[], requestId = 1, version: 0 | 1 = 1): SnmpMessage {
  return { version, community, pdu: { type: PduType.Response, requestId, errorStatus: ErrorStatus.noError, errorIndex: 0, varbinds } };
}

/** Hand-built TLV for malformed-input vectors (short or long form length). */
function tlv(tag: number, ...parts: (Buffer | number[])[]): Buffer {
  const body = Buffer.concat(parts.map((p) => Buffer.from(p)));
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
const int = (...bytes: number[]) => tlv(0x02, bytes);
const OID_SYSDESCR = [0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 1, 0];
function rawMessage(version: number[], pduTag: number, varbinds: Buffer[], header?: Buffer[]): Buffer {
  const fields = header ?? [int(1), int(0), int(0)];
  return tlv(0x30, int(...version), tlv(0x04, community), tlv(pduTag, ...fields, tlv(0x30, ...varbinds)));
}
const rawVarbind = (value: Buffer | number[], name: number[] = OID_SYSDESCR) => tlv(0x30, name, value);

describe('round-trips', () => {
  const typeName = (t: number) => Object.keys(VarType).find((k) => VarType[k as keyof typeof VarType] === t);
  const unsigned = [0, 2 ** 31, 2 ** 32 - 1];
  const values: Array<[VarTypeT, VarValue[]]> = [
    [VarType.Integer, [-2147483648, -1, 0, 127, 128, 255, 256, 2147483647]],
    [VarType.Counter32, unsigned],
    [VarType.Gauge32, unsigned],
    [VarType.TimeTicks, unsigned],
    [VarType.Counter64, [0n, 2n ** 63n, 2n ** 64n - 1n]],
    [VarType.OctetString, [Buffer.alloc(0), BINARY, Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.alloc(300, 0xa5)]],
    [VarType.Opaque, [hex('9f780441200000')]],
    [VarType.OID, ['0.0', '1.3.6.1.4.1.32473.1.0.1', '2.999.1', '1.3.4294967295.4294967295', '2.4294967295',
      Array.from({ length: 128 }, (_, i) => (i < 2 ? 1 : i)).join('.')]],
    [VarType.IpAddress, ['127.0.10.1', '255.255.255.0']],
    ...[VarType.Null, VarType.NoSuchObject, VarType.NoSuchInstance, VarType.EndOfMibView].map((t): [VarTypeT, VarValue[]] => [t, [null]]),
  ];
  const cases = values.flatMap(([t, vs]) => vs.map((v) => [typeName(t), t, v] as const));
  it.each(cases)('%s %s', (_name, type, value) => {
    const msg = response([{ oid: '1.3.6.1.4.1.32473.1.0.1', type, value }], -7);
    const back = decodeMessage(encodeMessage(msg));
    expect(back).toEqual(msg);
    if (Buffer.isBuffer(value)) expect(Buffer.compare(back.pdu.varbinds[0]!.value as Buffer, value)).toBe(0);
  });

  it('round-trips request ids, bulk fields and every PDU type', () => {
    for (const requestId of [-2147483648, -1, 0, 2147483647]) {
      for (const type of [0xa0, 0xa1, 0xa2, 0xa3, 0xa5, 0xa6, 0xa7, 0xa8] as const) {
        const msg: SnmpMessage = { version: 1, community, pdu: { type, requestId, errorStatus: 2, errorIndex: 30, varbinds: [] } };
        expect(decodeMessage(encodeMessage(msg))).toEqual(msg);
      }
    }
  });

  // Value TLV is the last thing in the message, so the suffix shows the minimal encoding.
  it.each([
    [VarType.Integer, -2147483648, '02 04 80000000'],
    [VarType.Integer, -129, '02 02 ff7f'],
    [VarType.Integer, -128, '02 01 80'],
    [VarType.Integer, -1, '02 01 ff'],
    [VarType.Integer, 127, '02 01 7f'],
    [VarType.Integer, 128, '02 02 0080'],
    [VarType.Integer, 256, '02 02 0100'],
    [VarType.Counter32, 2 ** 31, '41 05 0080000000'],
    [VarType.Gauge32, 2 ** 32 - 1, '42 05 00ffffffff'],
    [VarType.Counter64, 2n ** 64n - 1n, '46 09 00ffffffffffffffff'],
    [VarType.OID, '2.999.1', '06 03 883701'],
    [VarType.OctetString, Buffer.alloc(300), '04 82012c' + '00'.repeat(300)],
  ] as Array<[VarTypeT, VarValue, string]>)('encodes type %i value %s minimally', (type, value, expected) => {
    const out = encodeMessage(response([{ oid: '1.3', type, value }]));
    expect(out.subarray(-hex(expected).length).toString('hex')).toBe(hex(expected).toString('hex'));
  });

  it.each([
    ['Integer out of range', VarType.Integer, 2 ** 31, RangeError],
    ['non-integer', VarType.Gauge32, 1.5, TypeError],
    ['negative unsigned', VarType.TimeTicks, -1, RangeError],
    ['Counter64 as number', VarType.Counter64, 5, TypeError],
    ['Counter64 too big', VarType.Counter64, 2n ** 64n, RangeError],
    ['string OctetString', VarType.OctetString, 'x', TypeError],
    ['non-null Null', VarType.Null, 0, TypeError],
    ['bad OID value', VarType.OID, '1.3.', RangeError],
    ['IpAddress with 5 parts', VarType.IpAddress, '1.2.3.4.5', RangeError],
    ['IpAddress octet 256', VarType.IpAddress, '1.2.3.256', RangeError],
    ['unknown type', 0x47, null, RangeError],
    ...['1..3', '.1.3', '1', '1.3.4294967296', '1.40', '3.1', '1.03', '1.3a'].map((oid) => [`OID "${oid}"`, VarType.Null, null, RangeError, oid]),
  ] as Array<[string, VarTypeT, VarValue, ErrorConstructor, string?]>)('encode rejects %s', (_name, type, value, errorClass, oid = '1.3') => {
    expect(() => encodeMessage(response([{ oid, type, value }]))).toThrow(errorClass);
  });

  it('encode rejects PDUs the version cannot carry', () => {
    const bulk = { type: PduType.GetBulkRequest, requestId: 1, errorStatus: 0, errorIndex: 10, varbinds: [] };
    expect(() => encodeMessage({ version: 0, community, pdu: bulk })).toThrow(RangeError);
    expect(() => encodeMessage({ version: 1, community, pdu: { ...TRAP_V1.pdu } })).toThrow(RangeError);
  });
});

const GET_HEX =
  '3026 020101 0406 7075626c6963 a019 020101 020100 020100 300e 300c 0608 2b06010201010100 0500';
const TRAP_V1: SnmpMessage = {
  version: 0,
  community,
  pdu: { type: PduType.TrapV1, enterprise: '1.3.6.1.4.1.318', agentAddr: '10.0.0.1', genericTrap: 6, specificTrap: 5,
    timestamp: 12345, varbinds: [{ oid: '1.3.6.1.4.1.318.2.3.0', type: VarType.Integer, value: 42 }] },
};
const TRAP_V1_HEX =
  '3039 020100 0406 7075626c6963 a42c 0607 2b06010401823e 4004 0a000001 020106 020105 43023039' +
  ' 3011 300f 060a 2b06010401823e020300 02012a';
const GET_REQUEST: SnmpMessage = {
  version: 1, community,
  pdu: { type: PduType.GetRequest, requestId: 1, errorStatus: 0, errorIndex: 0, varbinds: [{ oid: '1.3.6.1.2.1.1.1.0', type: VarType.Null, value: null }] },
};

describe('known byte vectors', () => {
  it.each([
    ['v2c GetRequest sysDescr.0', GET_REQUEST, GET_HEX],
    ['v1 Trap-PDU', TRAP_V1, TRAP_V1_HEX],
  ] as const)('%s', (_name, message, bytes) => {
    expect(encodeMessage(message).toString('hex')).toBe(hex(bytes).toString('hex'));
    expect(decodeMessage(hex(bytes))).toEqual(message);
  });
});

describe('interop with net-snmp', () => {
  let sock: dgram.Socket;
  let port = 0;
  const inbox: Array<{ data: Buffer; rinfo: dgram.RemoteInfo }> = [];
  let wake: (() => void) | undefined;
  const sessions: snmp.Session[] = [];
  const sessionErrors: Error[] = [];

  beforeAll(async () => {
    sock = dgram.createSocket('udp4');
    sock.on('message', (data, rinfo) => {
      inbox.push({ data, rinfo });
      wake?.();
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    port = (sock.address() as AddressInfo).port;
  });
  afterEach(() => {
    for (const s of sessions.splice(0)) s.close();
    inbox.length = 0;
    expect(sessionErrors.splice(0)).toEqual([]);
  });
  afterAll(() => new Promise<void>((resolve) => sock.close(() => resolve())));

  function session(version: 0 | 1 = snmp.Version2c): snmp.Session {
    const s = snmp.createSession('127.0.0.1', 'public', { port, trapPort: port, version, retries: 0, timeout: 1000 });
    s.on('error', (err) => sessionErrors.push(err));
    sessions.push(s);
    return s;
  }
  async function receive(): Promise<{ msg: SnmpMessage; rinfo: dgram.RemoteInfo }> {
    const deadline = Date.now() + 2000;
    while (inbox.length === 0) {
      if (Date.now() > deadline) throw new Error('no datagram received');
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    const { data, rinfo } = inbox.shift()!;
    return { msg: decodeMessage(data), rinfo };
  }
  function reply(rinfo: dgram.RemoteInfo, msg: SnmpMessage): void {
    sock.send(encodeMessage(msg), rinfo.port, rinfo.address);
  }
  const callback =
    <T>(resolve: (v: T) => void, reject: (e: Error) => void) =>
    (err: Error | null, value?: T) =>
      err ? reject(err) : resolve(value as T);
  const requestId = (m: SnmpMessage) => (m.pdu.type === PduType.TrapV1 ? NaN : m.pdu.requestId);

  it('get: decodes the request and net-snmp reads our response', async () => {
    const oids = ['1.3.6.1.2.1.1.1.0', '1.3.6.1.4.1.32473.1.1', '1.3.6.1.4.1.32473.1.2', '1.3.6.1.4.1.32473.1.3'];
    const result = new Promise<snmp.Varbind[]>((res, rej) => session().get(oids, callback(res, rej)));
    const { msg, rinfo } = await receive();
    expect([msg.version, msg.community.toString()]).toEqual([1, 'public']);
    expect(msg.pdu).toMatchObject({ type: PduType.GetRequest, errorStatus: 0, errorIndex: 0 });
    expect(msg.pdu.varbinds).toEqual(oids.map((oid) => ({ oid, type: VarType.Null, value: null })));
    reply(rinfo, response([
      { oid: oids[0]!, type: VarType.OctetString, value: BINARY },
      { oid: oids[1]!, type: VarType.Counter64, value: 2n ** 63n },
      { oid: oids[2]!, type: VarType.IpAddress, value: '127.0.10.1' },
      { oid: oids[3]!, type: VarType.NoSuchInstance, value: null },
    ], requestId(msg)));
    const vbs = await result;
    expect(Buffer.compare(vbs[0]!.value as Buffer, BINARY)).toBe(0);
    // net-snmp hands Counter64 back as the raw content octets.
    expect((vbs[1]!.value as Buffer).toString('hex')).toBe('008000000000000000');
    expect(vbs[2]).toMatchObject({ type: snmp.ObjectType.IpAddress, value: '127.0.10.1' });
    expect(vbs[3]!.type).toBe(snmp.ObjectType.NoSuchInstance);
    expect(snmp.isVarbindError(vbs[3]!)).toBe(true);
  });

  it('getNext', async () => {
    const result = new Promise<snmp.Varbind[]>((res, rej) => session().getNext(['1.3.6.1.2.1.1'], callback(res, rej)));
    const { msg, rinfo } = await receive();
    expect(msg.pdu).toMatchObject({ type: PduType.GetNextRequest, varbinds: [{ oid: '1.3.6.1.2.1.1', type: VarType.Null }] });
    reply(rinfo, response([{ oid: '1.3.6.1.2.1.1.3.0', type: VarType.TimeTicks, value: 2 ** 32 - 1 }], requestId(msg)));
    expect(await result).toEqual([{ oid: '1.3.6.1.2.1.1.3.0', type: VarType.TimeTicks, value: 2 ** 32 - 1 }]);
  });

  it('getBulk: non-repeaters and max-repetitions travel in errorStatus/errorIndex', async () => {
    const result = new Promise<(snmp.Varbind | snmp.Varbind[])[]>((res, rej) =>
      session().getBulk(['1.3.6.1.2.1.1.3', '1.3.6.1.2.1.2.2.1.2'], 1, 3, callback(res, rej)));
    const { msg, rinfo } = await receive();
    expect(msg.pdu).toMatchObject({ type: PduType.GetBulkRequest, errorStatus: 1, errorIndex: 3 });
    reply(rinfo, response([
      { oid: '1.3.6.1.2.1.1.3.0', type: VarType.TimeTicks, value: 100 },
      { oid: '1.3.6.1.2.1.2.2.1.2.1', type: VarType.OctetString, value: Buffer.from('eth0') },
      { oid: '1.3.6.1.2.1.2.2.1.2.2', type: VarType.OctetString, value: Buffer.from('eth1') },
      { oid: '1.3.6.1.2.1.2.2.1.2.2', type: VarType.EndOfMibView, value: null },
    ], requestId(msg)));
    const bulk = await result;
    expect(bulk[0]).toMatchObject({ oid: '1.3.6.1.2.1.1.3.0', value: 100 });
    const rows = bulk[1] as snmp.Varbind[];
    expect(rows.map((v) => String(v.value))).toEqual(['eth0', 'eth1', 'null']);
    expect(rows[2]!.type).toBe(snmp.ObjectType.EndOfMibView);
  });

  it('set: binary OctetString arrives byte-identical', async () => {
    const sent = [
      { oid: '1.3.6.1.4.1.32473.2.1', type: snmp.ObjectType.OctetString, value: BINARY },
      { oid: '1.3.6.1.4.1.32473.2.2', type: snmp.ObjectType.Gauge32, value: 4294967295 },
      { oid: '1.3.6.1.4.1.32473.2.3', type: snmp.ObjectType.Integer, value: -5 },
      { oid: '1.3.6.1.4.1.32473.2.4', type: snmp.ObjectType.IpAddress, value: '127.0.10.1' },
    ];
    const result = new Promise<snmp.Varbind[]>((res, rej) => session().set(sent, callback(res, rej)));
    const { msg, rinfo } = await receive();
    expect(msg.pdu.type).toBe(PduType.SetRequest);
    expect(msg.pdu.varbinds).toEqual(sent);
    reply(rinfo, response(msg.pdu.varbinds, requestId(msg)));
    const vbs = await result;
    expect(Buffer.compare(vbs[0]!.value as Buffer, BINARY)).toBe(0);
    expect(vbs.slice(1).map((v) => v.value)).toEqual([4294967295, -5, '127.0.10.1']);
  });

  it('v1 trap', async () => {
    const done = new Promise<void>((res, rej) =>
      session(snmp.Version1).trap('1.3.6.1.4.1.318.0.5', [{ oid: '1.3.6.1.4.1.318.2.1', type: snmp.ObjectType.Integer, value: 7 }],
        { agentAddr: '10.1.2.3', upTime: 4321 }, (err) => (err ? rej(err) : res())));
    const { msg } = await receive();
    await done;
    expect(msg).toEqual({
      version: 0, community,
      pdu: {
        type: PduType.TrapV1, enterprise: '1.3.6.1.4.1.318.0', agentAddr: '10.1.2.3', genericTrap: 6, specificTrap: 5,
        timestamp: 4321, varbinds: [{ oid: '1.3.6.1.4.1.318.2.1', type: VarType.Integer, value: 7 }],
      },
    });
  });

  it('v2c trap', async () => {
    session().trap('1.3.6.1.4.1.318.0.5', [{ oid: '1.3.6.1.4.1.318.2.1', type: snmp.ObjectType.Counter32, value: 9 }],
      { upTime: 77 }, () => undefined);
    const { msg } = await receive();
    expect(msg.version).toBe(1);
    expect(msg.pdu).toMatchObject({ type: PduType.TrapV2, errorStatus: 0, errorIndex: 0 });
    expect(msg.pdu.varbinds).toEqual([
      { oid: '1.3.6.1.2.1.1.3.0', type: VarType.TimeTicks, value: 77 },
      { oid: '1.3.6.1.6.3.1.1.4.1.0', type: VarType.OID, value: '1.3.6.1.4.1.318.0.5' },
      { oid: '1.3.6.1.4.1.318.2.1', type: VarType.Counter32, value: 9 },
    ]);
  });

  it('inform: acknowledged with a Response', async () => {
    const result = new Promise<snmp.Varbind[]>((res, rej) =>
      session().inform('1.3.6.1.4.1.318.0.9', [{ oid: '1.3.6.1.4.1.318.2.2', type: snmp.ObjectType.OctetString, value: BINARY }],
        { upTime: 5 }, callback(res, rej)));
    const { msg, rinfo } = await receive();
    expect(msg.pdu.type).toBe(PduType.InformRequest);
    expect(msg.pdu.varbinds[2]).toEqual({ oid: '1.3.6.1.4.1.318.2.2', type: VarType.OctetString, value: BINARY });
    reply(rinfo, response(msg.pdu.varbinds, requestId(msg)));
    const vbs = await result;
    expect(vbs.map((v) => v.oid)).toEqual(['1.3.6.1.2.1.1.3.0', '1.3.6.1.6.3.1.1.4.1.0', '1.3.6.1.4.1.318.2.2']);
  });
});

describe('malformed input', () => {
  const valid = hex(GET_HEX);
  const withByte = (at: number, b: number) => Buffer.from(valid.map((x, i) => (i === at ? b : x)));
  const nested = (depth: number) => {
    let b: Buffer = tlv(0x05, []);
    for (let i = 0; i < depth; i++) b = tlv(0x30, b);
    return b;
  };
  const cases: Array<[string, Buffer, RegExp]> = [
    ...Array.from({ length: valid.length }, (_, i): [string, Buffer, RegExp] => [`truncated to ${i} bytes`, valid.subarray(0, i), /./]),
    ['indefinite length', hex('3080 020101 0406 7075626c6963 a0800000 0000'), /indefinite length at offset 1/],
    ['trailing garbage', Buffer.concat([valid, hex('00')]), /trailing/],
    ['version 3', withByte(4, 3), /unsupported SNMP version 3/],
    ['version -1', withByte(4, 0xff), /unsupported SNMP version -1/],
    ['wrong outer tag', withByte(0, 0x31), /expected message SEQUENCE/],
    ['5 length octets', Buffer.concat([hex('3085 0000000026'), valid.subarray(2)]), /5 length octets/],
    ['length past end', hex('3081ff 020101'), /runs past the end/],
    ['truncated long length', hex('3082 00'), /truncated length at offset 1/],
    ['oversized request-id', rawMessage([1], 0xa0, [], [int(1, 2, 3, 4, 5), int(0), int(0)]), /request-id .* 5 bytes/],
    ['oversized version', rawMessage([0, 0, 0, 0, 1], 0xa0, []), /version .* 5 bytes/],
    ['zero-length integer', rawMessage([], 0xa0, []), /zero-length version/],
    ['oversized Integer value', rawMessage([1], 0xa2, [rawVarbind(int(0, 0x80, 0, 0, 0))]), /5 bytes/],
    ['6-byte Counter32', rawMessage([1], 0xa2, [rawVarbind(tlv(0x41, [0, 0, 0, 0, 0, 1]))]), /max 5/],
    ['Gauge32 >= 2^32', rawMessage([1], 0xa2, [rawVarbind(tlv(0x42, [1, 0, 0, 0, 0]))]), /out of range/],
    ['negative Counter32', rawMessage([1], 0xa2, [rawVarbind(tlv(0x41, [0xff]))]), /out of range/],
    ['10-byte Counter64', rawMessage([1], 0xa2, [rawVarbind(tlv(0x46, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]))]), /max 9/],
    ['negative Counter64', rawMessage([1], 0xa2, [rawVarbind(tlv(0x46, [0x80]))]), /negative/],
    ['OID with 0x80 leading octet', rawMessage([1], 0xa0, [rawVarbind([5, 0], [6, 4, 0x2b, 0x80, 0x81, 0x01])]), /non-minimal/],
    ['empty OID', rawMessage([1], 0xa0, [rawVarbind([5, 0], [6, 0])]), /empty varbind name/],
    ['OID arc 2^32', rawMessage([1], 0xa0, [rawVarbind([5, 0], [6, 6, 0x2b, 0x90, 0x80, 0x80, 0x80, 0])]), /exceeds/],
    ['truncated OID arc', rawMessage([1], 0xa0, [rawVarbind([5, 0], [6, 2, 0x2b, 0x86])]), /truncated subidentifier/],
    ['OID of 129 arcs', rawMessage([1], 0xa0, [rawVarbind([5, 0], [6, 0x81, 128, ...new Array<number>(128).fill(1)])]), /more than 128/],
    ['IpAddress of 5 octets', rawMessage([1], 0xa2, [rawVarbind(tlv(0x40, [1, 2, 3, 4, 5]))]), /length 5, expected 4/],
    ['Null with content', rawMessage([1], 0xa0, [rawVarbind([5, 1, 0])]), /length 1, expected 0/],
    ['NoSuchObject with content', rawMessage([1], 0xa2, [rawVarbind([0x80, 1, 0])]), /length 1, expected 0/],
    ['unknown value type', rawMessage([1], 0xa2, [rawVarbind(tlv(0x47, [1]))]), /unknown value type 0x47/],
    ['constructed OctetString', rawMessage([1], 0xa2, [rawVarbind(tlv(0x24, tlv(4, [1])))]), /unknown value type 0x24/],
    ['extra field in varbind', rawMessage([1], 0xa0, [tlv(0x30, OID_SYSDESCR, [5, 0, 5, 0])]), /trailing/],
    ['unknown PDU type', rawMessage([1], 0xa9, []), /unknown PDU type 0xa9/],
    ['GetBulk in v1', rawMessage([0], 0xa5, []), /not allowed in SNMP v1/],
    ['Inform in v1', rawMessage([0], 0xa6, []), /not allowed in SNMP v1/],
    ['TrapV2 in v1', rawMessage([0], 0xa7, []), /not allowed in SNMP v1/],
    ['TrapV1 in v2c', hex(TRAP_V1_HEX.replace('020100', '020101')), /not allowed in SNMP v2c/],
    ['deep nesting', nested(200), /expected version/],
  ];
  it.each(cases)('%s', (_name, datagram, message) => {
    expect(() => decodeMessage(datagram)).toThrow(SnmpDecodeError);
    expect(() => decodeMessage(datagram)).toThrow(message);
  });

  it('BerReader refuses to nest deeper than its limit', () => {
    let r = new BerReader(nested(50));
    expect(() => {
      for (;;) r = r.enter(Tag.Sequence, 'SEQUENCE');
    }).toThrow(/nesting deeper than 8/);
  });

  it('fuzz: 20,000 random and mutated datagrams only ever throw SnmpDecodeError', () => {
    const seed = 0x5eed1234;
    const rand = mulberry32(seed);
    const randInt = (n: number) => Math.floor(rand() * n);
    const corpus = [
      hex(GET_HEX),
      hex(TRAP_V1_HEX),
      encodeMessage(response([
        { oid: '2.999.4294967295', type: VarType.Counter64, value: 2n ** 64n - 1n },
        { oid: '1.3.6.1.4.1.32473.1', type: VarType.OctetString, value: Buffer.alloc(200, 0x41) },
        { oid: '1.3.6.1', type: VarType.IpAddress, value: '127.0.10.1' },
        { oid: '1.3.6.1', type: VarType.Gauge32, value: 2 ** 31 },
        { oid: '1.3.6.1', type: VarType.Integer, value: -2147483648 },
        { oid: '1.3.6.1', type: VarType.OID, value: '1.3.6.1.4.1.318' },
        { oid: '1.3.6.1', type: VarType.NoSuchObject, value: null },
      ])),
      encodeMessage({ version: 1, community, pdu: { type: PduType.GetBulkRequest, requestId: -5, errorStatus: 1, errorIndex: 20, varbinds: GET_REQUEST.pdu.varbinds } }),
    ];
    const flipBits = (b: Buffer) => {
      const out = Buffer.from(b);
      for (let k = 1 + randInt(3); k > 0; k--) {
        const at = randInt(out.length);
        out[at] = out[at]! ^ (1 << randInt(8));
      }
      return out;
    };
    const mutations: Array<(b: Buffer) => Buffer> = [
      // Random bytes, half of them starting with a SEQUENCE tag to get past the first check.
      () => Buffer.from(Array.from({ length: randInt(64) }, (_, k) => (k === 0 && rand() < 0.5 ? 0x30 : randInt(256)))),
      flipBits,
      (b) => b.subarray(0, randInt(b.length)),
      (b) => {
        const at = randInt(b.length + 1);
        return Buffer.concat([b.subarray(0, at), Buffer.from([randInt(256)]), b.subarray(at)]);
      },
    ];
    let decoded = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = mutations[randInt(mutations.length)]!(corpus[randInt(corpus.length)]!);
      let msg: SnmpMessage;
      try {
        msg = decodeMessage(input);
      } catch (err) {
        if (err instanceof SnmpDecodeError) continue;
        throw new Error(`seed ${seed} iteration ${i} input ${input.toString('hex')}: ${String(err)}`);
      }
      decoded++;
      // Anything we accept must re-encode and decode to the same value.
      expect(decodeMessage(encodeMessage(msg)), `seed ${seed} iteration ${i}`).toEqual(msg);
    }
    expect(decoded).toBeGreaterThan(100);
  });
});

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
