// BerWriter writes backwards from the end of its buffer and reallocates when it runs out of
// room. Every method must stay correct whatever room is left when it is called: each case below
// fills a small writer to every possible level, so each method meets a buffer that must grow
// before, during and after it, and reads back what was written.
import { describe, expect, it } from 'vitest';
import { BerReader, BerWriter, Tag } from '../../src/snmp/ber.js';
import { PduType, VarType, type RequestPdu } from '../../src/snmp/message.js';
import { KeyCache, type UsmUser } from '../../src/snmp/usm.js';
import { emptyUsmStats, encodeResponse, encodeV3, receiveAuthoritative, receiveReply, type LocalEngine } from '../../src/snmp/v3.js';

const LONG_OID = ['1.3.6.1.4.1.32473', ...Array.from({ length: 40 }, (_, i) => String(2 ** 31 + i))].join('.');
const FILLER = Buffer.from(Array.from({ length: 200 }, (_, i) => i & 0xff));

/** One write and how to read it back. */
interface WriteCase {
  name: string;
  write(w: BerWriter): void;
  readBack(r: BerReader): unknown;
  expected: unknown;
}

const CASES: WriteCase[] = [
  { name: 'writeOid (long OID)', write: (w) => w.writeOid(Tag.OID, LONG_OID), readBack: (r) => r.readOid(Tag.OID, 'oid'), expected: LONG_OID },
  { name: 'writeOid (short OID)', write: (w) => w.writeOid(Tag.OID, '1.3.6.1'), readBack: (r) => r.readOid(Tag.OID, 'oid'), expected: '1.3.6.1' },
  { name: 'writeInteger (negative)', write: (w) => w.writeInteger(Tag.Integer, -2147483648), readBack: (r) => r.readInt32(Tag.Integer, 'int'), expected: -2147483648 },
  { name: 'writeInteger (unsigned 2^32-1)', write: (w) => w.writeInteger(VarType.Counter32, 0xffffffff), readBack: (r) => r.readUint32(VarType.Counter32, 'u32'), expected: 0xffffffff },
  { name: 'writeUint64', write: (w) => w.writeUint64(VarType.Counter64, 2n ** 64n - 1n), readBack: (r) => r.readUint64(VarType.Counter64, 'u64'), expected: 2n ** 64n - 1n },
  { name: 'writeOctets (300 bytes)', write: (w) => w.writeOctets(Tag.OctetString, Buffer.alloc(300, 7)), readBack: (r) => r.readOctets(Tag.OctetString, 'octets').toString('hex'), expected: '07'.repeat(300) },
  { name: 'writeNull', write: (w) => w.writeNull(Tag.Null), readBack: (r) => r.readFixed(Tag.Null, 0, 'null') >= 0, expected: true },
  {
    name: 'wrap (a SEQUENCE around an OID and 130 bytes)',
    write: (w) => {
      const mark = w.mark();
      w.writeOctets(Tag.OctetString, Buffer.alloc(130, 1));
      w.writeOid(Tag.OID, LONG_OID);
      w.wrap(Tag.Sequence, mark);
    },
    readBack: (r) => {
      const seq = r.enter(Tag.Sequence, 'seq');
      return [seq.readOid(Tag.OID, 'oid'), seq.readOctets(Tag.OctetString, 'octets').length];
    },
    expected: [LONG_OID, 130],
  },
];

describe('BerWriter when its buffer grows', () => {
  // Filler sizes 0..FILLER.length put every method at every distance from the buffer's start.
  it.each(CASES)('$name is read back whatever room is left', ({ write, readBack, expected }) => {
    for (const initialSize of [1, 8, 64]) {
      for (let fill = 0; fill <= FILLER.length; fill++) {
        const w = new BerWriter(initialSize);
        w.writeOctets(Tag.OctetString, FILLER.subarray(0, fill));
        write(w);
        w.writeInteger(Tag.Integer, 42);
        const r = new BerReader(w.toBuffer());
        const where = `initial size ${initialSize}, ${fill} filler bytes`;
        expect(r.readInt32(Tag.Integer, 'before'), where).toBe(42);
        expect(readBack(r), where).toEqual(expected);
        expect(r.readOctets(Tag.OctetString, 'filler').equals(FILLER.subarray(0, fill)), where).toBe(true);
        expect(r.atEnd(), where).toBe(true);
      }
    }
  });
});

describe('v3 messages with large varbinds', () => {
  const user: UsmUser = { name: 'bigvarbinds', level: 'authPriv', authProtocol: 'sha256', authPassword: 'auth-passw0rd-12', privProtocol: 'aes128', privPassword: 'priv-passw0rd-12' };
  const engine: LocalEngine = { engineId: Buffer.from('80007ed9050102030405060708090a0b0c', 'hex'), boots: 3, time: () => 500 };
  const keys = new KeyCache();

  // The inform's last varbind is what snmpinform sends with a 1 KB string: the response echoes it.
  it.each([1024, 8192])('an inform with a %i-byte octet string and a long OID is acknowledged by a readable response', (size) => {
    const senderEngine = Buffer.from('80001f88800102030405', 'hex');
    const pdu: RequestPdu = {
      type: PduType.InformRequest,
      requestId: 31,
      errorStatus: 0,
      errorIndex: 0,
      varbinds: [
        { oid: '1.3.6.1.2.1.1.3.0', type: VarType.TimeTicks, value: 77 },
        { oid: '1.3.6.1.6.3.1.1.4.1.0', type: VarType.OID, value: '1.3.6.1.2.1.88.2.0.1' },
        { oid: LONG_OID, type: VarType.OctetString, value: Buffer.alloc(size, 0x5a) },
        { oid: LONG_OID, type: VarType.OID, value: LONG_OID },
      ],
    };
    const inform = encodeV3({ msgId: 9, reportable: true, level: 'authPriv', userName: user.name, keys: keys.localize(user, engine.engineId), engineId: engine.engineId, clock: { boots: 3, time: 500 }, contextEngineId: senderEngine, pdu });
    const received = receiveAuthoritative(inform, { engine, userFor: () => user, keys, stats: emptyUsmStats() });
    expect(received.pdu).toEqual(pdu);

    const ack = encodeResponse(received, engine, keys.localize(user, engine.engineId), { ...received.pdu, type: PduType.Response });
    const reply = receiveReply(ack, { user, level: 'authPriv', keys });
    expect(reply.pdu).toEqual({ ...pdu, type: PduType.Response });
  });
});
