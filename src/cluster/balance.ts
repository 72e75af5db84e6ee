/**
 * How many shards a collector should give up or take in one round: a pure function of what
 * the database showed at the start of the round, so every collector reasons the same way.
 *
 * - Targets: live collectors sorted by id; each gets floor(256 / N), the first 256 mod N one
 *   more, so targets add up to exactly 256 (3 collectors: 86, 85, 85).
 * - Orphaned shards (never owned, owner dead, or recorded as ours from an earlier life) are
 *   claimed at once, up to the target: a dead collector's devices must not wait.
 * - Shards of live peers move only slowly: an overloaded collector releases at most
 *   `movesPerRound` per round, only for peers past their join grace that are at least
 *   `hysteresis` below target, and only what those peers cannot already find free. A collector
 *   takes released shards only once past its own grace, and at most `movesPerRound` per round.
 *   Releases never take a collector below its target, so nothing moves back and forth.
 */

export interface CollectorLoad {
  id: string;
  /** Valid leases it holds now. */
  owned: number;
  /** Past its join grace period. */
  settled: boolean;
}

export interface BalanceInput {
  me: string;
  shardCount: number;
  /** Live collectors, this one included. */
  collectors: readonly CollectorLoad[];
  /** Free shards whose owner is gone (or none, or us): claimable at once. */
  freeOrphaned: number;
  /** Free shards a live peer released: claimable slowly. */
  freeReleased: number;
  movesPerRound: number;
  hysteresis: number;
}

export interface BalancePlan {
  target: number;
  release: number;
  claimOrphaned: number;
  claimReleased: number;
}

/** Each live collector's target, by id: they add up to `shardCount`. */
export function shardTargets(ids: readonly string[], shardCount: number): Map<string, number> {
  const sorted = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const base = Math.floor(shardCount / sorted.length);
  const extra = shardCount % sorted.length;
  return new Map(sorted.map((id, rank) => [id, base + (rank < extra ? 1 : 0)]));
}

export function planBalance(input: BalanceInput): BalancePlan {
  const collectors = input.collectors.some((c) => c.id === input.me) ? input.collectors : [...input.collectors, { id: input.me, owned: 0, settled: false }];
  const targets = shardTargets(
    collectors.map((c) => c.id),
    input.shardCount,
  );
  const me = collectors.find((c) => c.id === input.me) as CollectorLoad;
  const target = targets.get(me.id) as number;
  const plan: BalancePlan = { target, release: 0, claimOrphaned: 0, claimReleased: 0 };

  let room = target - me.owned;
  if (room > 0) {
    plan.claimOrphaned = Math.min(room, input.freeOrphaned);
    room -= plan.claimOrphaned;
    if (me.settled && target - me.owned >= input.hysteresis) plan.claimReleased = Math.min(room, input.freeReleased, input.movesPerRound);
    return plan;
  }

  const excess = me.owned - target;
  if (excess <= 0) return plan;
  const deficits = collectors.filter((c) => c.id !== me.id && c.settled).map((c) => Math.max(0, (targets.get(c.id) as number) - c.owned));
  if (Math.max(0, ...deficits) < input.hysteresis) return plan;
  const unmet = deficits.reduce((sum, d) => sum + d, 0) - input.freeOrphaned - input.freeReleased;
  plan.release = Math.max(0, Math.min(input.movesPerRound, excess, unmet));
  return plan;
}
