// priscan migrate-store: a SQLite store with something in every table is copied into a fresh
// PostgreSQL database, and the PostgreSQL store then answers every repository exactly as the
// SQLite one did; ids continue after the source's (deleted event ids included). A target that
// holds rows is refused unless --force; a copy whose counts differ keeps nothing; a SQLite
// store with a table the copy does not know is refused.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrateStoreCommand } from '../../src/cli/commands/migrate-store.js';
import { CliError } from '../../src/cli/api-client.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { SqliteStore, type Store } from '../../src/store/store.js';
import { newDevice } from '../helpers/devices.js';
import { skipWithoutPostgres, startPostgres, type PostgresCluster } from '../helpers/postgres.js';

const FILE = 'test/integration/migrate-store.test.ts';
const skip = skipWithoutPostgres(FILE);
const T0 = 1_700_000_000_000;
const clock = { now: () => T0 };

/** Something in every table, through the repositories, as a running daemon would leave it. */
function populate(store: Store, path: string): void {
  store.settings.set('notification-community', 'n0tify-community');
  const ups = store.devices.insert(newDevice({ name: 'ups-1', address: '192.0.2.1', site: 'dc1' }));
  const pdu = store.devices.insert(
    newDevice({ name: 'pdu-1', address: '2001:db8::2', snmp: { version: '3', usm: { name: 'priscan', level: 'authPriv', authProtocol: 'sha', authPassword: 'auth-secret-1', privProtocol: 'aes128', privPassword: 'priv-secret-1' }, contextName: null } }),
  );
  store.devices.recordScan(ups.id, { at: T0, durationMs: 12, ok: true, error: null });
  store.devices.recordRegistration(ups.id, { at: T0, state: 'registered', error: null });
  const alarm = (n: number) => ({ key: `ups:${n}`, severity: 'critical' as const, code: 'ups.onBattery', description: `alarm ${n}` });
  store.alarms.applyScan(ups.id, [alarm(1), alarm(2), alarm(3)], T0 + 1);
  store.alarms.applyScan(ups.id, [alarm(1), alarm(3)], T0 + 2);
  store.alarms.acknowledge({ deviceId: ups.id, key: 'ups:1', by: 'ops', at: T0 + 3, comment: 'battery test' });
  store.alarms.raise(pdu.id, alarm(9), T0 + 4);
  store.readings.record(ups.id, [{ reading: 'batteryCharge', instance: '', label: '', unit: 'percent', value: 97.5, state: null }], T0);
  store.readings.record(ups.id, [{ reading: 'batteryCharge', instance: '', label: '', unit: 'percent', value: 80.25, state: null }], T0 + 60_000);
  const acme = store.partners.create({ partnerId: 'ACME', name: 'Acme', administrator: false, deviceData: true, scope: { kind: 'sites', sites: ['dc1', 'dc2'] } });
  store.tokens.insert({ name: 'ops', role: 'admin', prefix: 'psk_AAAAAAAA', hash: createHash('sha256').update('ops').digest(), expiresAt: T0 + 86_400_000 });
  store.tokens.insert({ name: 'acme-wall', role: 'partner', prefix: 'psk_BBBBBBBB', hash: createHash('sha256').update('acme').digest(), partner: acme.id });
  store.tokens.touch(1, 0);
  store.licenses.add({ key: 'KEY-TEXT-1', fingerprint: 'ab12cd34', serial: 0xfedcba98, nodes: 25, edition: 'standard', issueDay: 19_800, mac: 'aa:bb:cc:00:11:22' });
  store.audit.append({ at: T0, actorKind: 'partner', actorToken: 'acme-wall', partner: acme.id, partnerId: 'ACME', action: 'GET /api/v1/devices', target: '/api/v1/devices', status: 200, detail: null });
  store.registrations.add({ kind: 'registration', systemId: 'SYS1', number: 7, integrator: 'Integrator', owner: 'Owner', previousSystemId: null, issueDay: 19_800, code: 'REG-CODE-1' });
  store.thresholds.insert({ scope: 'device', deviceId: ups.id, reading: 'batteryCharge', level: 'warning', below: 50, hysteresis: 2.5 });
  store.maintenance.create({ startsAt: T0, endsAt: T0 + 3_600_000, reason: 'battery swap', scope: { kind: 'devices', deviceIds: [ups.id, pdu.id] }, createdBy: 'ops', createdAt: T0 });
  store.webhookQueue.enqueue([{ webhook: 'noc', deliveryId: 'd-1', kind: 'raise', body: '{"x":1}', createdAt: T0 }], () => 100);
  // The newest event deleted: its id must not be given out again in PostgreSQL either.
  const raw = new Database(path);
  raw.prepare('DELETE FROM events WHERE id = (SELECT max(id) FROM events)').run();
  raw.close();
}

