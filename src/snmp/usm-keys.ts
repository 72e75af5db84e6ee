/**
 * The SNMPv3 keys a notification receiver checks messages with: looked up on the receive path,
 * never derived there. A user's password keys (RFC 3414: 1 MiB hashed per password) are derived
 * by a PasswordKeyDeriver, a worker thread, as soon as the user is known (prepare: a device is
 * added) or, failing that, when its first message arrives (the message waits: whenDerived).
 * Localizing them to an engine is three short hashes, done at the first message from that engine.
 */
import type { PasswordKeyDeriver } from './key-derivation.js';
import type { KeyCache, LocalizedUser, PasswordKeyJob, UsmKeys, UsmUser } from './usm.js';

export interface UsmKeyStoreDeps {
  cache: KeyCache;
  deriver: PasswordKeyDeriver;
}

/** Users prepare() looks at per turn of the event loop: a thousand devices added at once never stall it. */
const PREPARED_PER_TURN = 50;

interface Derivation {
  /** Settles (never rejects) once the key is cached or its derivation failed. */
  done: Promise<void>;
  urgent: boolean;
}

export class UsmKeyStore implements UsmKeys {
  private readonly deriving = new Map<string, Derivation>();
  private readonly toPrepare = new Set<UsmUser>();
  private preparing: NodeJS.Immediate | undefined;

  constructor(private readonly deps: UsmKeyStoreDeps) {}

  /** The user's keys for `engineId`; undefined while they are being derived (which this hurries). */
  localize(user: UsmUser, engineId: Buffer): LocalizedUser | undefined {
    const keys = this.deps.cache.localizeDerived(user, engineId);
    if (!keys) this.derive(user, true);
    return keys;
  }

  /** Starts deriving the user's keys in the background, before a message needs them. */
  prepare(user: UsmUser): void {
    this.toPrepare.add(user);
    this.preparing ??= setImmediate(() => this.prepareSome());
  }

  /** Whether the user's keys are ready once their derivation ends (false: it failed or was stopped). */
  async whenDerived(user: UsmUser): Promise<boolean> {
    await Promise.all(this.derive(user, true));
    return this.deps.cache.missingPasswordKeys(user).length === 0;
  }

  /** Password keys being derived. */
  get pending(): number {
    return this.deriving.size;
  }

  stop(): Promise<void> {
    clearImmediate(this.preparing);
    this.preparing = undefined;
    this.toPrepare.clear();
    return this.deps.deriver.stop();
  }

  private prepareSome(): void {
    let count = 0;
    for (const user of this.toPrepare) {
      this.toPrepare.delete(user);
      this.derive(user, false);
      if (++count === PREPARED_PER_TURN) break;
    }
    this.preparing = this.toPrepare.size > 0 ? setImmediate(() => this.prepareSome()) : undefined;
  }

  private derive(user: UsmUser, urgent: boolean): Promise<void>[] {
    return this.deps.cache.missingPasswordKeys(user).map((job) => {
      const known = this.deriving.get(job.id);
      if (!known) return this.start(job, urgent);
      if (urgent && !known.urgent) {
        // Moves the job up the deriver's queue; its outcome is start()'s to handle.
        this.deps.deriver.derive(job, true).catch(() => undefined);
        known.urgent = true;
      }
      return known.done;
    });
  }

  private start(job: PasswordKeyJob, urgent: boolean): Promise<void> {
    const done = this.deps.deriver.derive(job, urgent).then(
      (key) => this.deps.cache.addPasswordKey(job.id, key),
      // Nothing cached: the next message from this user asks again.
      () => undefined,
    );
    this.deriving.set(job.id, { done, urgent });
    void done.then(() => this.deriving.delete(job.id));
    return done;
  }
}
