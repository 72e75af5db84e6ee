import type { Logger } from 'pino';
import type { IssuerSecret } from '../licensing/issuer-secret.js';
import { verifyRegistrationCode, type RegistrationCodeKind } from '../licensing/registration-code.js';
import { displaySystemId, generateSystemId, RegistrationTextError } from '../licensing/registration-format.js';
import { InstallationKey, makeRegistrationRequest } from '../licensing/registration-request.js';
import { RegistrationAppliedError, type StoredRegistration } from '../store/registrations.js';
import type { Store } from '../store/store.js';

/** Settings keys: generated once per installation, kept in its database. */
const SYSTEM_ID_SETTING = 'system-id';
const SIGNING_KEY_SETTING = 'registration-signing-key';

/** A code the installation will not apply, with the API error code to answer with. */
export class RegistrationRejectedError extends Error {
  override readonly name = 'RegistrationRejectedError';

  constructor(
    readonly code: 'REGISTRATION_CODE_INVALID' | 'REGISTRATION_ALREADY_APPLIED',
    message: string,
  ) {
    super(message);
  }
}

export interface RegistrationServiceDeps {
  store: Store;
  clock: { now(): number };
  log: Logger;
  /** Verifies codes; absent when no issuer secret is configured (then no code can be applied). */
  secret: IssuerSecret | undefined;
  version: string;
  /** The licensing MAC, or null when the server has none. */
  serverId: () => string | null;
  licensedNodes: () => number;
}

/**
 * The installation's System ID and its registration: made once (the first start), shown by the
 * API and `priscan about`; an offline request signed by the installation's key; codes verified with
 * the issuer secret and kept. License keys are bound to the server's MAC, not to the System ID, so
 * a new System ID (a database lost and reassociated) leaves every license key valid.
 */
export class RegistrationService {
  constructor(private readonly deps: RegistrationServiceDeps) {}

  /** Makes the System ID and signing key on the first start. */
  start(): void {
    const fresh = this.deps.store.settings.get(SYSTEM_ID_SETTING) === undefined;
    this.key();
    if (fresh) this.deps.log.info({ systemId: this.systemId }, 'new installation: System ID generated');
  }

  /** XXXX-XXXX-XXXX-XXXX. */
  get systemId(): string {
    return displaySystemId(this.canonicalSystemId());
  }

  /** The registration of this System ID, if a code was applied. */
  current(): StoredRegistration | undefined {
    return this.deps.store.registrations.current(this.canonicalSystemId());
  }

  /** Every code applied to this database, oldest first. */
  history(): StoredRegistration[] {
    return this.deps.store.registrations.list();
  }

  /** The signed offline request, made now. */
  request(): string {
    return makeRegistrationRequest(
      {
        systemId: this.canonicalSystemId(),
        mac: this.deps.serverId(),
        licensedNodes: this.deps.licensedNodes(),
        madeAt: this.deps.clock.now(),
        version: this.deps.version,
      },
      this.key(),
    );
  }

  /** Verifies and stores a code; throws RegistrationRejectedError saying why not. */
  apply(codeText: string, expect?: RegistrationCodeKind): StoredRegistration {
    if (!this.deps.secret) {
      throw new RegistrationRejectedError('REGISTRATION_CODE_INVALID', 'this server cannot verify registration codes: configure licensing.issuerSecretFile (or issuerSecretEnv) with the issuer secret');
    }
    let code;
    try {
      code = verifyRegistrationCode({
        code: codeText,
        secret: this.deps.secret,
        systemId: this.canonicalSystemId(),
        keyFingerprint: this.key().fingerprint,
        ...(expect ? { expect } : {}),
      });
    } catch (error) {
      if (error instanceof RegistrationTextError) throw new RegistrationRejectedError('REGISTRATION_CODE_INVALID', error.message);
      throw error;
    }
    try {
      const stored = this.deps.store.registrations.add({
        kind: code.kind,
        systemId: code.systemId,
        number: code.number,
        integrator: code.integrator,
        owner: code.owner,
        previousSystemId: code.previousSystemId,
        issueDay: code.issueDay,
        code: code.code,
      });
      this.deps.log.info({ number: code.number, kind: code.kind, integrator: code.integrator, owner: code.owner }, 'registration code applied');
      return stored;
    } catch (error) {
      if (error instanceof RegistrationAppliedError) throw new RegistrationRejectedError('REGISTRATION_ALREADY_APPLIED', error.message);
      throw error;
    }
  }

  /** The key's public half, fingerprinted: what codes are bound to. */
  get keyFingerprint(): string {
    return this.key().fingerprint;
  }

  private canonicalSystemId(): string {
    return this.deps.store.settings.getOrCreate(SYSTEM_ID_SETTING, () => generateSystemId());
  }

  private key(): InstallationKey {
    this.canonicalSystemId();
    return InstallationKey.fromStored(this.deps.store.settings.getOrCreate(SIGNING_KEY_SETTING, () => InstallationKey.generate().stored()));
  }
}
