// What every repository needs of a backend besides its own statements: write transactions, and
// which UNIQUE constraint a failed write broke. Each backend (SQLite in src/store/database.ts,
// PostgreSQL in src/store/postgres/) provides one; the repositories' logic is written once.

/**
 * A write's fence, for cluster mode: the shard the written device belongs to and the epoch this
 * collector holds it at (src/cluster/fence.ts). The PostgreSQL backend checks it first thing in
 * the transaction (Store.writeFenced); SQLite ignores it.
 */
export interface WriteFence {
  shard: number;
  epoch: number;
}

export interface WriteOptions {
  fence?: WriteFence;
}

export interface StoreSession {
  /**
   * Runs `work` in one write transaction: committed when it returns, rolled back when it throws.
   * The write lock is taken at the start (SQLite: IMMEDIATE), so what `work` reads is what it
   * writes over. Called inside another write, it is a savepoint of that one.
   */
  write<T>(work: () => T, options?: WriteOptions): T;
  /**
   * The UNIQUE constraint a failed write broke, spelled `table.column` (e.g. `devices.name`), or
   * `index NAME` for a unique index over expressions; undefined for any other error.
   */
  uniqueViolation(error: unknown): string | undefined;
}
