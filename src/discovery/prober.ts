import type { Clock } from '../clock.js';
import { SNMPV2 } from '../profiles/oids.js';
import { SnmpError, type SnmpClientFactory, type SnmpCredentials, type SnmpVarbind } from '../snmp/client.js';
import { RequestPacer } from './pacer.js';

/** A credential to try, by the name results report it under (its secrets stay in here). */
export interface ProbeCredential {
  name: string;
  credentials: SnmpCredentials;
}

export interface ProbeSettings {
  port: number;
  /** Addresses probed at once (each has at most one request in flight). */
  concurrency: number;
  /** Request starts per second, retries included. */
  ratePerSecond: number;
  timeoutMs: number;
  /** Requests sent again per credential after a timeout. */
  retries: number;
}

/** Who an answering agent says it is: the system group's first scalars. */
export interface SystemIdentity {
  sysObjectId: string | null;
  sysName: string | null;
  sysDescr: string | null;
}

export type ProbeResult =
  | ({ address: string; status: 'answered'; credential: string } & SystemIdentity)
  /** No credential got an answer: nothing there, or nothing that knows these credentials. */
  | { address: string; status: 'timeout' }
  /** Something answered, but not with its identity (a refused v3 user, an error status, garbage). */
  | { address: string; status: 'error'; error: string };

export interface ProbeRun {
  /** Every address that may receive a request; nothing else does. */
  addresses: readonly string[];
  credentials: readonly ProbeCredential[];
  settings: ProbeSettings;
  /** Stops sending; addresses not yet done get no result. */
  signal?: AbortSignal;
  onResult?: (result: ProbeResult) => void;
}

export interface ProberDeps {
  clock: Clock;
  /** Opens one-off sessions; the prober closes each after its one request. */
  clients: SnmpClientFactory;
}

const IDENTITY_OIDS = [SNMPV2.sysObjectID, SNMPV2.sysName, SNMPV2.sysDescr] as const;
/** The system group's strings are at most 255 octets (RFC 3418). */
const MAX_TEXT = 255;

/** v1/v2c first: a wrong community costs one request, a v3 user an engine discovery as well. */
export function attemptOrder(credentials: readonly ProbeCredential[]): ProbeCredential[] {
  return [...credentials.filter((c) => c.credentials.version !== '3'), ...credentials.filter((c) => c.credentials.version === '3')];
}

function text(vb: SnmpVarbind | undefined): string | null {
  if (vb?.type !== 'OctetString' || !Buffer.isBuffer(vb.value)) return null;
  // Control characters would break a table row or a log line; agents put newlines in sysDescr.
  return vb.value.toString('utf8').replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, MAX_TEXT);
}

type Attempt = { kind: 'answered'; identity: SystemIdentity } | { kind: 'timeout' } | { kind: 'refused' | 'failed'; message: string };

/**
 * Asks each address who it is (sysObjectID, sysName, sysDescr in one GET), trying the
 * credentials in order until one gets an answer. At most `concurrency` requests are in flight,
 * requests start at most `ratePerSecond` a second, and only `addresses` are ever sent to.
 */
export class Prober {
  constructor(private readonly deps: ProberDeps) {}

  async probe(run: ProbeRun): Promise<ProbeResult[]> {
    const pacer = new RequestPacer({ clock: this.deps.clock, ratePerSecond: run.settings.ratePerSecond, signal: run.signal });
    const credentials = attemptOrder(run.credentials);
    const results: Array<ProbeResult | undefined> = [];
    let next = 0;
    const worker = async () => {
      while (next < run.addresses.length) {
        const i = next++;
        const result = await this.probeAddress(run.addresses[i]!, credentials, run, pacer);
        if (!result) return;
        results[i] = result;
        run.onResult?.(result);
      }
    };
    const workers = Math.min(run.settings.concurrency, run.addresses.length);
    await Promise.all(Array.from({ length: workers }, worker));
    return results.filter((r): r is ProbeResult => r !== undefined);
  }

  /** One address, credential by credential; undefined when aborted before it was done. */
  private async probeAddress(address: string, credentials: readonly ProbeCredential[], run: ProbeRun, pacer: RequestPacer): Promise<ProbeResult | undefined> {
    let error: string | undefined;
    for (const credential of credentials) {
      for (let attempt = 0; attempt <= run.settings.retries; attempt++) {
        if (!(await pacer.take())) return undefined;
        const outcome = await this.ask(address, credential, run.settings);
        if (outcome.kind === 'answered') return { address, status: 'answered', credential: credential.name, ...outcome.identity };
        if (outcome.kind === 'timeout') continue;
        error = `${credential.name}: ${outcome.message}`;
        // An error status means the agent took the credential and still would not say who it
        // is: another credential will not change that. A refusal (unknown v3 user, bad keys)
        // is this credential's; the next may be the device's.
        if (outcome.kind === 'failed') return { address, status: 'error', error };
        break;
      }
    }
    return error === undefined ? { address, status: 'timeout' } : { address, status: 'error', error };
  }

  private async ask(address: string, credential: ProbeCredential, settings: ProbeSettings): Promise<Attempt> {
    // Retries are the prober's, so that each one waits for its turn at the rate limit.
    const client = this.deps.clients.open({ ...credential.credentials, address, port: settings.port, timeoutMs: settings.timeoutMs, retries: 0 });
    try {
      const [objectId, name, descr] = await client.get(IDENTITY_OIDS);
      return {
        kind: 'answered',
        identity: { sysObjectId: objectId?.type === 'OID' ? String(objectId.value) : null, sysName: text(name), sysDescr: text(descr) },
      };
    } catch (error) {
      if (error instanceof SnmpError) {
        if (error.kind === 'timeout') return { kind: 'timeout' };
        return { kind: error.kind === 'error-status' ? 'failed' : 'refused', message: error.message };
      }
      return { kind: 'refused', message: (error as Error).message };
    } finally {
      client.close();
    }
  }
}
