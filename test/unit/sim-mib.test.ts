import { describe, expect, it, vi } from 'vitest';
import { DeviceMib, SetFailure } from '../../simulators/agent/mib.js';
import { parseOid } from '../../simulators/agent/oid.js';
import { answerRequest, MAX_BULK_VARBINDS, toV1ErrorStatus, type Access } from '../../simulators/agent/responder.js';
import { requireWhenActive, rowStatusColumn, SimTable } from '../../simulators/agent/table.js';
import { decodeMessage, ErrorStatus, PduType, VarType, type RequestPdu, type SnmpMessage, type VarBind } from '../../src/snmp/message.js';
import { ROW_STATUS as RS } from '../../src/profiles/oids.js';

const P = '1.3.6.1.4.1.32473.99';
/** Creatable table (RowStatus column 6, at most 3 rows, index 1..100). */
const T = `${P}.5.1`;
/** Fixed table without RowStatus (rows 1, 2, 10). */
const F = `${P}.7.1`;
const E = ErrorStatus;

const int = (oid: string, value: number): VarBind => ({ oid, type: VarType.Integer, value });
const str = (oid: string, text: string): VarBind => ({ oid, type: VarType.OctetString, value: Buffer.from(text) });
const nul = (oid: string): VarBind => ({ oid, type: VarType.Null, value: null });
const oids = (vbs: readonly VarBind[]) => vbs.map((vb) => vb.oid);

function fixture() {
  const mib = new DeviceMib();
  const tChange = vi.fn();
  const fChange = vi.fn();
  let label: Buffer = Buffer.from('rack');
  const onSet = vi.fn((v: unknown) => {
    label = v as Buffer;
  });
  mib.addScalar(`${P}.10.0`, VarType.Integer, 10);
  mib.addScalar(`${P}.2.0`, VarType.Integer, 2);
  mib.addWritableScalar(`${P}.9.0`, { col: 0, name: 'label', type: VarType.OctetString, access: 'read-write', size: [0, 8] }, () => label, onSet);
  const table = mib.addTable(
    new SimTable(
      T,
      [
        { col: 1, name: 'tIndex', type: VarType.Integer, access: 'not-accessible' },
        { col: 2, name: 'tName', type: VarType.OctetString, access: 'read-create', size: [1, 4] },
        { col: 3, name: 'tLevel', type: VarType.Integer, access: 'read-create', range: [0, 100], defVal: 50 },
        { col: 4, name: 'tMode', type: VarType.Integer, access: 'read-create', values: [1, 2, 3] },
        { col: 5, name: 'tCount', type: VarType.Gauge32, access: 'read-only', defVal: 7 },
        rowStatusColumn(6, 'tStatus'),
      ],
      {
        rowStatusCol: 6,
        maxRows: 3,
        isValidIndex: (i) => i.length === 1 && (i[0] as number) >= 1 && (i[0] as number) <= 100,
        validateRow: requireWhenActive(6, { 2: 'tName' }),
        onChange: tChange,
      },
    ),
  );
  table.setRow([3], { 1: 3, 2: Buffer.from('c'), 3: 30, 5: 7, 6: RS.active });
  const fixed = mib.addTable(
    new SimTable(
      F,
      [
        { col: 2, name: 'fValue', type: VarType.Integer, access: 'read-write' },
        { col: 3, name: 'fName', type: VarType.OctetString, access: 'read-only' },
      ],
      { onChange: fChange },
    ),
  );
  for (const i of [10, 1, 2]) fixed.setRow([i], { 2: i * 100, 3: Buffer.from(`f${i}`) });
  return { mib, table, fixed, tChange, fChange, onSet };
}

/** The SetFailure a SET raises, or undefined when it succeeds. */
function setFailure(mib: DeviceMib, varbinds: VarBind[]): { status: number; errorIndex: number } | undefined {
  try {
    mib.set(varbinds);
    return undefined;
  } catch (error) {
    if (!(error instanceof SetFailure)) throw error;
    return { status: error.status, errorIndex: error.errorIndex };
  }
}

const WALK = [
  `${P}.2.0`,
  `${T}.2.3`, `${T}.3.3`, `${T}.5.3`, `${T}.6.3`,
  `${F}.2.1`, `${F}.2.2`, `${F}.2.10`, `${F}.3.1`, `${F}.3.2`, `${F}.3.10`,
  `${P}.9.0`,
  `${P}.10.0`,
];

