import snmp from 'net-snmp';
import {
  SnmpError,
  walkEachColumn,
  type SnmpClient,
  type SnmpClientFactory,
  type SnmpRequestObserver,
  type SnmpTarget,
  type SnmpType,
  type SnmpValue,
  type SnmpVarbind,
} from './client.js';
import type { PrivProtocol, UsmUser } from './usm.js';

const TYPE_NAMES = new Map<number, SnmpType>([
  [snmp.ObjectType.Integer, 'Integer'],
  [snmp.ObjectType.OctetString, 'OctetString'],
  [snmp.ObjectType.Null, 'Null'],
  [snmp.ObjectType.OID, 'OID'],
  [snmp.ObjectType.IpAddress, 'IpAddress'],
  [snmp.ObjectType.Counter, 'Counter32'],
  [snmp.ObjectType.Gauge, 'Gauge32'],
  [snmp.ObjectType.TimeTicks, 'TimeTicks'],
  [snmp.ObjectType.Opaque, 'Opaque'],
  [snmp.ObjectType.Counter64, 'Counter64'],
  [snmp.ObjectType.NoSuchObject, 'NoSuchObject'],
  [snmp.ObjectType.NoSuchInstance, 'NoSuchInstance'],
  [snmp.ObjectType.EndOfMibView, 'EndOfMibView'],
]);
const TYPE_CODES = new Map([...TYPE_NAMES].map(([code, name]) => [name, code]));
const STATUS_NAMES = new Map<number, string>(
  Object.entries(snmp.ErrorStatus as unknown as Record<string, number>)
    .filter(([, code]) => typeof code === 'number')
    .map(([name, code]) => [code, name.charAt(0).toLowerCase() + name.slice(1)]),
);

/** Repetitions per GETBULK: large enough for a device's alarm table, small enough for fragile cards. */
const MAX_REPETITIONS = 20;
/**
 * Most varbinds one walk may return. Alarm tables hold tens of rows; an agent whose walk never
 * leaves the subtree (ever-increasing index) would otherwise keep a scan running forever.
 */
export const MAX_WALK_VARBINDS = 10_000;
/** How much of an unparsable datagram's parse error goes into a device's error text. */
const MAX_DETAIL = 120;

const PRIV_PROTOCOL: Record<PrivProtocol, number> = { des: snmp.PrivProtocols.des, aes128: snmp.PrivProtocols.aes, aes256: snmp.PrivProtocols.aes256b };
const SECURITY_LEVEL: Record<UsmUser['level'], number> = {
  noAuthNoPriv: snmp.SecurityLevel.noAuthNoPriv,
  authNoPriv: snmp.SecurityLevel.authNoPriv,
  authPriv: snmp.SecurityLevel.authPriv,
};

/** net-snmp's user object; its aes256b is the Blumenthal extension priscan calls aes256. */
function usmUserOf(user: UsmUser): snmp.User {
  return {
    name: user.name,
    level: SECURITY_LEVEL[user.level],
    ...(user.level !== 'noAuthNoPriv' && user.authProtocol ? { authProtocol: snmp.AuthProtocols[user.authProtocol], authKey: user.authPassword } : {}),
    ...(user.level === 'authPriv' && user.privProtocol ? { privProtocol: PRIV_PROTOCOL[user.privProtocol], privKey: user.privPassword } : {}),
  } as snmp.User;
}

