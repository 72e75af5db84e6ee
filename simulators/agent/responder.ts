import {
  encodeMessage,
  ErrorStatus,
  PduType,
  SnmpVersion,
  VarType,
  type RequestPdu,
  type SnmpMessage,
  type VarBind,
} from '../../src/snmp/message.js';
import { SetFailure, type DeviceMib } from './mib.js';
import { parseOid } from './oid.js';

/** What the community in a request grants. */
export type Access = 'read' | 'write';

/** Largest UDP payload; a response that would exceed it is trimmed or tooBig. */
const MAX_DATAGRAM = 65_507;
/** Varbinds one GETBULK response may carry, whatever max-repetitions asks for. */
export const MAX_BULK_VARBINDS = 1_000;

/** RFC 3584 3.1: the v1 error status for a v2 one. */
export function toV1ErrorStatus(status: number): number {
  switch (status) {
    case ErrorStatus.wrongType:
    case ErrorStatus.wrongLength:
    case ErrorStatus.wrongEncoding:
    case ErrorStatus.wrongValue:
    case ErrorStatus.inconsistentValue:
      return ErrorStatus.badValue;
    case ErrorStatus.noAccess:
    case ErrorStatus.notWritable:
    case ErrorStatus.noCreation:
    case ErrorStatus.inconsistentName:
    case ErrorStatus.authorizationError:
      return ErrorStatus.noSuchName;
    case ErrorStatus.resourceUnavailable:
    case ErrorStatus.commitFailed:
    case ErrorStatus.undoFailed:
      return ErrorStatus.genErr;
    default:
      return status;
  }
}

function isException(type: VarType): boolean {
  return type === VarType.NoSuchObject || type === VarType.NoSuchInstance || type === VarType.EndOfMibView;
}

/** What GETNEXT (and each GETBULK repetition) answers for one OID; the fault modes replace it. */
export type WalkNext = (oid: string) => VarBind;

/**
 * One command request as the responder sees it, whatever the SNMP version: the PDU, the rules
 * its version brings, and how a response PDU is put on the wire (community message or USM).
 */
export interface CommandRequest {
  pdu: RequestPdu;
  /** RFC 3584 rules: v1 error statuses, no Counter64. */
  v1: boolean;
  /** Largest response the requester takes: msgMaxSize for v3, one datagram otherwise. */
  maxSize: number;
  encode(response: RequestPdu): Buffer;
}

/** A v1/v2c message as a command request; undefined for a v1 Trap, which nobody answers. */
export function communityRequest(request: SnmpMessage): CommandRequest | undefined {
  const pdu = request.pdu;
  if (pdu.type === PduType.TrapV1) return undefined;
  return {
    pdu,
    v1: request.version === SnmpVersion.v1,
    maxSize: MAX_DATAGRAM,
    encode: (response) => encodeMessage({ version: request.version, community: request.community, pdu: response }),
  };
}

/**
 * Answers one v1/v2c request against a device's MIB. Returns the encoded
 * response, or undefined for PDUs an agent does not answer.
 */
export function answerRequest(mib: DeviceMib, request: SnmpMessage, access: Access, walkNext?: WalkNext): Buffer | undefined {
  const command = communityRequest(request);
  return command && answerCommand(mib, command, access, walkNext);
}

/** Answers one command request of any version; undefined for PDUs an agent does not answer. */
export function answerCommand(mib: DeviceMib, request: CommandRequest, access: Access, walkNext?: WalkNext): Buffer | undefined {
  const { pdu, v1 } = request;
  const respond = (varbinds: VarBind[], errorStatus = 0, errorIndex = 0): Buffer =>
    request.encode({
      type: PduType.Response,
      requestId: pdu.requestId,
      errorStatus: v1 ? toV1ErrorStatus(errorStatus) : errorStatus,
      errorIndex: errorStatus === 0 ? 0 : errorIndex,
      varbinds,
    });
  const echo = (): VarBind[] => pdu.varbinds.map((vb) => ({ oid: vb.oid, type: vb.type, value: vb.value }));

  switch (pdu.type) {
    case PduType.GetRequest:
    case PduType.GetNextRequest: {
      const varbinds = pdu.varbinds.map((vb) =>
        pdu.type === PduType.GetRequest ? { oid: vb.oid, ...mib.get(vb.oid) } : walkNext ? walkNext(vb.oid) : nextOrEnd(mib, vb.oid, v1),
      );
      if (v1) {
        // RFC 3584 4.2.2.1: a v1 manager cannot receive Counter64; GET says noSuchName, GETNEXT skips it.
        const missing = varbinds.findIndex((vb) => isException(vb.type) || vb.type === VarType.Counter64);
        if (missing >= 0) return respond(echo(), ErrorStatus.noSuchName, missing + 1);
      }
      const response = respond(varbinds);
      // RFC 3416 4.2.1: tooBig carries no varbinds (v1 echoes the request, RFC 1157 4.1.2).
      return response.length <= responseLimit(request) ? response : respond(v1 ? echo() : [], ErrorStatus.tooBig, 0);
    }
    case PduType.GetBulkRequest:
      return respondBulk(walkNext ?? ((oid) => nextOrEnd(mib, oid)), request, respond);
    case PduType.SetRequest: {
      if (access !== 'write') return respond(echo(), ErrorStatus.noAccess, 1);
      try {
        mib.set(pdu.varbinds);
        return respond(echo());
      } catch (error) {
        if (error instanceof SetFailure) return respond(echo(), error.status, error.errorIndex);
        return respond(echo(), ErrorStatus.genErr, 1);
      }
    }
    default:
      return undefined;
  }
}

function nextOrEnd(mib: DeviceMib, oid: string, skipCounter64 = false): VarBind {
  let next = mib.next(parseOid(oid));
  while (skipCounter64 && next?.type === VarType.Counter64) next = mib.next(parseOid(next.oid));
  return next ?? { oid, type: VarType.EndOfMibView, value: null };
}

/** The largest response a request may get. */
function responseLimit(request: CommandRequest): number {
  return Math.min(request.maxSize, MAX_DATAGRAM);
}

function respondBulk(
  next: WalkNext,
  request: CommandRequest,
  respond: (varbinds: VarBind[], errorStatus?: number, errorIndex?: number) => Buffer,
): Buffer {
  const { pdu } = request;
  const requested = pdu.varbinds;
  const nonRepeaters = Math.min(Math.max(pdu.errorStatus, 0), requested.length);
  const maxRepetitions = Math.max(pdu.errorIndex, 0);
  const varbinds: VarBind[] = requested.slice(0, nonRepeaters).map((vb) => next(vb.oid));
  const cursors = requested.slice(nonRepeaters).map((vb) => vb.oid);
  for (let r = 0; r < maxRepetitions && cursors.length > 0 && varbinds.length < MAX_BULK_VARBINDS; r++) {
    let allEnded = true;
    for (let c = 0; c < cursors.length && varbinds.length < MAX_BULK_VARBINDS; c++) {
      const vb = next(cursors[c] as string);
      varbinds.push(vb);
      if (vb.type !== VarType.EndOfMibView) {
        cursors[c] = vb.oid;
        allEnded = false;
      }
    }
    if (allEnded) break;
  }
  // Trim repetitions until the response fits one datagram (RFC 3416 4.2.3).
  let keep = varbinds.length;
  for (;;) {
    const response = respond(varbinds.slice(0, keep));
    if (response.length <= responseLimit(request) || keep <= nonRepeaters) return response;
    keep = Math.max(nonRepeaters, Math.floor(keep / 2));
  }
}
