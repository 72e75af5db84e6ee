import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { SnmpClientFactory } from '../snmp/client.js';
import { discoveredName, uniqueName } from './naming.js';
import { Prober, type ProbeCredential, type ProbeResult, type ProbeSettings } from './prober.js';
import { DiscoveryTargetError, parseTargets } from './targets.js';

/** What adding a discovered device came to. */
export type Admission =
  | { outcome: 'added'; deviceId: number; name: string }
  /** `license`: over the licensed node count; `invalid`: the device would not be valid (the message says why). */
  | { outcome: 'refused'; reason: 'license' | 'invalid'; message: string }
  /** A device with this address is already known. */
  | { outcome: 'exists'; name: string | null; message: string }
  /** No profile matches: listed, never added. */
  | { outcome: 'unmatched'; message: string };

/** A discovered device to add: named, at its address, with the credential that answered. */
export interface Candidate {
  name: string;
  address: string;
  port: number;
  credential: string;
}

/** How discovered devices become monitored ones: the same path as the API's device creation. */
export interface DiscoveryAdmission {
  /** The name of the device already at this address, if any. */
  existingAt(address: string): string | undefined;
  nameTaken(name: string): boolean;
  add(candidate: Candidate): Admission;
}

export interface DiscoveryDeps {
  clock: Clock;
  clients: SnmpClientFactory;
  log: Logger;
  /** The configured credentials (discovery.credentials), as the prober uses them. */
  credentials: readonly ProbeCredential[];
  settings: Omit<ProbeSettings, 'port'>;
  /** The profile a device with this sysObjectID would get (ProfileRegistry.select). */
  profileFor: (sysObjectId: string) => string | undefined;
  admission: DiscoveryAdmission;
  newId?: () => string;
}

export interface DiscoveryRequest {
  targets: string | readonly string[];
  port: number;
  /** Names of configured credentials to try, in this order; default: all of them. */
  credentials?: readonly string[];
  /** Add the matched devices, within the licensed node count. */
  add: boolean;
}

export type DiscoveryRefusal = 'targets' | 'credentials' | 'busy';

/** A discovery that cannot start; nothing was sent. */
export class DiscoveryRequestError extends Error {
  override readonly name = 'DiscoveryRequestError';
  constructor(
    readonly reason: DiscoveryRefusal,
    message: string,
  ) {
    super(message);
  }
}

export type DiscoveredAddress = ProbeResult & { profile: string | null; admission: Admission | null };

export interface DiscoveryJob {
  id: string;
  /** `stopped`: the daemon shut down first; `failed`: an internal error (in `error`). */
  state: 'running' | 'done' | 'stopped' | 'failed';
  targets: string;
  port: number;
  credentials: string[];
  add: boolean;
  startedAt: number;
  finishedAt: number | null;
  addresses: number;
  probed: number;
  /** Per outcome, over the addresses probed so far. */
  counts: { answered: number; timeout: number; error: number };
  /** Addresses that answered or failed, in address order; silent ones are only counted. */
  results: DiscoveredAddress[];
  error: string | null;
}

interface RunningJob {
  job: DiscoveryJob;
  abort: AbortController;
  finished: Promise<void>;
}

/** Finished jobs kept for GET after they end; older ones are forgotten. */
const KEEP_FINISHED = 8;

/**
 * Discovery jobs: one at a time (the concurrency and rate bounds hold for the whole daemon),
 * kept in memory until KEEP_FINISHED newer ones have finished (and lost at a restart).
 */
export class DiscoveryService {
  private readonly jobs = new Map<string, DiscoveryJob>();
  private running: RunningJob | undefined;

  constructor(private readonly deps: DiscoveryDeps) {}

  start(): void {}

