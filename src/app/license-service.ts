import type { Logger } from 'pino';
import { machineMacs, serverIdentity, type InterfaceTable, type ServerIdentity } from '../licensing/identity.js';
import type { IssuerSecret } from '../licensing/issuer-secret.js';
import { INCLUDED_NODES } from '../licensing/gate.js';
import { issueDate, LicenseKeyError, verifyKey } from '../licensing/key.js';
import { LicenseAlreadyInstalledError, type InstalledLicense } from '../store/licenses.js';
import type { Store } from '../store/store.js';

/** A key the daemon will not install, with the API error code to answer with. */
export class LicenseRejectedError extends Error {
  override readonly name = 'LicenseRejectedError';
  constructor(
    readonly code: 'LICENSE_KEY_INVALID' | 'LICENSE_ALREADY_INSTALLED',
    message: string,
  ) {
    super(message);
  }
}

export interface LicenseView {
  id: number;
  fingerprint: string;
  nodes: number;
  edition: string;
  issuedOn: string;
  installedAt: string;
}

export interface LicenseUsage {
  serverId: string | null;
  included: number;
  licensed: number;
  used: number;
  unlicensed: number;
}

export interface LicenseServiceDeps {
  store: Store;
  log: Logger;
  /** Verifies keys; absent when no issuer secret is configured (only the included nodes then). */
  secret: IssuerSecret | undefined;
  /** The configured licensing interface; else the first usable one. */
  interfaceName: string | undefined;
  /** The machine's interfaces; default: the OS's (tests pass their own). */
  interfaces?: InterfaceTable;
  /**
   * Cluster mode: the MAC keys are bound to for the whole cluster (config cluster.licenseMac),
   * instead of this machine's: every collector verifies the same keys the same way.
   */
  clusterMac?: string;
  /** Cluster mode: the licenses table is shared, so each count first verifies keys a peer installed. */
  shared?: boolean;
  /** Devices beyond the licensed count, for usage. */
  unlicensedCount: () => number;
  /** Called after keys change, so devices over the count become unlicensed (or come back). */
  onChange: () => void;
}

/**
 * Installed license keys and the node count they grant. Keys are verified on install and
 * again at start-up: a key that no longer verifies (the server's MAC changed) grants nothing.
 */
export class LicenseService {
  private identity: ServerIdentity | undefined;
  private identityError: string | null = null;
  /** Ids of installed keys that verify for this server now. */
  private valid = new Set<number>();
  /** Ids of installed keys verified (or refused) already. */
  private checked = new Set<number>();

  constructor(private readonly deps: LicenseServiceDeps) {}

  start(): void {
    if (this.deps.clusterMac !== undefined) {
      this.identity = { mac: this.deps.clusterMac, interface: 'cluster.licenseMac' };
    } else {
      try {
        this.identity = serverIdentity({ interfaceName: this.deps.interfaceName, interfaces: this.deps.interfaces });
      } catch (error) {
        this.identityError = (error as Error).message;
        this.deps.log.warn({ err: this.identityError }, 'no server identity for licensing: only the included nodes are licensed');
      }
    }
    this.valid = new Set();
    this.checked = new Set();
    this.refresh();
  }

  /**
   * Verifies keys installed since the last look: in cluster mode the licenses table is shared,
   * and a key another collector installed counts here too once verified. Returns whether the
   * licensed count changed.
   */
  refresh(): boolean {
    let changed = false;
    for (const installed of this.deps.store.licenses.keys()) {
      if (this.checked.has(installed.id)) continue;
      this.checked.add(installed.id);
      try {
        this.verify(installed.key);
        this.valid.add(installed.id);
        changed = true;
      } catch (error) {
        this.deps.log.warn({ license: installed.fingerprint, reason: (error as Error).message }, 'installed license key does not verify: it grants no nodes');
      }
    }
    return changed;
  }

  get serverId(): string | null {
    return this.identity?.mac ?? null;
  }

  get serverIdError(): string | null {
    return this.identityError;
  }

  licensedNodes(): number {
    if (this.deps.shared) this.refresh();
    return INCLUDED_NODES + this.deps.store.licenses.list().reduce((sum, l) => sum + (this.valid.has(l.id) ? l.nodes : 0), 0);
  }

  usage(): LicenseUsage {
    return {
      serverId: this.serverId,
      included: INCLUDED_NODES,
      licensed: this.licensedNodes(),
      used: this.deps.store.devices.count() - this.deps.unlicensedCount(),
      unlicensed: this.deps.unlicensedCount(),
    };
  }

  list(): LicenseView[] {
    return this.deps.store.licenses.list().map(licenseView);
  }

  add(keyText: string): LicenseView {
    let key;
    try {
      key = this.verify(keyText);
    } catch (error) {
      if (error instanceof LicenseKeyError || error instanceof LicenseRejectedError) throw new LicenseRejectedError('LICENSE_KEY_INVALID', error.message);
      throw error;
    }
    let installed: InstalledLicense;
    try {
      installed = this.deps.store.licenses.add(key);
    } catch (error) {
      if (error instanceof LicenseAlreadyInstalledError) throw new LicenseRejectedError('LICENSE_ALREADY_INSTALLED', error.message);
      throw error;
    }
    this.valid.add(installed.id);
    this.checked.add(installed.id);
    this.deps.log.info({ license: installed.fingerprint, nodes: installed.nodes }, 'license key installed');
    this.deps.onChange();
    return licenseView(installed);
  }

  remove(ref: string): boolean {
    const found = this.deps.store.licenses.remove(ref);
    if (!found) return false;
    this.valid.delete(found.id);
    this.deps.log.info({ license: found.fingerprint }, 'license key removed');
    this.deps.onChange();
    return true;
  }

  private verify(keyText: string) {
    if (!this.deps.secret) {
      throw new LicenseRejectedError('LICENSE_KEY_INVALID', 'this server cannot verify license keys: configure licensing.issuerSecretFile (or issuerSecretEnv) with the issuer secret');
    }
    if (!this.identity) throw new LicenseRejectedError('LICENSE_KEY_INVALID', `this server has no licensing identity: ${this.identityError}`);
    // A cluster's MAC is configured, not this machine's: no other interface of this machine can be "the right one".
    const others = this.deps.clusterMac !== undefined ? [] : machineMacs(this.deps.interfaces).filter((m) => m.mac !== this.identity!.mac);
    return verifyKey({ key: keyText, secret: this.deps.secret, mac: this.identity.mac, otherMacs: others });
  }
}

function licenseView(l: InstalledLicense): LicenseView {
  return { id: l.id, fingerprint: l.fingerprint, nodes: l.nodes, edition: l.edition, issuedOn: issueDate(l.issueDay), installedAt: new Date(l.installedAt).toISOString() };
}
