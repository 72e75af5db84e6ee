import type { SnmpClient } from '../snmp/client.js';
import type { RegistrationMethodName } from '../profiles/schema.js';
import type { SecurityLevel } from '../snmp/usm.js';

/** Where devices must send their notifications, and what authenticates them. */
export interface ManagerRegistration {
  address: string;
  port: number;
  /** Written into every registration that holds a community. */
  community: string;
  /** A v3 device's user: RFC 3413 targets then get v3 params (the device sends as that user). */
  usm?: { user: string; level: SecurityLevel };
}

/** What ensure() found and did. */
export type RegistrationOutcome = 'created' | 'verified' | 'repaired';

export class RegistrationError extends Error {
  constructor(
    readonly code: 'no-free-row' | 'refused' | 'read-back-mismatch' | 'unreachable' | 'invalid-address',
    message: string,
  ) {
    super(message);
    this.name = 'RegistrationError';
  }
}

/**
 * One way of writing priscan's address into a device. ensure() is idempotent:
 * it creates the registration, or verifies it is intact, or repairs drift, and
 * reads the result back. It never overwrites another manager's registration.
 */
export interface RegistrationMethod {
  readonly name: RegistrationMethodName;
  ensure(client: SnmpClient, manager: ManagerRegistration): Promise<RegistrationOutcome>;
  /** Removes priscan's registration; absent is fine. */
  remove(client: SnmpClient, manager: ManagerRegistration): Promise<void>;
}
