import { createHash } from 'node:crypto';
import type { Alarm } from '../alarms/model.js';

// An alarm's code becomes a metric label and Alertmanager's alertname, its key the alarm_key label
// and a database key: none may carry a device's free text or grow without bound, whatever a
// profile built them from. This is the last check before alarms reach the store.

/** A short dotted identifier: 'ups.onBattery', 'sim.101', 'netsnmp.interfaceDown'. */
const CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/;
export const MAX_CODE_LENGTH = 64;
/** Keys are source:index:code; an index is a row's OID suffix, which a device chooses. */
export const MAX_KEY_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 512;
/** Device text quoted in a description when a code is replaced. */
const MAX_QUOTED = 64;

/** The code of alarms whose own code is no short identifier, per profile. */
export function otherCode(profile: string): string {
  return `${profile}.other`;
}

export function isAlarmCode(code: string): boolean {
  return code.length <= MAX_CODE_LENGTH && CODE_PATTERN.test(code);
}

export interface BoundedAlarms {
  alarms: Alarm[];
  /** Keys of the alarms under an `other` code: device text the profile does not know, or a code that was no identifier. */
  folded: Set<string>;
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const printable = (text: string) => text.replace(/[^\x20-\x7e]/g, '?');

/**
 * Alarms as they may be stored: each code a short identifier (else `<profile>.other`, the old
 * code quoted, shortened, in the description), each key and description of bounded length, and
 * no key twice (the first wins).
 */
export function boundAlarms(profile: string, alarms: readonly Alarm[]): BoundedAlarms {
  const other = otherCode(profile);
  const byKey = new Map<string, Alarm>();
  const folded = new Set<string>();
  for (const alarm of alarms) {
    let { key, code, description } = alarm;
    if (!isAlarmCode(code)) {
      key = key.endsWith(`:${code}`) ? `${key.slice(0, key.length - code.length)}${other}` : `${key}:${other}`;
      description = `${description} (device code "${truncate(printable(code), MAX_QUOTED)}")`;
      code = other;
    }
    if (key.length > MAX_KEY_LENGTH) {
      // Still one key per alarm, the same at every scan: a digest of the whole key keeps them apart.
      key = `${key.slice(0, MAX_KEY_LENGTH - 17)}#${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
    }
    if (byKey.has(key)) continue;
    byKey.set(key, { key, severity: alarm.severity, code, description: truncate(description, MAX_DESCRIPTION_LENGTH) });
    if (code.endsWith('.other')) folded.add(key);
  }
  return { alarms: [...byKey.values()], folded };
}
