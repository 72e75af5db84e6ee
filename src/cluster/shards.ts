/**
 * Devices are spread over a fixed number of virtual shards; a shard, not a device, is what a
 * collector leases. The count and the hash are part of the on-disk contract: every collector of
 * every version must put a device in the same shard, so neither may ever change.
 */
export const SHARD_COUNT = 256;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * The shard of a device: 32-bit FNV-1a over the ASCII bytes of the device id written in decimal
 * (no sign, no leading zeros), folded to 8 bits by xor-ing its four bytes. The fold, rather than
 * a bare `% 256`, because FNV-1a's low byte alone spreads sequential ids worse than chance
 * (30,000 ids: 79–144 per shard, against 90–144 folded). Spelled out rather than taken from a
 * library so it cannot change under us; the SQL function `priscan_shard_of` computes the same.
 */
export function shardOf(deviceId: number): number {
  if (!Number.isSafeInteger(deviceId) || deviceId < 0) throw new RangeError(`device id must be a non-negative integer, got ${deviceId}`);
  const hash = fnv1a32(String(deviceId));
  return ((hash >>> 24) ^ (hash >>> 16) ^ (hash >>> 8) ^ hash) & (SHARD_COUNT - 1);
}

/** 32-bit FNV-1a of an ASCII string (the bytes are its char codes). */
export function fnv1a32(ascii: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < ascii.length; i++) {
    hash ^= ascii.charCodeAt(i) & 0xff;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash;
}

/** A shard held by this collector and the epoch (fencing token) of its claim. */
export interface ShardClaim {
  shard: number;
  epoch: number;
}
