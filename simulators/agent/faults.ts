import { createHash } from 'node:crypto';
import { decodeMessage, encodeMessage, VarType, type SnmpMessage, type VarBind } from '../../src/snmp/message.js';
import type { DeviceMib } from './mib.js';
import { formatOid, parseOid } from './oid.js';
import { answerRequest, type Access } from './responder.js';

/**
 * Ways a broken agent answers, so tests can show a manager copes with them:
 * - garbage: random bytes instead of a response
 * - wrong-request-id: a correct response carrying another request-id
 * - wrong-types: numbers (Integer, Counter32, Gauge32, TimeTicks) sent as OctetString text
 * - endless-walk: GETNEXT/GETBULK never leave the subtree asked for (ever-increasing index)
 * - non-increasing-walk: GETNEXT/GETBULK on an existing instance return that same OID again
 * - slow: correct responses, each sent after a delay
 * - silent: no response at all (while still sending notifications)
 */
export const FAULT_MODES = ['none', 'garbage', 'wrong-request-id', 'wrong-types', 'endless-walk', 'non-increasing-walk', 'slow', 'silent'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface Fault {
  mode: FaultMode;
  /** For `slow`: how long each response waits. */
  delayMs: number;
}

export const DEFAULT_SLOW_MS = 5_000;
export const MAX_FAULT_DELAY_MS = 120_000;

export function checkFault(mode: FaultMode, delayMs: number): Fault {
  if (!FAULT_MODES.includes(mode)) throw new RangeError(`unknown fault mode "${String(mode)}"; modes are ${FAULT_MODES.join(', ')}`);
  if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_FAULT_DELAY_MS) {
    throw new RangeError(`fault delay must be a whole number of milliseconds from 0 to ${MAX_FAULT_DELAY_MS}`);
  }
  return { mode, delayMs };
}

/** Index arcs an endless walk appends, then counts up from; far above any row index the simulators use. */
const ENDLESS_FIRST_INDEX = 2 ** 31;
const MAX_ARC = 2 ** 32 - 1;
/** Leaves room below the codec's 128-arc limit for the appended index. */
const MAX_ENDLESS_ARCS = 120;
const NUMERIC_TYPES: ReadonlySet<number> = new Set([VarType.Integer, VarType.Counter32, VarType.Gauge32, VarType.TimeTicks]);

/** The response a broken agent sends for `request`, or undefined for none. */
export function faultyAnswer(mib: DeviceMib, request: SnmpMessage, access: Access, mode: FaultMode, datagram: Buffer): Buffer | undefined {
  switch (mode) {
    case 'none':
    case 'slow':
      return answerRequest(mib, request, access);
    case 'silent':
      return undefined;
    case 'garbage': {
      const response = answerRequest(mib, request, access);
      return response && garbageFor(datagram);
    }
    case 'wrong-request-id': {
      const pdu = request.pdu;
      if (!('requestId' in pdu)) return undefined;
      const requestId = pdu.requestId === 0x7fffffff ? 0 : pdu.requestId + 1;
      return answerRequest(mib, { ...request, pdu: { ...pdu, requestId } }, access);
    }
    case 'wrong-types': {
      const response = answerRequest(mib, request, access);
      return response && withNumbersAsText(response);
    }
    case 'endless-walk':
      return answerRequest(mib, request, access, endlessNext);
    case 'non-increasing-walk':
      return answerRequest(mib, request, access, (oid) => repeatingNext(mib, oid));
  }
}

/** 1 to 256 bytes derived from the request: random-looking, yet the same for the same request. */
function garbageFor(datagram: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let block = createHash('sha256').update(datagram).digest();
  const length = (block[0] ?? 0) + 1;
  for (let total = 0; total < length; total += block.length) {
    chunks.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(chunks).subarray(0, length);
}

function withNumbersAsText(response: Buffer): Buffer {
  const message = decodeMessage(response);
  const varbinds = message.pdu.varbinds.map(
    (vb): VarBind => (NUMERIC_TYPES.has(vb.type) ? { oid: vb.oid, type: VarType.OctetString, value: Buffer.from(String(vb.value)) } : vb),
  );
  return encodeMessage({ ...message, pdu: { ...message.pdu, varbinds } });
}

/** oid -> oid.2^31 -> oid.(2^31+1) -> ...: always inside the subtree, always increasing. */
function endlessNext(oid: string): VarBind {
  const arcs = parseOid(oid);
  const last = arcs[arcs.length - 1] as number;
  if (last >= ENDLESS_FIRST_INDEX && last < MAX_ARC) arcs[arcs.length - 1] = last + 1;
  else if (arcs.length < MAX_ENDLESS_ARCS) arcs.push(ENDLESS_FIRST_INDEX);
  else return { oid, type: VarType.EndOfMibView, value: null };
  return { oid: formatOid(arcs), type: VarType.Integer, value: 1 };
}

/** An existing instance's "next" is itself; otherwise the real next, so a walk enters the table first. */
function repeatingNext(mib: DeviceMib, oid: string): VarBind {
  const here = mib.get(oid);
  if (here.type !== VarType.NoSuchObject && here.type !== VarType.NoSuchInstance) return { oid, ...here };
  return mib.next(parseOid(oid)) ?? { oid, type: VarType.EndOfMibView, value: null };
}
