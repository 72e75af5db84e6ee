import { createHash } from 'node:crypto';
import { VarType, type RequestPdu, type SnmpMessage, type VarBind } from '../../src/snmp/message.js';
import type { DeviceMib } from './mib.js';
import { formatOid, parseOid } from './oid.js';
import { answerCommand, communityRequest, type Access, type CommandRequest } from './responder.js';

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

/** The response a broken agent sends for a v1/v2c `request`, or undefined for none. */
export function faultyAnswer(mib: DeviceMib, request: SnmpMessage, access: Access, mode: FaultMode, datagram: Buffer): Buffer | undefined {
  const command = communityRequest(request);
  return command && faultyCommandAnswer(mib, { request: command, access, mode, datagram });
}

export interface FaultyRequest {
  request: CommandRequest;
  access: Access;
  mode: FaultMode;
  /** The request as received: garbage is derived from it. */
  datagram: Buffer;
}

/**
 * The response a broken agent sends, for any SNMP version: the faults change the response
 * PDU before it is wrapped, so a v3 answer is still authentic and decryptable.
 */
export function faultyCommandAnswer(mib: DeviceMib, { request, access, mode, datagram }: FaultyRequest): Buffer | undefined {
  const encodedAs = (change: (pdu: RequestPdu) => RequestPdu): CommandRequest => ({ ...request, encode: (pdu) => request.encode(change(pdu)) });
  switch (mode) {
    case 'none':
    case 'slow':
      return answerCommand(mib, request, access);
    case 'silent':
      return undefined;
    case 'garbage': {
      const response = answerCommand(mib, request, access);
      return response && garbageFor(datagram);
    }
    case 'wrong-request-id':
      return answerCommand(mib, encodedAs((pdu) => ({ ...pdu, requestId: pdu.requestId === 0x7fffffff ? 0 : pdu.requestId + 1 })), access);
    case 'wrong-types':
      return answerCommand(mib, encodedAs((pdu) => ({ ...pdu, varbinds: pdu.varbinds.map(numberAsText) })), access);
    case 'endless-walk':
      return answerCommand(mib, request, access, endlessNext);
    case 'non-increasing-walk':
      return answerCommand(mib, request, access, (oid) => repeatingNext(mib, oid));
  }
}

/**
 * A USM report (discovery, refusals) from a broken agent: silent sends none and garbage sends
 * garbage, as for responses; the other faults concern responses and leave reports alone.
 */
export function faultyReport(report: Buffer, mode: FaultMode, datagram: Buffer): Buffer | undefined {
  if (mode === 'silent') return undefined;
  return mode === 'garbage' ? garbageFor(datagram) : report;
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

function numberAsText(vb: VarBind): VarBind {
  return NUMERIC_TYPES.has(vb.type) ? { oid: vb.oid, type: VarType.OctetString, value: Buffer.from(String(vb.value)) } : vb;
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