describe('DeviceMib reads', () => {
  it('walks scalars and tables in lexicographic OID order (…9 < …10, column-major)', () => {
    expect(oids(fixture().mib.walk())).toEqual(WALK);
  });

  it.each([
    ['0.0', `${P}.2.0`],
    [P, `${P}.2.0`],
    [`${P}.2.0`, `${T}.2.3`],
    [T, `${T}.2.3`],
    [`${T}.1.3`, `${T}.2.3`], // not-accessible column is skipped
    [`${T}.2.3`, `${T}.3.3`],
    [`${T}.6.3`, `${F}.2.1`],
    [`${F}.2.2`, `${F}.2.10`],
    [`${F}.2.10`, `${F}.3.1`],
    [`${F}.3.10`, `${P}.9.0`],
    [`${P}.9`, `${P}.9.0`],
    [`${P}.9.0`, `${P}.10.0`],
    [`${P}.10.0`, undefined],
    [`${P}.10.0.1`, undefined],
    ['1.3.6.1.4.1.32473.100', undefined],
  ])('next(%s) is %s', (from, expected) => {
    expect(fixture().mib.next(parseOid(from))?.oid).toBe(expected);
  });

  it.each([
    [`${P}.2.0`, VarType.Integer, 2],
    [`${P}.9.0`, VarType.OctetString, Buffer.from('rack')],
    [`${T}.2.3`, VarType.OctetString, Buffer.from('c')],
    [`${F}.2.10`, VarType.Integer, 1000],
    [`${P}.2.1`, VarType.NoSuchInstance, null], // wrong instance of a scalar object
    [`${P}.2.0.0`, VarType.NoSuchInstance, null],
    [`${T}.2.4`, VarType.NoSuchInstance, null], // column exists, row does not
    [`${T}.4.3`, VarType.NoSuchInstance, null], // row exists, cell has no value
    [`${P}.2`, VarType.NoSuchObject, null], // the object itself, not an instance
    [`${P}.3.0`, VarType.NoSuchObject, null],
    [`${T}.9.3`, VarType.NoSuchObject, null], // no such column
    [T, VarType.NoSuchObject, null],
    ['1.3.6.1.2.1.1.1.0', VarType.NoSuchObject, null],
    // RFC 3416 4.2.1 (2): a not-accessible column is no (potential) variable accessible by the request.
    [`${T}.1.3`, VarType.NoSuchObject, null],
  ])('get(%s) is type %i', (oid, type, value) => {
    expect(fixture().mib.get(oid)).toEqual({ type, value });
  });
});

