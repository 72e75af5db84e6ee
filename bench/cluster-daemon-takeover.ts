// Failover of whole daemons in cluster mode with the default lease (10 s) and renewal (3 s): three
// `priscan serve` collectors on a throwaway PostgreSQL, 60 simulated devices on loopback. Each run
// SIGKILLs one collector, raises an alarm on each of its devices at once, and times until
// (a) the survivors hold all its shards, (b) each of its devices is registered to its new owner
// alone, (c) each one's alarm is stored (scanned by the new owner). The killed collector is then
// restarted under its id and the cluster rebalanced before the next run. Only the balancing of
// a (re)starting collector is sped up (joinGraceMs 0, movesPerRound 64); the lease timing that
// decides failover is the default.
// Usage: node dist/bench/cluster-daemon-takeover.js [--runs N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Fleet } from '../simulators/fleet.js';
import { shardOf } from '../src/cluster/shards.js';
import { CollectorSet, registeredToOwners, shardOwners, simDeviceBody } from '../test/helpers/cluster-daemons.js';
import { testLicenseKey } from '../test/helpers/daemon.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { until } from '../test/helpers/tools.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);
const DEVICES = 60;
const DEVICE_PORT = 16571;
const NOTIFY_PORT = 16572;
const HTTP_PORT = 16573;

const dir = mkdtempSync(join(tmpdir(), 'priscan-cluster-bench-'));
const postgres = await startPostgres({ preferredPort: 25495 });
const connection = await postgres.createDatabase();
const db = new pg.Client(connection);
await db.connect();
const fleet = new Fleet({ devices: [{ kind: 'sim', count: DEVICES }], baseAddress: '127.0.151.141', port: DEVICE_PORT });
await fleet.start();
const set = new CollectorSet({
  dir,
  url: `postgres://${connection.user}@${connection.host}:${connection.port}/${connection.database}`,
  ips: ['127.0.151.21', '127.0.151.22', '127.0.151.23'],
  notifyPort: NOTIFY_PORT,
  httpPort: HTTP_PORT,
  timing: 'joinGraceMs: 0, movesPerRound: 64',
});
process.once('exit', () => set.killAll());

async function active(description: string): Promise<Set<number>> {
  const rows = await db.query<{ device_id: string }>('SELECT device_id FROM alarms_active WHERE description = $1', [description]);
  return new Set(rows.rows.map((r) => Number(r.device_id)));
}

async function balanced(live: readonly string[]): Promise<boolean> {
  const counts = new Map<string, number>();
  for (const owner of (await shardOwners(db)).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return live.every((id) => (counts.get(id) ?? 0) >= Math.floor(256 / live.length) - 2);
}

const results: Array<{ victim: string; devices: number; shardsMs: number; registeredMs: number; storedMs: number }> = [];
try {
  set.writeConfigs();
  const [first, ...rest] = set.collectors;
  set.start(first!);
  await set.answering([first!], 30_000);
  set.createToken(first!);
  for (const c of rest) set.start(c);
  await set.answering(rest, 30_000);
  await set.api(first!, 'POST', '/api/v1/licenses', { key: testLicenseKey(DEVICES) });
  const ids = new Map<number, string>();
  for (const [i, device] of fleet.devices.entries()) {
    const res = await set.api(first!, 'POST', '/api/v1/devices', simDeviceBody(`sim-${i + 1}`, device.address, DEVICE_PORT));
    if (res.status !== 201) throw new Error(`adding a device: ${JSON.stringify(res.body)}`);
    ids.set(res.body.id as number, device.address);
  }
  const all = set.collectors.map((c) => c.id);
  await until('balanced', () => balanced(all), 120_000);
  await until('every device registered to its owner', () => registeredToOwners(db, set, fleet, ids, all, NOTIFY_PORT), 60_000);

  for (let run = 0; run < RUNS; run++) {
    const victim = set.collectors[run % set.collectors.length]!;
    const survivors = all.filter((id) => id !== victim.id);
    const before = await shardOwners(db);
    const moved = new Map([...ids].filter(([id]) => before.get(shardOf(id)) === victim.id));
    const sims = [...moved.values()].map((address) => fleet.devices.find((d) => d.address === address)!);
    const killedAt = Date.now();
    victim.child!.kill('SIGKILL');
    for (const sim of sims) sim.raise('onBattery');
    let shardsMs = 0;
    let registeredMs = 0;
    let storedMs = 0;
    await until('the takeover', async () => {
      const now = Date.now() - killedAt;
      if (!shardsMs && [...(await shardOwners(db)).values()].every((o) => o !== victim.id) && (await shardOwners(db)).size === 256) shardsMs = now;
      if (!registeredMs && (await registeredToOwners(db, set, fleet, moved, survivors, NOTIFY_PORT))) registeredMs = now;
      if (!storedMs) {
        const stored = await active('UPS on battery');
        if ([...moved.keys()].every((id) => stored.has(id))) storedMs = now;
      }
      return shardsMs && registeredMs && storedMs;
    }, 60_000);
    results.push({ victim: victim.id, devices: moved.size, shardsMs, registeredMs, storedMs });
    console.log(JSON.stringify(results.at(-1)));
    for (const sim of sims) sim.clear('onBattery');
    await until('cleared', async () => (await active('UPS on battery')).size === 0, 30_000);
    set.start(victim);
    await set.answering([victim], 30_000);
    await until('rebalanced', () => balanced(all), 120_000);
    await until('every device registered to its owner again', () => registeredToOwners(db, set, fleet, ids, all, NOTIFY_PORT), 60_000);
  }
} finally {
  set.killAll();
  await db.end().catch(() => undefined);
  await fleet.stop();
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}

const stats = (key: 'shardsMs' | 'registeredMs' | 'storedMs') => {
  const sorted = results.map((r) => r[key]).sort((a, b) => a - b);
  return `${(sorted[0]! / 1000).toFixed(1)}–${(sorted.at(-1)! / 1000).toFixed(1)} s, median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(1)} s`;
};
console.log(`\n${RUNS} runs, ${DEVICES} devices, lease 10 s, renewal 3 s (defaults)`);
console.log(`| SIGKILL → survivors hold all its shards | ${stats('shardsMs')} |`);
console.log(`| → each of its devices registered to its new owner alone | ${stats('registeredMs')} |`);
console.log(`| → an alarm raised at the kill stored for each (scanned by the new owner) | ${stats('storedMs')} |`);
