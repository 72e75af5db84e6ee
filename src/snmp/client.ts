/** The small interface every SNMP conversation goes through: scans, registration, dry-runs. */
import type { UsmUser } from './usm.js';

export type SnmpType =
  | 'Integer'
  | 'OctetString'
  | 'OID'
  | 'IpAddress'
  | 'Counter32'
  | 'Gauge32'
  | 'TimeTicks'
  | 'Opaque'
  | 'Counter64'
  | 'Null'
  | 'NoSuchObject'
  | 'NoSuchInstance'
  | 'EndOfMibView';

/**
 * Decoded values: Integer, Counter32, Gauge32, TimeTicks -> number; Counter64 -> bigint;
 * OctetString, Opaque -> Buffer; OID, IpAddress -> dotted string; Null and exceptions -> null.
 */
export type SnmpValue = number | bigint | string | Buffer | null;

export interface SnmpVarbind {
  oid: string;
  type: SnmpType;
  value: SnmpValue;
}

/** What a request authenticates with: a community (v1, v2c) or a USM user (v3). */
export type SnmpCredentials = { version: '1' | '2c'; community: string } | { version: '3'; usm: UsmUser; contextName?: string };

/** Where and how to reach one device's agent. */
export type SnmpTarget = SnmpCredentials & {
  address: string;
  port: number;
  timeoutMs: number;
  retries: number;
};

export type SnmpErrorKind = 'timeout' | 'error-status' | 'protocol';

/** A failed request; never carries a community or a v3 password. */
export class SnmpError extends Error {
  constructor(
    readonly kind: SnmpErrorKind,
    message: string,
    /** RFC 3416 error-status name for kind 'error-status', e.g. 'wrongLength'. */
    readonly status?: string,
    /** 1-based index of the varbind the agent refused. */
    readonly errorIndex?: number,
  ) {
    super(message);
    this.name = 'SnmpError';
  }
}

export interface SnmpClient {
  get(oids: readonly string[]): Promise<SnmpVarbind[]>;
  /** Every instance strictly below `oid`, in order: GETBULK for v2c, GETNEXT for v1. */
  subtree(oid: string): Promise<SnmpVarbind[]>;
  /**
   * Several columns of one table side by side, as subtree() of each would return them; where the
   * client can, one GETBULK per page carries every column (a 20-row table is one request).
   */
  columns?(oids: readonly string[]): Promise<SnmpVarbind[][]>;
  set(varbinds: readonly SnmpVarbind[]): Promise<void>;
  close(): void;
}

/** Counts every request on the wire, for metrics and benchmarks. */
export interface SnmpRequestObserver {
  request(kind: 'get' | 'getnext' | 'getbulk' | 'set'): void;
  timeout(): void;
  retry(): void;
}

export interface SnmpClientFactory {
  open(target: SnmpTarget): SnmpClient;
}

/** Columns side by side: in one walk where the client can, else one subtree walk after another. */
export function walkColumns(client: SnmpClient, oids: readonly string[]): Promise<SnmpVarbind[][]> {
  return client.columns ? client.columns(oids) : walkEachColumn(client, oids);
}

/** One subtree walk per column, one after another. */
export async function walkEachColumn(client: Pick<SnmpClient, 'subtree'>, oids: readonly string[]): Promise<SnmpVarbind[][]> {
  const walked: SnmpVarbind[][] = [];
  for (const oid of oids) walked.push(await client.subtree(oid));
  return walked;
}

export function isException(type: SnmpType): boolean {
  return type === 'NoSuchObject' || type === 'NoSuchInstance' || type === 'EndOfMibView';
}
