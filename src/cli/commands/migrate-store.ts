import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../../clock.js';
import { openDatabase } from '../../store/database.js';
import { InstanceLock } from '../../store/instance-lock.js';
import { postgresConnection } from '../../store/open.js';
import { copySqliteToPostgres, StoreCopyError, type CopyReport } from '../../store/postgres/copy-from-sqlite.js';
import { PostgresStore } from '../../store/postgres/store.js';
import { CliError, EXIT, table } from '../api-client.js';

export const MIGRATE_STORE_HELP = `Usage: priscan migrate-store --from sqlite:PATH --to postgres:URL [--force]

Copies a SQLite store (priscan.db in a data directory) into PostgreSQL, for collectors that
share one database: devices, alarms (active ones, and the event log with its ids), reading
history, API tokens, licenses, partners, the audit log, registrations, thresholds, maintenance
windows, the webhook queue and settings. One transaction on the target: the ids are kept and
the id counters continue after them, then each table's rows are counted on both sides and
printed; on any difference nothing is kept.

  --from sqlite:PATH     the SQLite file, e.g. sqlite:/var/lib/priscan/priscan.db. Stop priscan
                         serve first: its data directory is locked for the copy. The file must be
                         at this priscan's schema (start priscan serve on it once after an upgrade).
  --to postgres:URL      e.g. postgres:postgres://priscan@db.example.net/priscan; the password in
                         the URL or in PGPASSWORD. The store's tables are created if need be.
  --force                empty a target that holds anything first (otherwise it is refused)
  --timeout-ms N         each statement's limit (default 60000)

Then set store.postgres in the config of every collector (config/priscan.example.yaml).
Exit codes: 0 copied and verified, 1 refused or rows differ (nothing kept), 2 usage.
`;

const DEFAULT_TIMEOUT_MS = 60_000;

export function migrateStoreCommand(args: string[], out: NodeJS.WritableStream): number {
  const { values } = parseArgs({
    args,
    options: { from: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    out.write(MIGRATE_STORE_HELP);
    return EXIT.ok;
  }
  const path = prefixed(values.from, 'sqlite:', '--from');
  const url = prefixed(values.to, 'postgres:', '--to');
  const timeoutMs = values['timeout-ms'] === undefined ? DEFAULT_TIMEOUT_MS : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new CliError('--timeout-ms must be a whole number of milliseconds, at least 100', EXIT.usage);
  let target: ReturnType<typeof postgresConnection>;
  try {
    target = postgresConnection({ url, timeoutMs });
  } catch {
    // Never the URL itself: it may hold a password.
    throw new CliError('--to needs postgres:URL with a URL such as postgres://priscan@db.example.net/priscan', EXIT.usage);
  }

  const lock = InstanceLock.acquire(dirname(path), { command: 'priscan migrate-store', now: () => systemClock.now() });
  try {
    const source = openDatabase(path, { readOnly: true });
    try {
      const store = PostgresStore.open(systemClock, { ...target, timeoutMs });
      try {
        const report = copySqliteToPostgres({ source, target: store.bridge, replace: values.force === true });
        out.write(counts(report));
        out.write(`copied from ${path} to ${target.location}; new event ids start at ${report.nextEventId}\n`);
        return EXIT.ok;
      } finally {
        store.close();
      }
    } finally {
      source.close();
    }
  } catch (error) {
    if (error instanceof StoreCopyError && error.report) out.write(counts(error.report));
    throw new CliError(`migrate-store: ${(error as Error).message}`, EXIT.failed);
  } finally {
    lock.release();
  }
}

function prefixed(value: string | undefined, prefix: string, option: string): string {
  if (value === undefined || !value.startsWith(prefix) || value.length === prefix.length) throw new CliError(`${option} needs ${prefix}${option === '--from' ? 'PATH' : 'URL'}`, EXIT.usage);
  return value.slice(prefix.length);
}

function counts(report: CopyReport): string {
  return table(
    ['TABLE', 'SQLITE', 'POSTGRES', ''],
    report.tables.map((t) => [t.table, t.source, t.target, t.source === t.target ? 'ok' : 'DIFFERS']),
  );
}