describe('DeviceMib SET errors', () => {
  it.each([
    ['wrongType on a scalar', [int(`${P}.9.0`, 1)], E.wrongType, 1],
    ['notWritable read-only column of a fixed table', [str(`${F}.3.1`, 'x'), int(`${T}.2.3`, 5)], E.notWritable, 1],
    ['wrongType on a column (second varbind)', [int(`${F}.2.1`, 5), int(`${T}.2.3`, 5)], E.wrongType, 2],
    ['wrongLength scalar (size 0..8)', [str(`${P}.9.0`, '123456789')], E.wrongLength, 1],
    ['wrongLength column too short', [str(`${T}.2.3`, '')], E.wrongLength, 1],
    ['wrongLength column too long', [str(`${T}.2.3`, 'abcde')], E.wrongLength, 1],
    ['wrongValue enum', [int(`${T}.4.3`, 9)], E.wrongValue, 1],
    ['wrongValue above range', [int(`${T}.3.3`, 101)], E.wrongValue, 1],
    ['wrongValue below range', [int(`${T}.3.3`, -1)], E.wrongValue, 1],
    ['wrongValue RowStatus notReady', [int(`${T}.6.3`, RS.notReady)], E.wrongValue, 1],
    ['wrongValue RowStatus 7', [int(`${T}.6.3`, 7)], E.wrongValue, 1],
    ['notWritable read-only column', [{ oid: `${T}.5.3`, type: VarType.Gauge32, value: 1 }], E.notWritable, 1],
    ['notWritable read-only scalar', [int(`${P}.2.0`, 3)], E.notWritable, 1],
    ['notWritable not-accessible column', [int(`${T}.1.3`, 3)], E.notWritable, 1],
    ['notWritable unknown column', [int(`${T}.9.3`, 3)], E.notWritable, 1],
    ['notWritable unknown OID', [int(`${P}.3.0`, 3)], E.notWritable, 1],
    ['noCreation in a table without RowStatus', [int(`${F}.2.5`, 1)], E.noCreation, 1],
    ['noCreation for a column of a missing row', [str(`${T}.2.4`, 'x')], E.noCreation, 1],
    ['noCreation at an invalid index', [str(`${T}.2.200`, 'x'), int(`${T}.6.200`, RS.createAndGo)], E.noCreation, 2],
    ['noCreation at a two-arc index', [int(`${T}.6.1.1`, RS.createAndWait)], E.noCreation, 1],
    ['noCreation with no index', [int(`${T}.6`, RS.createAndGo)], E.noCreation, 1],
    ['inconsistentValue createAndGo on an existing row', [int(`${T}.6.3`, RS.createAndGo)], E.inconsistentValue, 1],
    ['inconsistentValue createAndWait on an existing row', [int(`${T}.6.3`, RS.createAndWait)], E.inconsistentValue, 1],
    ['inconsistentValue active on a missing row', [int(`${T}.6.4`, RS.active)], E.inconsistentValue, 1],
    ['inconsistentValue notInService on a missing row', [int(`${T}.6.4`, RS.notInService)], E.inconsistentValue, 1],
    ['inconsistentValue column set twice', [str(`${T}.2.3`, 'a'), int(`${T}.3.3`, 1), str(`${T}.2.3`, 'b')], E.inconsistentValue, 3],
    ['inconsistentValue required column missing (at RowStatus)', [int(`${T}.3.4`, 10), int(`${T}.6.4`, RS.createAndGo)], E.inconsistentValue, 2],
  ] as Array<[string, VarBind[], number, number]>)('%s', (_name, varbinds, status, errorIndex) => {
    const { mib, tChange, fChange, onSet } = fixture();
    const before = mib.walk();
    expect(setFailure(mib, varbinds)).toEqual({ status, errorIndex });
    expect(mib.walk()).toEqual(before);
    expect(tChange).not.toHaveBeenCalled();
    expect(fChange).not.toHaveBeenCalled();
    expect(onSet).not.toHaveBeenCalled();
  });

  it('resourceUnavailable once maxRows rows exist', () => {
    const { mib, table } = fixture();
    mib.set([str(`${T}.2.1`, 'a'), int(`${T}.6.1`, RS.createAndGo)]);
    mib.set([int(`${T}.6.2`, RS.createAndWait)]);
    expect(table.size).toBe(3);
    expect(setFailure(mib, [str(`${T}.2.4`, 'd'), int(`${T}.6.4`, RS.createAndGo)])).toEqual({ status: E.resourceUnavailable, errorIndex: 2 });
    expect(table.size).toBe(3);
  });

  it('resourceUnavailable when one SET creates more rows than are left', () => {
    const { mib, table } = fixture();
    mib.set([int(`${T}.6.1`, RS.createAndWait)]);
    const failure = setFailure(mib, [int(`${T}.6.4`, RS.createAndWait), int(`${T}.6.5`, RS.createAndWait)]);
    expect(failure?.status).toBe(E.resourceUnavailable);
    expect(table.size).toBe(2);
  });

  it('is atomic: one bad varbind after good ones changes nothing', () => {
    const { mib, tChange, fChange, onSet } = fixture();
    const before = mib.walk();
    const vbs = [str(`${P}.9.0`, 'zzz'), int(`${F}.2.1`, 7), str(`${T}.2.4`, 'd'), int(`${T}.6.4`, RS.createAndGo), int(`${T}.3.3`, 999)];
    expect(setFailure(mib, vbs)).toEqual({ status: E.wrongValue, errorIndex: 5 });
    expect(setFailure(mib, [str(`${P}.9.0`, 'zzz'), int(`${T}.6.3`, RS.destroy), int(`${F}.2.5`, 1)])).toEqual({ status: E.noCreation, errorIndex: 3 });
    expect(mib.walk()).toEqual(before);
    expect([tChange, fChange, onSet].map((f) => f.mock.calls.length)).toEqual([0, 0, 0]);
  });
});