/** SNMP order of two dotted OIDs: negative when a comes first. */
function compareOids(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function decodeValue(type: SnmpType, value: unknown): SnmpValue {
  switch (type) {
    case 'Counter64': {
      // net-snmp hands Counter64 over as a variable-length big-endian Buffer.
      const bytes = Buffer.isBuffer(value) ? value : Buffer.alloc(0);
      return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
    }
    case 'OctetString':
    case 'Opaque':
      return Buffer.isBuffer(value) ? value : Buffer.from(String(value ?? ''));
    case 'Null':
    case 'NoSuchObject':
    case 'NoSuchInstance':
    case 'EndOfMibView':
      return null;
    default:
      return value as SnmpValue;
  }
}

function decodeVarbind(vb: { oid: string; type?: number; value?: unknown }): SnmpVarbind {
  const type = TYPE_NAMES.get(vb.type ?? -1);
  if (!type) throw new SnmpError('protocol', `unsupported value type ${vb.type} at ${vb.oid}`);
  return { oid: vb.oid, type, value: decodeValue(type, vb.value) };
}

function encodeValue(vb: SnmpVarbind): unknown {
  if (vb.type === 'Counter64' && typeof vb.value === 'bigint') {
    return Buffer.from(vb.value.toString(16).padStart(16, '0'), 'hex');
  }
  return vb.value;
}

function toSnmpError(error: unknown, target: SnmpTarget): SnmpError {
  if (error instanceof SnmpError) return error;
  const e = error as { name?: string; status?: number; message?: string };
  const where = `${target.address}:${target.port}`;
  if (e.name === 'RequestTimedOutError') {
    return new SnmpError('timeout', `no answer from ${where} within ${target.timeoutMs} ms (${target.retries} retries)`);
  }
  if (e.name === 'RequestFailedError' && typeof e.status === 'number') {
    const status = STATUS_NAMES.get(e.status) ?? `status ${e.status}`;
    return new SnmpError('error-status', `${where} answered ${status}`, status);
  }
  return new SnmpError('protocol', `${where}: ${e.message ?? String(error)}`);
}

/** One device's session over net-snmp. */
export class NetSnmpClient implements SnmpClient {
  private readonly session: ReturnType<typeof snmp.createSession>;
  /** Why the last datagram net-snmp could not parse was rejected: a device answering garbage otherwise looks silent. */
  private unparsable: string | undefined;

  constructor(
    private readonly target: SnmpTarget,
    private readonly observer?: SnmpRequestObserver,
  ) {
    const options = {
      port: target.port,
      timeout: target.timeoutMs,
      // Retries happen in retrying() below, where they can be counted.
      retries: 0,
      transport: target.address.includes(':') ? ('udp6' as const) : ('udp4' as const),
    };
    this.session =
      target.version === '3'
        ? snmp.createV3Session(target.address, usmUserOf(target.usm), { ...options, version: snmp.Version3, ...(target.contextName ? { context: target.contextName } : {}) })
        : snmp.createSession(target.address, target.community, { ...options, version: target.version === '1' ? snmp.Version1 : snmp.Version2c });
    // A malformed datagram surfaces here; without a listener it would crash the process.
    this.session.on('error', (error: unknown) => {
      this.unparsable = (error instanceof Error ? error.message : String(error)).slice(0, MAX_DETAIL);
    });
  }

  get(oids: readonly string[]): Promise<SnmpVarbind[]> {
    return this.retrying(() => this.getOnce(oids));
  }

  private getOnce(oids: readonly string[]): Promise<SnmpVarbind[]> {
    this.observer?.request('get');
    return new Promise((resolve, reject) => {
      this.session.get([...oids], (error, varbinds) => {
        if (error) return reject(this.fail(error));
        try {
          resolve((varbinds ?? []).map(decodeVarbind));
        } catch (decodeError) {
          reject(this.fail(decodeError));
        }
      });
    });
  }

  /** A walk that times out part-way is walked again from its start: device tables are small. */
  subtree(oid: string): Promise<SnmpVarbind[]> {
    return this.retrying(() => this.subtreeOnce(oid));
  }

  private subtreeOnce(oid: string): Promise<SnmpVarbind[]> {
    const rows: SnmpVarbind[] = [];
    const kind = this.target.version === '1' ? 'getnext' : 'getbulk';
    const where = `${this.target.address}:${this.target.port}`;
    this.observer?.request(kind);
    return new Promise((resolve, reject) => {
      let failed: unknown;
      // net-snmp follows whatever the agent answers (backwardsGetNexts): a broken agent's walk must be bounded here.
      let previous = oid;
      this.session.subtree(
        oid,
        MAX_REPETITIONS,
        (varbinds) => {
          try {
            for (const vb of varbinds) {
              if (compareOids(vb.oid, previous) <= 0) {
                throw new SnmpError('protocol', `${where}: walk of ${oid} is not increasing (${vb.oid} after ${previous}); stopped`);
              }
              if (rows.length >= MAX_WALK_VARBINDS) {
                throw new SnmpError('protocol', `${where}: walk of ${oid} returned more than ${MAX_WALK_VARBINDS} values without leaving the subtree; stopped`);
              }
              rows.push(decodeVarbind(vb));
              previous = vb.oid;
            }
          } catch (error) {
            failed = error;
            return true;
          }
          // net-snmp asks again only when the whole page stayed inside the subtree: a GETNEXT
          // answer is one varbind; a GETBULK page that ended early already left the subtree.
          if (kind === 'getnext' || varbinds.length >= MAX_REPETITIONS) this.observer?.request(kind);
          return false as unknown as true;
        },
        (error) => {
          if (error || failed) return reject(this.fail(error ?? failed));
          resolve(rows);
        },
      );
    });
  }

  /**
   * GETBULK with every column as a repeater: each page advances the columns still inside their
   * subtree. v1 has no GETBULK, and a v1 GETNEXT fails whole at the end of the MIB: walk each.
   */
  async columns(oids: readonly string[]): Promise<SnmpVarbind[][]> {
    if (this.target.version === '1' || oids.length === 1) return walkEachColumn(this, oids);
    return this.retrying(() => this.columnsOnce(oids));
  }

  private async columnsOnce(oids: readonly string[]): Promise<SnmpVarbind[][]> {
    const where = `${this.target.address}:${this.target.port}`;
    const rows: SnmpVarbind[][] = oids.map(() => []);
    const cursors = [...oids];
    let open = oids.map((_, i) => i);
    let total = 0;
    while (open.length > 0) {
      this.observer?.request('getbulk');
      const page = await this.getBulkOnce(open.map((i) => cursors[i]!));
      const stillOpen: number[] = [];
      open.forEach((column, k) => {
        const prefix = `${oids[column]}.`;
        const answered = page[k] ?? [];
        // Every repeater gets at least one value (RFC 3416 4.2.3); none would walk nowhere forever.
        if (answered.length === 0) throw new SnmpError('protocol', `${where}: answered a GETBULK with no value for ${cursors[column]}`);
        let left = false;
        for (const vb of answered) {
          if (vb.type === snmp.ObjectType.EndOfMibView || !vb.oid.startsWith(prefix)) {
            left = true;
            break;
          }
          if (compareOids(vb.oid, cursors[column]!) <= 0) throw new SnmpError('protocol', `${where}: walk of ${oids[column]} is not increasing (${vb.oid} after ${cursors[column]}); stopped`);
          if (++total > MAX_WALK_VARBINDS) throw new SnmpError('protocol', `${where}: walk of ${oids[column]} returned more than ${MAX_WALK_VARBINDS} values without leaving the subtree; stopped`);
          rows[column]!.push(decodeVarbind(vb));
          cursors[column] = vb.oid;
        }
        if (!left) stillOpen.push(column);
      });
      open = stillOpen;
    }
    return rows;
  }

  private getBulkOnce(oids: readonly string[]): Promise<Array<Array<{ oid: string; type?: number; value?: unknown }>>> {
    return new Promise((resolve, reject) => {
      this.session.getBulk([...oids], 0, MAX_REPETITIONS, (error, varbinds) => {
        if (error) return reject(this.fail(error));
        resolve((varbinds ?? []) as unknown as Array<Array<{ oid: string; type?: number; value?: unknown }>>);
      });
    });
  }

  set(varbinds: readonly SnmpVarbind[]): Promise<void> {
    return this.retrying(() => this.setOnce(varbinds));
  }

  private setOnce(varbinds: readonly SnmpVarbind[]): Promise<void> {
    this.observer?.request('set');
    const encoded = varbinds.map((vb) => {
      const type = TYPE_CODES.get(vb.type);
      if (type === undefined) throw new SnmpError('protocol', `cannot SET a value of type ${vb.type}`);
      return { oid: vb.oid, type, value: encodeValue(vb) };
    });
    return new Promise((resolve, reject) => {
      this.session.set(encoded as snmp.Varbind[], (error) => (error ? reject(this.fail(error)) : resolve()));
    });
  }

  close(): void {
    try {
      this.session.close();
    } catch {
      // already closed
    }
  }

  /** Runs a request, again after each timeout up to the device's retries; only the last timeout counts as one. */
  private async retrying<T>(request: () => Promise<T>): Promise<T> {
    this.unparsable = undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        const snmpError = toSnmpError(error, this.target);
        if (snmpError.kind !== 'timeout') throw snmpError;
        if (attempt >= this.target.retries) {
          this.observer?.timeout();
          if (this.unparsable === undefined) throw snmpError;
          throw new SnmpError('timeout', `${snmpError.message}; it sent datagrams that are not valid SNMP (${this.unparsable})`);
        }
        this.observer?.retry();
      }
    }
  }

  private fail(error: unknown): SnmpError {
    return toSnmpError(error, this.target);
  }
}

export class NetSnmpClientFactory implements SnmpClientFactory {
  constructor(private readonly observer?: SnmpRequestObserver) {}

  open(target: SnmpTarget): SnmpClient {
    return new NetSnmpClient(target, this.observer);
  }
}