  /** Stops sending; the running job ends as `stopped` once its requests in flight are answered or time out. */
  async stop(): Promise<void> {
    const running = this.running;
    running?.abort.abort();
    await running?.finished;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  get(id: string): DiscoveryJob | undefined {
    return this.jobs.get(id);
  }

  /** Checks the request and starts the job; throws DiscoveryRequestError (sending nothing) when it cannot. */
  begin(request: DiscoveryRequest): DiscoveryJob {
    let addresses: string[];
    try {
      addresses = parseTargets(request.targets);
    } catch (error) {
      if (error instanceof DiscoveryTargetError) throw new DiscoveryRequestError('targets', error.message);
      throw error;
    }
    const credentials = this.chooseCredentials(request.credentials);
    if (this.running) {
      const { job } = this.running;
      throw new DiscoveryRequestError('busy', `discovery ${job.id} is running (${job.probed} of ${job.addresses} addresses probed); wait for it to finish`);
    }
    const job: DiscoveryJob = {
      id: (this.deps.newId ?? randomUUID)(),
      state: 'running',
      targets: typeof request.targets === 'string' ? request.targets : request.targets.join(','),
      port: request.port,
      credentials: credentials.map((c) => c.name),
      add: request.add,
      startedAt: this.deps.clock.now(),
      finishedAt: null,
      addresses: addresses.length,
      probed: 0,
      counts: { answered: 0, timeout: 0, error: 0 },
      results: [],
      error: null,
    };
    this.jobs.set(job.id, job);
    const abort = new AbortController();
    const finished = this.run(job, addresses, credentials, abort.signal).finally(() => {
      this.running = undefined;
    });
    this.running = { job, abort, finished };
    return job;
  }

  private chooseCredentials(names: readonly string[] | undefined): ProbeCredential[] {
    const configured = this.deps.credentials;
    if (configured.length === 0) {
      throw new DiscoveryRequestError('credentials', 'no discovery credentials are configured: add them under discovery.credentials in the config file');
    }
    if (names === undefined || names.length === 0) return [...configured];
    return [...new Set(names)].map((name) => {
      const found = configured.find((c) => c.name === name);
      if (!found) throw new DiscoveryRequestError('credentials', `unknown discovery credential "${name}"; configured: ${configured.map((c) => c.name).join(', ')}`);
      return found;
    });
  }

  /** Forgets the oldest finished jobs beyond KEEP_FINISHED. */
  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(old.id);
  }

  private async run(job: DiscoveryJob, addresses: string[], credentials: ProbeCredential[], signal: AbortSignal): Promise<void> {
    const { log } = this.deps;
    log.info({ discovery: job.id, addresses: addresses.length, port: job.port, credentials: job.credentials, add: job.add }, 'discovery started');
    try {
      const prober = new Prober({ clock: this.deps.clock, clients: this.deps.clients });
      const results = await prober.probe({
        addresses,
        credentials,
        settings: { ...this.deps.settings, port: job.port },
        signal,
        onResult: (result) => {
          job.probed++;
          job.counts[result.status]++;
          if (result.status !== 'timeout') job.results.push(this.discovered(result));
        },
      });
      // Results arrive as addresses finish; the job lists them in address order.
      job.results = results.filter((r) => r.status !== 'timeout').map((r) => this.discovered(r));
      if (signal.aborted) job.state = 'stopped';
      else {
        if (job.add) this.admit(job);
        job.state = 'done';
      }
    } catch (error) {
      job.state = 'failed';
      job.error = (error as Error).message;
      log.error({ discovery: job.id, err: error }, 'discovery failed');
    }
    job.finishedAt = this.deps.clock.now();
    this.prune();
    const added = job.results.filter((r) => r.admission?.outcome === 'added').length;
    log.info({ discovery: job.id, state: job.state, probed: job.probed, ...job.counts, added }, 'discovery finished');
  }

  private discovered(result: ProbeResult): DiscoveredAddress {
    const profile = result.status === 'answered' && result.sysObjectId ? (this.deps.profileFor(result.sysObjectId) ?? null) : null;
    return { ...result, profile, admission: null };
  }

  /** Adds the matched devices in address order, so which ones a full license refuses is predictable. */
  private admit(job: DiscoveryJob): void {
    const { admission } = this.deps;
    const chosen = new Set<string>();
    for (const found of job.results) {
      if (found.status !== 'answered') continue;
      if (!found.profile) {
        found.admission = { outcome: 'unmatched', message: `no profile matches sysObjectID ${found.sysObjectId ?? '(none)'}: add it with an explicit profile` };
        continue;
      }
      const existing = admission.existingAt(found.address);
      if (existing !== undefined) {
        found.admission = { outcome: 'exists', name: existing, message: `already monitored as ${existing}` };
        continue;
      }
      const name = uniqueName(discoveredName(found), (n) => chosen.has(n) || admission.nameTaken(n));
      chosen.add(name);
      found.admission = admission.add({ name, address: found.address, port: job.port, credential: found.credential });
    }
  }
}
