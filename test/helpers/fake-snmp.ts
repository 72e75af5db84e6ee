import { parseOid } from '../../simulators/agent/oid.js';
import { SetFailure, type DeviceMib } from '../../simulators/agent/mib.js';
import { ErrorStatus, VarType } from '../../src/snmp/message.js';
import { SnmpError, type SnmpClient, type SnmpType, type SnmpVarbind } from '../../src/snmp/client.js';

const TYPE_NAMES = new Map<number, SnmpType>([
  [VarType.Integer, 'Integer'],
  [VarType.OctetString, 'OctetString'],
  [VarType.OID, 'OID'],
  [VarType.IpAddress, 'IpAddress'],
  [VarType.Counter32, 'Counter32'],
  [VarType.Gauge32, 'Gauge32'],
  [VarType.TimeTicks, 'TimeTicks'],
  [VarType.Opaque, 'Opaque'],
  [VarType.Counter64, 'Counter64'],
  [VarType.Null, 'Null'],
  [VarType.NoSuchObject, 'NoSuchObject'],
  [VarType.NoSuchInstance, 'NoSuchInstance'],
  [VarType.EndOfMibView, 'EndOfMibView'],
]);
const TYPE_CODES = new Map([...TYPE_NAMES].map(([code, name]) => [name, code]));
const STATUS_NAMES = new Map(Object.entries(ErrorStatus).map(([name, code]) => [code, name]));

export interface RecordedRequest {
  op: 'get' | 'subtree' | 'set';
  oids: string[];
}

/**
 * An SnmpClient that answers from a simulated device's MIB in-process: no
 * sockets, real SET rules. It records every request, and can be told to time
 * out or to hold each request until released.
 */
export class FakeSnmpClient implements SnmpClient {
  readonly requests: RecordedRequest[] = [];
  /** When true every request fails as a timeout. */
  unreachable = false;
  /** When set, each request waits for this promise before answering. */
  gate: Promise<void> | undefined;
  closed = false;

  constructor(private readonly mib: DeviceMib) {}

  async get(oids: readonly string[]): Promise<SnmpVarbind[]> {
    await this.begin('get', [...oids]);
    return oids.map((oid) => {
      const { type, value } = this.mib.get(oid);
      return { oid, type: TYPE_NAMES.get(type)!, value };
    });
  }

  async subtree(oid: string): Promise<SnmpVarbind[]> {
    await this.begin('subtree', [oid]);
    const prefix = parseOid(oid);
    const rows: SnmpVarbind[] = [];
    let cursor = prefix;
    for (;;) {
      const next = this.mib.next(cursor);
      if (!next) break;
      const arcs = parseOid(next.oid);
      if (arcs.length <= prefix.length || prefix.some((a, i) => arcs[i] !== a)) break;
      rows.push({ oid: next.oid, type: TYPE_NAMES.get(next.type)!, value: next.value });
      cursor = arcs;
    }
    return rows;
  }

  async set(varbinds: readonly SnmpVarbind[]): Promise<void> {
    await this.begin('set', varbinds.map((v) => v.oid));
    try {
      this.mib.set(varbinds.map((v) => ({ oid: v.oid, type: TYPE_CODES.get(v.type)! as VarType, value: v.value })));
    } catch (error) {
      if (error instanceof SetFailure) {
        const status = STATUS_NAMES.get(error.status as never) ?? String(error.status);
        throw new SnmpError('error-status', `agent refused the SET: ${status} at varbind ${error.errorIndex}`, status, error.errorIndex);
      }
      throw error;
    }
  }

  close(): void {
    this.closed = true;
  }

  private async begin(op: RecordedRequest['op'], oids: string[]): Promise<void> {
    this.requests.push({ op, oids });
    if (this.gate) await this.gate;
    if (this.unreachable) throw new SnmpError('timeout', 'request timed out');
  }
}
