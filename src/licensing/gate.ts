/** Devices every installation may monitor without any key. */
export const INCLUDED_NODES = 5;

/** The API error code a refused admission maps to (HTTP 402). */
export const LICENSE_NODE_LIMIT = 'LICENSE_NODE_LIMIT';

/** Devices the installed keys allow: the included allowance plus every key's node count. */
export function licensedNodes(keys: readonly { nodes: number }[]): number {
  return keys.reduce((sum, key) => sum + key.nodes, INCLUDED_NODES);
}

export type Admission =
  | { ok: true; licensed: number; used: number }
  | { ok: false; code: typeof LICENSE_NODE_LIMIT; licensed: number; used: number; message: string };

/** Whether one more device fits, given `used` devices already counted against `licensed`. */
export function admit(used: number, licensed: number): Admission {
  if (used < licensed) return { ok: true, licensed, used };
  return {
    ok: false,
    code: LICENSE_NODE_LIMIT,
    licensed,
    used,
    message:
      `licensed for ${licensed} ${nodes(licensed)}, ${used} in use: ` +
      'add a license key (priscan license add) or remove a device',
  };
}

/**
 * The devices beyond the licensed count: the newest ones. They are kept (with their
 * history) but not scanned. `devices` must be ordered oldest first.
 */
export function unlicensedDevices(devices: readonly { id: number }[], licensed: number): number[] {
  return devices.slice(Math.max(0, licensed)).map((device) => device.id);
}

function nodes(count: number): string {
  return count === 1 ? 'node' : 'nodes';
}