describe('DeviceMib SET success and RowStatus', () => {
  it('createAndGo makes an active row with defVals', () => {
    const { mib, tChange } = fixture();
    mib.set([str(`${T}.2.4`, 'd'), int(`${T}.6.4`, RS.createAndGo)]);
    expect(mib.walk().filter((vb) => vb.oid.endsWith('.4') && vb.oid.startsWith(T))).toEqual([
      { oid: `${T}.2.4`, type: VarType.OctetString, value: Buffer.from('d') },
      { oid: `${T}.3.4`, type: VarType.Integer, value: 50 },
      { oid: `${T}.5.4`, type: VarType.Gauge32, value: 7 },
      { oid: `${T}.6.4`, type: VarType.Integer, value: RS.active },
    ]);
    expect(tChange).toHaveBeenCalledTimes(1);
  });

  it('createAndWait gives notInService; active later needs the required column', () => {
    const { mib } = fixture();
    mib.set([int(`${T}.4.5`, 2), int(`${T}.6.5`, RS.createAndWait)]);
    expect(mib.get(`${T}.6.5`)).toEqual({ type: VarType.Integer, value: RS.notInService });
    expect(mib.get(`${T}.2.5`).type).toBe(VarType.NoSuchInstance);
    expect(setFailure(mib, [int(`${T}.6.5`, RS.active)])).toEqual({ status: E.inconsistentValue, errorIndex: 1 });
    mib.set([str(`${T}.2.5`, 'e')]);
    mib.set([int(`${T}.6.5`, RS.active)]);
    expect(mib.get(`${T}.6.5`).value).toBe(RS.active);
    mib.set([int(`${T}.6.5`, RS.notInService)]);
    expect(mib.get(`${T}.6.5`).value).toBe(RS.notInService);
    expect(mib.get(`${T}.4.5`).value).toBe(2);
  });

  it('destroy removes a row; destroying a missing row is fine', () => {
    const { mib, table } = fixture();
    mib.set([int(`${T}.6.3`, RS.destroy)]);
    expect(table.size).toBe(0);
    expect(oids(mib.walk())).toEqual(WALK.filter((oid) => !oid.startsWith(T)));
    expect(setFailure(mib, [int(`${T}.6.42`, RS.destroy)])).toBeUndefined();
    expect(table.size).toBe(0);
  });

  it('calls onChange once per SET per table and writes scalars', () => {
    const { mib, tChange, fChange, onSet } = fixture();
    mib.set([str(`${T}.2.3`, 'x'), int(`${F}.2.1`, 5), int(`${T}.3.3`, 1), int(`${F}.2.2`, 6), str(`${P}.9.0`, 'new')]);
    expect([tChange, fChange, onSet].map((f) => f.mock.calls.length)).toEqual([1, 1, 1]);
    expect(mib.get(`${P}.9.0`).value).toEqual(Buffer.from('new'));
    expect(mib.get(`${F}.2.2`).value).toBe(6);
    expect(mib.get(`${T}.2.3`).value).toEqual(Buffer.from('x'));
    mib.set([str(`${P}.9.0`, '')]);
    expect([tChange, fChange, onSet].map((f) => f.mock.calls.length)).toEqual([1, 1, 2]);
  });
});

// ---------------------------------------------------------------------------
// answerRequest
// ---------------------------------------------------------------------------

const community = Buffer.from('private');

function msg(version: 0 | 1, type: RequestPdu['type'], varbinds: VarBind[], errorStatus = 0, errorIndex = 0): SnmpMessage {
  return { version, community, pdu: { type, requestId: 4242, errorStatus, errorIndex, varbinds } };
}

function ask(mib: DeviceMib, request: SnmpMessage, access: Access = 'write') {
  const buffer = answerRequest(mib, request, access);
  if (!buffer) throw new Error('no response');
  const response = decodeMessage(buffer);
  if (response.pdu.type !== PduType.Response) throw new Error('not a Response');
  expect(response.version).toBe(request.version);
  expect(response.community).toEqual(community);
  expect(response.pdu.requestId).toBe(4242);
  return { buffer, pdu: response.pdu };
}

const bulk = (varbinds: VarBind[], nonRepeaters: number, maxRepetitions: number) =>
  msg(1, PduType.GetBulkRequest, varbinds, nonRepeaters, maxRepetitions);

function bigMib(count: number, valueBytes: number, type: VarType = VarType.OctetString): DeviceMib {
  const mib = new DeviceMib();
  for (let i = 1; i <= count; i++) mib.addScalar(`${P}.100.${i}.0`, type, valueBytes > 0 ? Buffer.alloc(valueBytes, 0x61) : i);
  return mib;
}

