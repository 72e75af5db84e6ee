/**
 * The cluster's tables in PostgreSQL, versioned like the SQLite store's schema: migration i
 * (0-based) brings the `cluster` component to version i + 1; applied at start, in one
 * transaction, under an advisory lock so collectors starting together apply each step once; a
 * database written by a newer priscan is refused untouched. Never edit a shipped entry: append.
 * Literals (256 shards, the hash) are spelled out: a migration is frozen history.
 */
import type pg from 'pg';
import { ClusterError } from './errors.js';

export const CLUSTER_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE collector (
    id          text PRIMARY KEY,
    notify_addr text NOT NULL,
    api_addr    text NOT NULL,
    -- when this incarnation joined, on the database's clock: a joiner's grace period counts from here
    started_at  timestamptz NOT NULL,
    lease_until timestamptz NOT NULL
  );

  -- One row per virtual shard, for ever. A release only ends the lease (lease_until = now()):
  -- the owner stays recorded, so others know it was handed over by a live peer, not orphaned.
  CREATE TABLE shard_lease (
    shard       smallint PRIMARY KEY CHECK (shard BETWEEN 0 AND 255),
    -- no foreign key: a lease outlives the row of the collector that held it
    owner       text,
    -- the fencing token: every claim increments it; writes carry the epoch they were made under
    epoch       bigint NOT NULL DEFAULT 0,
    lease_until timestamptz NOT NULL DEFAULT '-infinity'
  );
  INSERT INTO shard_lease (shard) SELECT generate_series(0, 255);

  -- Notifications a collector received for a device it does not own, until the owner takes them.
  CREATE TABLE inbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id   bigint NOT NULL,
    shard       smallint NOT NULL CHECK (shard BETWEEN 0 AND 255),
    payload     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    received_by text NOT NULL
  );
  CREATE INDEX inbox_by_shard ON inbox (shard, id);

  -- The same as shardOf() in src/cluster/shards.ts: FNV-1a (32-bit) of the decimal id, folded to 8 bits.
  CREATE FUNCTION priscan_shard_of(device_id bigint) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE STRICT AS $$
  DECLARE
    digits text := device_id::text;
    hash bigint := 2166136261;
  BEGIN
    IF device_id < 0 THEN
      RAISE EXCEPTION 'device id must be non-negative, got %', device_id;
    END IF;
    FOR i IN 1 .. length(digits) LOOP
      hash := ((hash # ascii(substr(digits, i, 1))) * 16777619) & 4294967295;
    END LOOP;
    RETURN (((hash >> 24) # (hash >> 16) # (hash >> 8) # hash) & 255)::integer;
  END $$;

  -- The fence: call inside any transaction that writes a shard's state, before the write. It
  -- raises PRF01 unless the shard is still at the writer's epoch with a lease not yet lapsed, and
  -- holds a share lock on the lease until commit, so no claim (FOR UPDATE) can slip in between.
  CREATE FUNCTION priscan_assert_shard_epoch(p_shard integer, p_epoch bigint) RETURNS void
  LANGUAGE plpgsql AS $$
  DECLARE
    lease shard_lease%ROWTYPE;
  BEGIN
    SELECT * INTO lease FROM shard_lease WHERE shard = p_shard FOR SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'PRF01', MESSAGE = format('shard %s does not exist', p_shard);
    END IF;
    IF lease.epoch <> p_epoch OR lease.lease_until <= clock_timestamp() THEN
      RAISE EXCEPTION USING ERRCODE = 'PRF01', MESSAGE = format(
        'shard %s is fenced: the write holds epoch %s, the shard is at epoch %s (owner %s, lease %s)',
        p_shard, p_epoch, lease.epoch, coalesce(lease.owner, 'none'),
        CASE WHEN lease.lease_until <= clock_timestamp() THEN 'lapsed' ELSE 'valid' END);
    END IF;
  END $$;
  `,
];

const COMPONENT = 'cluster';
/** pg_advisory_xact_lock key for schema changes by any priscan component ('pris' in ASCII). */
const SCHEMA_LOCK_KEY = 0x70726973;

export interface SchemaResult {
  from: number;
  to: number;
}

/** Brings the cluster tables up to date; refuses, changing nothing, when the database is newer. */
export async function applyClusterSchema(client: pg.ClientBase, migrations: readonly string[] = CLUSTER_MIGRATIONS): Promise<SchemaResult> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    await client.query('CREATE TABLE IF NOT EXISTS priscan_schema (component text PRIMARY KEY, version integer NOT NULL)');
    const found = await client.query<{ version: number }>('SELECT version FROM priscan_schema WHERE component = $1', [COMPONENT]);
    const from = found.rows[0]?.version ?? 0;
    if (from > migrations.length) {
      throw new ClusterError(
        'CLUSTER_SCHEMA_NEWER',
        `the database's cluster schema is version ${from}, but this priscan knows versions up to ${migrations.length}; ` +
          'it was written by a newer priscan: upgrade this collector',
      );
    }
    for (let version = from + 1; version <= migrations.length; version++) {
      try {
        await client.query(migrations[version - 1] as string);
      } catch (error) {
        throw new Error(`cluster schema migration to version ${version} failed: ${(error as Error).message}`, { cause: error });
      }
    }
    await client.query('INSERT INTO priscan_schema (component, version) VALUES ($1, $2) ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version', [COMPONENT, Math.max(from, migrations.length)]);
    await client.query('COMMIT');
    return { from, to: Math.max(from, migrations.length) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
