import { deviceInputSchema } from '../config/schema.js';

/** The device-name rule, as the config and the API check it. */
const deviceName = deviceInputSchema.shape.name;
const NAME_MAX = 64;

/** Text made to fit the device-name rule: other characters become dashes; empty when nothing is left. */
function sanitized(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, NAME_MAX)
    .replace(/[-.]+$/, '');
}

/**
 * A name for a discovered device: its sysName as far as the rule allows ("UPS Room 2" is
 * UPS-Room-2), else its profile and address ("apc-ups-10.1.2.3").
 */
export function discoveredName(found: { sysName: string | null; profile: string | null; address: string }): string {
  const fromSysName = sanitized(found.sysName ?? '');
  if (fromSysName && deviceName.safeParse(fromSysName).success) return fromSysName;
  return sanitized(`${found.profile ?? 'device'}-${found.address}`);
}

/** `name`, or `name-2`, `name-3`, … : the first not taken (shortened to leave room for the suffix). */
export function uniqueName(name: string, taken: (name: string) => boolean): string {
  if (!taken(name)) return name;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${name.slice(0, NAME_MAX - suffix.length)}${suffix}`;
    if (!taken(candidate)) return candidate;
  }
}