/** Everything the repositories answer, to compare a store with its copy. */
function everything(store: Store): Record<string, unknown> {
  return {
    setting: store.settings.get('notification-community'),
    devices: store.devices.list(),
    active: store.alarms.active(),
    events: store.alarms.events(0, 1000),
    lastEventId: store.alarms.lastEventId(),
    readings: store.readings.last(1),
    history: store.readings.history({ deviceId: 1, reading: 'batteryCharge', instance: '', since: 0, until: T0 * 2, limit: 100 }),
    tokens: store.tokens.list(),
    byHash: store.tokens.findByHash(createHash('sha256').update('acme').digest()),
    partners: store.partners.list(),
    licenses: store.licenses.keys(),
    audit: store.audit.list({ after: 0, limit: 100 }),
    registrations: store.registrations.list(),
    thresholds: store.thresholds.list(),
    maintenance: store.maintenance.list({ now: T0, limit: 10 }),
    queue: [store.webhookQueue.pending(), store.webhookQueue.oldest('noc')],
  };
}

describe.skipIf(skip)('priscan migrate-store', () => {
  let postgres: PostgresCluster;
  let dir: string;
  let path: string;
  let url: string;
  const opened: Store[] = [];

  beforeAll(async () => {
    postgres = await startPostgres({ preferredPort: 25465 });
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'priscan-migrate-'));
    path = join(dir, 'priscan.db');
    const connection = await postgres.createDatabase();
    url = `postgres://${connection.user}@${connection.host}:${connection.port}/${connection.database}`;
  });

  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const openSqlite = () => {
    const store = SqliteStore.open(path, clock);
    opened.push(store);
    return store;
  };
  const openPostgres = () => {
    const store = PostgresStore.open(clock, { connection: { connectionString: url }, location: 'target' });
    opened.push(store);
    return store;
  };

  /** Runs the command as the CLI does: its output, and its exit code or the error it ends with. */
  function migrate(...extra: string[]): { code: number | undefined; error: CliError | undefined; output: string } {
    let output = '';
    const out = new Writable({ write: (chunk: Buffer, _encoding, done) => ((output += chunk.toString()), done()) });
    try {
      return { code: migrateStoreCommand(['--from', `sqlite:${path}`, '--to', `postgres:${url}`, ...extra], out), error: undefined, output };
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      return { code: undefined, error, output };
    }
  }

  it('copies every table, so the PostgreSQL store answers as the SQLite one did, and ids continue after the source', () => {
    const sqlite = openSqlite();
    populate(sqlite, path);
    const before = everything(sqlite);
    sqlite.close();

    const { code, output } = migrate();
    expect(code).toBe(0);
    expect(output).toMatch(/^TABLE\s+SQLITE\s+POSTGRES/);
    for (const [table, n] of [['devices', 2], ['events', 5], ['alarms_active', 3], ['reading_points', 2], ['api_tokens', 2], ['partner_sites', 2], ['maintenance_devices', 2]] as const) {
      expect(output).toMatch(new RegExp(`^${table}\\s+${n}\\s+${n}\\s+ok$`, 'm'));
    }
    expect(output).not.toContain('DIFFERS');
    expect(output).toContain('new event ids start at 7');

    const copy = openPostgres();
    expect(everything(copy)).toEqual(before);
    // Ids go on after the source's: a deleted event's id is not given again, nor a device's.
    expect(copy.alarms.raise(2, { key: 'pdu:new', severity: 'warning', code: 'pdu.x', description: 'new' }, T0 + 5)?.id).toBe(7);
    expect(copy.devices.insert(newDevice({ name: 'ups-3', address: '192.0.2.3' })).id).toBe(3);
    expect(copy.partners.create({ partnerId: 'NEXT', name: 'Next', administrator: false, deviceData: false, scope: { kind: 'all' } }).id).toBe(2);
  });

  it('copies a shadow whose lead was added after it, the lead in a later batch, as it was', () => {
    const sqlite = openSqlite();
    const first = sqlite.devices.insert(newDevice({ name: 'pdu-a', address: '192.0.2.10', chainPosition: 1 }));
    const shadow = sqlite.devices.insert(newDevice({ name: 'pdu-a2', address: '192.0.2.10', priorityScanning: false, leadId: first.id, chainPosition: 2 }));
    // More devices than one INSERT of the copy carries (its foreign keys are checked per INSERT).
    for (let n = 0; n < 900; n++) sqlite.devices.insert(newDevice({ name: `ups-${n}`, address: `10.1.${Math.floor(n / 250)}.${(n % 250) + 1}` }));
    const later = sqlite.devices.insert(newDevice({ name: 'pdu-b', address: '192.0.2.20', chainPosition: 1 }));
    sqlite.devices.update(shadow.id, { leadId: later.id, address: '192.0.2.20' });
    const before = sqlite.devices.list();
    sqlite.close();

    const { code, error } = migrate();
    expect(error?.message).toBeUndefined();
    expect(code).toBe(0);
    const copy = openPostgres();
    expect(copy.devices.list()).toEqual(before);
    expect(copy.devices.shadowsOf(later.id).map((d) => d.name)).toEqual(['pdu-a2']);
    expect(() => copy.removeDevice(later.id, { reason: 'device removed', at: T0 })).toThrow(/FOREIGN KEY/);
  });

  it('refuses a target that holds anything, unless --force, which replaces it', () => {
    populate(openSqlite(), path);
    const target = openPostgres();
    target.devices.insert(newDevice({ name: 'already-there', address: '192.0.2.99' }));
    target.close();

    const refused = migrate();
    expect(refused.error?.message).toMatch(/the target already holds 1 devices: migrate-store copies into an empty store \(--force/);
    const forced = migrate('--force');
    expect(forced.code).toBe(0);
    expect(openPostgres().devices.list().map((d) => d.name)).toEqual(['ups-1', 'pdu-1']);
  });

  it('keeps nothing when a table\'s rows differ after the copy, and says which', async () => {
    populate(openSqlite(), path);
    openPostgres().close();
    // A target that loses rows as they arrive: what the verification is for.
    await postgres.superuser(
      `CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
       CREATE TRIGGER lose_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION drop_row();`,
      [],
      new URL(url).pathname.slice(1),
    );
    const { error, output } = migrate();
    expect(error?.message).toMatch(/rows differ in audit_log \(1 in SQLite, 0 in PostgreSQL\): nothing was kept/);
    expect(output).toMatch(/^audit_log\s+1\s+0\s+DIFFERS$/m);
    expect(openPostgres().devices.count()).toBe(0);
  });

  it('refuses a SQLite store with a table it would leave behind, and a source that is not one', () => {
    openSqlite().close();
    const raw = new Database(path);
    raw.exec('CREATE TABLE extra (x INTEGER)');
    raw.close();
    expect(migrate().error?.message).toMatch(/tables are not the ones migrate-store copies \(not copied: extra\)/);
    expect(() => migrateStoreCommand(['--from', path, '--to', `postgres:${url}`], new Writable())).toThrow(/--from needs sqlite:PATH/);
    expect(() => migrateStoreCommand(['--from', `sqlite:${path}`, '--to', 'postgres:postgres://user:hunter2@ bad host/x'], new Writable())).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});