describe('answerRequest', () => {
  it('v2c GET of a missing instance answers NoSuchInstance without error', () => {
    const { pdu } = ask(fixture().mib, msg(1, PduType.GetRequest, [nul(`${P}.2.0`), nul(`${T}.2.4`), nul(`${P}.3.0`)]));
    expect([pdu.errorStatus, pdu.errorIndex]).toEqual([0, 0]);
    expect(pdu.varbinds.map((vb) => vb.type)).toEqual([VarType.Integer, VarType.NoSuchInstance, VarType.NoSuchObject]);
  });

  it('v1 GET of a missing instance is noSuchName at its index, echoing the request', () => {
    const request = [nul(`${P}.2.0`), nul(`${T}.2.4`), nul(`${P}.9.0`)];
    const { pdu } = ask(fixture().mib, msg(0, PduType.GetRequest, request));
    expect([pdu.errorStatus, pdu.errorIndex]).toEqual([E.noSuchName, 2]);
    expect(pdu.varbinds).toEqual(request);
  });

  it('v1 SET with a bad length is badValue', () => {
    const request = [int(`${F}.2.1`, 5), str(`${P}.9.0`, '123456789')];
    const { pdu } = ask(fixture().mib, msg(0, PduType.SetRequest, request));
    expect([pdu.errorStatus, pdu.errorIndex]).toEqual([E.badValue, 2]);
    expect(pdu.varbinds).toEqual(request);
  });

  it('v2c SET answers the v2 status and echoes; success echoes too', () => {
    const { mib } = fixture();
    expect(ask(mib, msg(1, PduType.SetRequest, [int(`${T}.6.4`, RS.active)])).pdu).toMatchObject({ errorStatus: E.inconsistentValue, errorIndex: 1 });
    const ok = [int(`${F}.2.1`, 5)];
    expect(ask(mib, msg(1, PduType.SetRequest, ok)).pdu).toMatchObject({ errorStatus: 0, errorIndex: 0, varbinds: ok });
    expect(mib.get(`${F}.2.1`).value).toBe(5);
  });

  it.each([
    [1, E.noAccess],
    [0, E.noSuchName],
  ] as const)('SET with read access (version %i) is refused with %i and changes nothing', (version, status) => {
    const { mib } = fixture();
    const { pdu } = ask(mib, msg(version, PduType.SetRequest, [int(`${F}.2.1`, 5)]), 'read');
    expect([pdu.errorStatus, pdu.errorIndex]).toEqual([status, 1]);
    expect(mib.get(`${F}.2.1`).value).toBe(100);
  });

  it('GETNEXT at the end: endOfMibView (v2c) / noSuchName (v1)', () => {
    const { mib } = fixture();
    const v2 = ask(mib, msg(1, PduType.GetNextRequest, [nul(`${F}.3.10`), nul(`${P}.10.0`)])).pdu;
    expect(v2.errorStatus).toBe(0);
    expect(v2.varbinds).toEqual([
      { oid: `${P}.9.0`, type: VarType.OctetString, value: Buffer.from('rack') },
      { oid: `${P}.10.0`, type: VarType.EndOfMibView, value: null },
    ]);
    const v1 = ask(mib, msg(0, PduType.GetNextRequest, [nul(`${F}.3.10`), nul(`${P}.10.0`)])).pdu;
    expect([v1.errorStatus, v1.errorIndex]).toEqual([E.noSuchName, 2]);
  });

  // RFC 3584 4.2.2.1: a v1 request never sees Counter64 (GET: noSuchName; GETNEXT: skip it).
  it('v1 never returns Counter64 values', () => {
    const mib = new DeviceMib();
    mib.addScalar(`${P}.1.0`, VarType.Integer, 1);
    mib.addScalar(`${P}.2.0`, VarType.Counter64, 5n);
    mib.addScalar(`${P}.3.0`, VarType.Integer, 3);
    expect(ask(mib, msg(0, PduType.GetRequest, [nul(`${P}.2.0`)])).pdu).toMatchObject({ errorStatus: E.noSuchName, errorIndex: 1 });
    expect(ask(mib, msg(0, PduType.GetNextRequest, [nul(`${P}.1.0`)])).pdu.varbinds).toEqual([int(`${P}.3.0`, 3)]);
  });

  it.each([PduType.Response, PduType.InformRequest, PduType.TrapV2, PduType.Report] as const)('does not answer PDU type %i', (type) => {
    expect(answerRequest(fixture().mib, msg(1, type, [nul(`${P}.2.0`)]), 'write')).toBeUndefined();
  });

  it('GETBULK interleaves repeaters after the non-repeaters', () => {
    const { pdu } = ask(fixture().mib, bulk([nul(P), nul(`${F}.2`), nul(`${F}.3`)], 1, 3));
    expect(oids(pdu.varbinds)).toEqual([`${P}.2.0`, `${F}.2.1`, `${F}.3.1`, `${F}.2.2`, `${F}.3.2`, `${F}.2.10`, `${F}.3.10`]);
    expect(pdu.varbinds[1]).toEqual(int(`${F}.2.1`, 100));
  });

  it('GETBULK stops once every repeater hit endOfMibView', () => {
    const { pdu } = ask(fixture().mib, bulk([nul(`${P}.2`), nul(`${P}.9.0`), nul(`${P}.10.0`)], 1, 50));
    expect(pdu.varbinds.map((vb) => [vb.oid, vb.type])).toEqual([
      [`${P}.2.0`, VarType.Integer],
      [`${P}.10.0`, VarType.Integer],
      [`${P}.10.0`, VarType.EndOfMibView],
      [`${P}.10.0`, VarType.EndOfMibView],
      [`${P}.10.0`, VarType.EndOfMibView],
    ]);
  });

  it.each([
    ['nonRepeaters above the varbind count', 5, 3, [`${F}.2.1`]],
    ['maxRepetitions 0', 1, 0, [`${F}.2.1`]],
    ['negative fields', -1, -4, []],
  ])('GETBULK with %s', (_name, nonRepeaters, maxRepetitions, expected) => {
    expect(oids(ask(fixture().mib, bulk([nul(`${F}.2`)], nonRepeaters, maxRepetitions)).pdu.varbinds)).toEqual(expected);
  });

  it.each([
    [1, 5000],
    [3, 400],
  ])('GETBULK with %i repeaters and maxRepetitions %i is capped at MAX_BULK_VARBINDS', (repeaters, maxRepetitions) => {
    const mib = bigMib(1500, 0, VarType.Integer);
    const start = Array.from({ length: repeaters }, (_, i) => nul(`${P}.100.${i + 1}`));
    const { pdu } = ask(mib, bulk(start, 0, maxRepetitions));
    expect(pdu.varbinds.length).toBe(MAX_BULK_VARBINDS);
    expect(pdu.varbinds.every((vb) => vb.type === VarType.Integer)).toBe(true);
  });

  it('GETBULK with huge maxRepetitions on a large MIB is trimmed to one datagram', () => {
    const mib = bigMib(3000, 200);
    const { buffer, pdu } = ask(mib, bulk([nul(`${P}.2`), nul(P)], 1, 100_000));
    expect(buffer.length).toBeLessThanOrEqual(65_507);
    expect(pdu.errorStatus).toBe(0);
    expect(pdu.varbinds.length).toBeGreaterThan(1);
    expect(pdu.varbinds[0]).toMatchObject({ oid: `${P}.100.1.0` });
    // The repetitions kept are the first ones, in order.
    expect(oids(pdu.varbinds.slice(1))).toEqual(pdu.varbinds.slice(1).map((_, i) => `${P}.100.${i + 1}.0`));
  });

  it('a GET whose response cannot fit one datagram is tooBig with errorIndex 0', () => {
    const mib = bigMib(400, 200);
    const request = Array.from({ length: 400 }, (_, i) => nul(`${P}.100.${i + 1}.0`));
    expect(ask(mib, msg(1, PduType.GetRequest, request)).pdu).toMatchObject({ errorStatus: E.tooBig, errorIndex: 0 });
  });
});

describe('toV1ErrorStatus (RFC 3584 4.4)', () => {
  // A Record over every ErrorStatus name, so a new status cannot be left out.
  const V1: Record<keyof typeof ErrorStatus, number> = {
    noError: E.noError, tooBig: E.tooBig, noSuchName: E.noSuchName, badValue: E.badValue, readOnly: E.readOnly, genErr: E.genErr,
    noAccess: E.noSuchName, notWritable: E.noSuchName, noCreation: E.noSuchName, inconsistentName: E.noSuchName, authorizationError: E.noSuchName,
    wrongType: E.badValue, wrongLength: E.badValue, wrongEncoding: E.badValue, wrongValue: E.badValue, inconsistentValue: E.badValue,
    resourceUnavailable: E.genErr, commitFailed: E.genErr, undoFailed: E.genErr,
  };
  it.each(Object.entries(V1))('%s -> %i', (name, v1) => {
    expect(toV1ErrorStatus(ErrorStatus[name as keyof typeof ErrorStatus])).toBe(v1);
  });
});
