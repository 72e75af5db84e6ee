import type { Clock } from '../clock.js';
import { SnmpError, walkColumns, type SnmpClient, type SnmpClientFactory, type SnmpCredentials, type SnmpTarget, type SnmpVarbind } from './client.js';
import type { DeviceRecord, DeviceSnmp } from '../store/devices.js';

export type ClientPurpose = 'read' | 'write';

/** The credentials a device's requests carry; a v3 device's one user both reads and writes. */
export function credentialsFor(snmp: DeviceSnmp, purpose: ClientPurpose): SnmpCredentials {
  if (snmp.version === '3') return { version: '3', usm: snmp.usm, ...(snmp.contextName ? { contextName: snmp.contextName } : {}) };
  return { version: snmp.version, community: purpose === 'write' ? snmp.writeCommunity : snmp.readCommunity };
}

/**
 * How long a device's session stays open after its last request: a scan's requests share one
 * socket (and a v3 session its discovered engine, which a new session discovers again).
 */
export const SESSION_IDLE_MS = 2_000;

export interface DeviceClientsOptions {
  clock: Clock;
  idleMs?: number;
}

/**
 * A device's session that holds a socket only while it is used. Each net-snmp session is a UDP
 * socket; kept open for every device and purpose, 10,000 devices would hold 20,000 sockets and
 * run into the file-descriptor limit. The socket opens at the first request and closes once no
 * request has been in flight for `idleMs`, so open sockets follow the scans running, not the fleet.
 */
class IdleClosingClient implements SnmpClient {
  private session: SnmpClient | undefined;
  private inFlight = 0;
  private idleTimer: unknown;
  private closed = false;

  constructor(
    private readonly factory: SnmpClientFactory,
    private readonly target: SnmpTarget,
    private readonly options: Required<DeviceClientsOptions>,
  ) {}

  get open(): boolean {
    return this.session !== undefined;
  }

  get(oids: readonly string[]): Promise<SnmpVarbind[]> {
    return this.using((s) => s.get(oids));
  }

  subtree(oid: string): Promise<SnmpVarbind[]> {
    return this.using((s) => s.subtree(oid));
  }

  columns(oids: readonly string[]): Promise<SnmpVarbind[][]> {
    return this.using((s) => walkColumns(s, oids));
  }

  set(varbinds: readonly SnmpVarbind[]): Promise<void> {
    return this.using((s) => s.set(varbinds));
  }

  close(): void {
    this.closed = true;
    this.closeSession();
  }

  private async using<T>(request: (session: SnmpClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new SnmpError('protocol', `${this.target.address}:${this.target.port}: session closed`);
    this.options.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.session ??= this.factory.open(this.target);
    this.inFlight++;
    try {
      return await request(this.session);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.session) this.idleTimer = this.options.clock.setTimeout(() => this.closeSession(), this.options.idleMs);
    }
  }

  private closeSession(): void {
    this.options.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.session?.close();
    this.session = undefined;
  }
}

/**
 * One SNMP client per device and purpose, reused across scans; its socket is open only while
 * it is in use (see IdleClosingClient). Clients are dropped when a device's address or
 * credentials change, or it is removed.
 */
export class DeviceClients {
  private readonly clients = new Map<string, IdleClosingClient>();
  private readonly options: Required<DeviceClientsOptions>;

  constructor(
    private readonly factory: SnmpClientFactory,
    options: DeviceClientsOptions,
  ) {
    this.options = { idleMs: SESSION_IDLE_MS, ...options };
  }

  clientFor(device: DeviceRecord, purpose: ClientPurpose): SnmpClient {
    const key = `${device.id}:${purpose}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new IdleClosingClient(
        this.factory,
        {
          ...credentialsFor(device.snmp, purpose),
          address: device.address,
          port: device.port,
          timeoutMs: device.timeoutMs,
          retries: device.retries,
        },
        this.options,
      );
      this.clients.set(key, client);
    }
    return client;
  }

  /** Sessions holding a socket now. */
  get openSessions(): number {
    let open = 0;
    for (const client of this.clients.values()) if (client.open) open++;
    return open;
  }

  /** A session outside the cache, for a one-off check such as the add-device dry run; the caller closes it. */
  openOneOff(target: SnmpTarget): SnmpClient {
    return this.factory.open(target);
  }

  forget(deviceId: number): void {
    for (const purpose of ['read', 'write'] as const) {
      const key = `${deviceId}:${purpose}`;
      this.clients.get(key)?.close();
      this.clients.delete(key);
    }
  }

  closeAll(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
