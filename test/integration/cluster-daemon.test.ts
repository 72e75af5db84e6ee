// Cluster mode end to end: three `priscan serve` collectors on one throwaway PostgreSQL and a
// simulated fleet of 30 devices on loopback. Every device ends up registered to exactly one
// collector (the simulator's own registration table shows it), the one owning its shard; its
// notifications are handled by that owner. One collector is SIGKILLed in the middle of an alarm
// storm: its shards move, its devices are re-registered to their new owners (the dead one's
// registration removed), and the event log holds each device's raise and clear exactly once, as
// the simulator did them, with the active set matching the devices. A notification sent to a
// collector that does not own the device is forwarded to the owner. A collector paused (SIGSTOP)
// past its lease loses its devices to a peer, writes nothing stale once resumed, and rejoins.
// This file's addresses: 127.0.151.0/24 (collectors .11–.13, devices .101–.130).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { shardOf } from '../../src/cluster/shards.js';
import { hiddenTable } from '../../src/registration/hidden-table.js';
import { NetSnmpClientFactory } from '../../src/snmp/net-snmp-client.js';
import { CollectorSet, type Collector, registeredToOwners as registeredWhere, shardOwners, simDeviceBody } from '../helpers/cluster-daemons.js';
import { testLicenseKey } from '../helpers/daemon.js';
import { skipWithoutPostgres, startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import { until } from '../helpers/tools.js';

const FILE = 'test/integration/cluster-daemon.test.ts';
const skip = skipWithoutPostgres(FILE);
const DEVICE_PORT = 16561;
const NOTIFY_PORT = 16562;
const HTTP_PORT = 16563;
const DEVICES = 30;

describe.skipIf(skip)('three collectors on one PostgreSQL', () => {
  let postgres: PostgresCluster;
  let fleet: Fleet;
  let db: pg.Client;
  let dir = '';
  let set: CollectorSet;
  let passed = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'priscan-cluster-'));
    postgres = await startPostgres({ preferredPort: 25485 });
    const connection = await postgres.createDatabase();
    const url = `postgres://${connection.user}@${connection.host}:${connection.port}/${connection.database}`;
    db = new pg.Client(connection);
    await db.connect();
    fleet = new Fleet({ devices: [{ kind: 'sim', count: DEVICES }], baseAddress: '127.0.151.101', port: DEVICE_PORT });
    await fleet.start();
    // Short leases so the takeover fits a test; movesPerRound high so a late starter gets its share at once.
    set = new CollectorSet({ dir, url, ips: ['127.0.151.11', '127.0.151.12', '127.0.151.13'], notifyPort: NOTIFY_PORT, httpPort: HTTP_PORT, timing: 'leaseMs: 2000, renewMs: 500, joinGraceMs: 0, movesPerRound: 64, deviceSyncMs: 300' });
    set.writeConfigs();
  }, 60_000);

  afterAll(async () => {
    set?.killAll();
    // What the collectors logged, when something failed: their errors say more than a timeout.
    if (!passed && set) console.error(set.problems());
    await db?.end().catch(() => undefined);
    await fleet?.stop();
    await postgres?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const owners = () => shardOwners(db);
  const registeredToOwners = (ids: ReadonlyMap<number, string>, live: readonly string[]) => registeredWhere(db, set, fleet, ids, live, NOTIFY_PORT);
  const api = (...args: Parameters<CollectorSet['api']>) => set.api(...args);

  async function activeByDevice(): Promise<Map<number, string[]>> {
    const rows = await db.query<{ device_id: string; description: string }>('SELECT device_id, description FROM alarms_active ORDER BY device_id, description');
    const active = new Map<number, string[]>();
    for (const r of rows.rows) active.set(Number(r.device_id), [...(active.get(Number(r.device_id)) ?? []), r.description]);
    return active;
  }

  it('registers each device to its owner alone, and survives a SIGKILL mid-storm without losing or repeating a transition', async () => {
    const [c1, c2, c3] = set.collectors as [Collector, Collector, Collector];
    // One first, so its store and cluster schemas are in place; then the other two together.
    set.start(c1);
    await set.answering([c1]);
    set.createToken(c1);
    set.start(c2);
    set.start(c3);
    await set.answering([c2, c3]);

    // One license for the whole cluster, installed through c1, bound to cluster.licenseMac: every collector counts it.
    const licensed = await api(c1, 'POST', '/api/v1/licenses', { key: testLicenseKey(DEVICES) });
    expect(licensed.status, JSON.stringify(licensed.body)).toBe(201);
    const ids = new Map<number, string>();
    for (const [i, device] of fleet.devices.entries()) {
      // Added through all three APIs: each collector learns of the others' from the shared table.
      const res = await api(set.collectors[i % 3]!, 'POST', '/api/v1/devices', simDeviceBody(`sim-${i + 1}`, device.address, DEVICE_PORT));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids.set(res.body.id as number, device.address);
    }

    await until('the shards balanced over three collectors', async () => {
      const counts = new Map<string, number>();
      for (const owner of (await owners()).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
      return [...counts.values()].reduce((a, b) => a + b, 0) === 256 && counts.size === 3 && [...counts.values()].every((n) => n >= 84);
    }, 20_000);
    await until('every device registered to its owner alone', () => registeredToOwners(ids, ['c1', 'c2', 'c3']), 20_000);

    // Notifications reach the owner only (the sole registration), and it scans: with a one-hour
    // safety net, an alarm stored within seconds was found by a notification's scan.
    for (const device of fleet.devices) device.raise('fanFailure');
    await until('every fan alarm stored', async () => [...(await activeByDevice()).values()].filter((a) => a.includes('Fan failure')).length === DEVICES, 15_000);
    for (const device of fleet.devices) device.clear('fanFailure');
    await until('every fan alarm cleared', async () => (await activeByDevice()).size === 0, 15_000);

    // The storm: each device goes on battery once, at a random moment of 3 s; c2 dies after 1 s.
    const before = await owners();
    const victimDevices = [...ids.keys()].filter((id) => before.get(shardOf(id)) === 'c2');
    expect(victimDevices.length).toBeGreaterThan(0);
    const storm = fleet.devices.map(
      (device) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            device.raise('onBattery');
            resolve();
          }, Math.random() * 3000),
        ),
    );
    await new Promise((r) => setTimeout(r, 1000));
    const killedAt = Date.now();
    c2.child!.kill('SIGKILL');
    await Promise.all(storm);

    await until('c1 and c3 hold every shard', async () => {
      const own = await owners();
      return own.size === 256 && [...own.values()].every((o) => o !== 'c2');
    }, 15_000);
    const takeoverMs = Date.now() - killedAt;
    await until("c2's devices re-registered to their new owners, its registration gone", () => registeredToOwners(ids, ['c1', 'c3']), 15_000);
    await until('every on-battery alarm stored', async () => [...(await activeByDevice()).values()].filter((a) => a.includes('UPS on battery')).length === DEVICES, 15_000);
    const registeredMs = Date.now() - killedAt;
    for (const device of fleet.devices) device.clear('onBattery');
    await until('every on-battery alarm cleared', async () => (await activeByDevice()).size === 0, 15_000);

    // The event log against the simulator's truth: per device, the fan alarm and the battery
    // alarm each raised once and cleared once, in that order; nothing else.
    const events = await db.query<{ device_id: string; kind: string; description: string }>('SELECT device_id, kind, description FROM events ORDER BY id');
    for (const id of ids.keys()) {
      const mine = events.rows.filter((e) => Number(e.device_id) === id).map((e) => `${e.kind} ${e.description}`);
      expect(mine, `device ${id}${victimDevices.includes(id) ? ' (owned by the killed collector)' : ''}`).toEqual(['raise Fan failure', 'clear Fan failure', 'raise UPS on battery', 'clear UPS on battery']);
    }
    // The active set matches the devices: none has an alarm, none is stored.
    expect(fleet.devices.every((d) => d.activeAlarms().length === 0)).toBe(true);
    expect((await activeByDevice()).size).toBe(0);

    // A notification that reaches a collector not owning the device is forwarded to the owner:
    // one device registered to c3 alone while c1 owns it (the safety net is an hour away, so
    // only the forwarded notification can get its alarm stored).
    const own = await owners();
    const [, address] = [...ids].find(([id]) => own.get(shardOf(id)) === 'c1')!;
    const community = (await db.query<{ value: string }>("SELECT value FROM settings WHERE key = 'notification-community'")).rows[0]!.value;
    const client = new NetSnmpClientFactory().open({ version: '2c', community: 'private', address, port: DEVICE_PORT, timeoutMs: 1000, retries: 1 });
    try {
      await hiddenTable.remove(client, { address: c1.ip, port: NOTIFY_PORT, community });
      await hiddenTable.ensure(client, { address: c3.ip, port: NOTIFY_PORT, community });
    } finally {
      client.close();
    }
    const device = fleet.devices.find((d) => d.address === address)!;
    expect(device.status().managers.map((m) => m.address)).toEqual([c3.ip]);
    device.raise('doorOpen');
    await until('the door alarm stored through c3 forwarding to c1', async () => [...(await activeByDevice()).values()].some((a) => a.includes('Rack door open')), 10_000);

    // SIGSTOP c3 past its lease, then SIGCONT: meanwhile c1 takes its shards, re-registers its
    // devices and stores their alarms; awake, c3 writes nothing stale and rejoins cleanly.
    const forwardedVia = address;
    const others = new Map([...ids].filter(([, a]) => a !== forwardedVia));
    const beforePause = await owners();
    const c3Devices = [...others].filter(([id]) => beforePause.get(shardOf(id)) === 'c3');
    expect(c3Devices.length).toBeGreaterThan(0);
    const c3Sims = c3Devices.map(([, a]) => fleet.devices.find((d) => d.address === a)!);
    c3.child!.kill('SIGSTOP');
    try {
      // Sent to c3 while it sleeps: the datagrams wait in its socket buffer.
      for (const sim of c3Sims) sim.raise('tempHigh');
      await until('c1 holds every shard while c3 sleeps', async () => [...(await owners()).values()].every((o) => o === 'c1') && (await owners()).size === 256, 15_000);
      await until("c3's devices re-registered to c1", () => registeredToOwners(others, ['c1']), 15_000);
      await until('their temperature alarms stored by c1', async () => [...(await activeByDevice()).values()].filter((a) => a.includes('Temperature too high')).length === c3Sims.length, 15_000);
      for (const sim of c3Sims) sim.clear('tempHigh');
      await until('and cleared', async () => ![...(await activeByDevice()).values()].some((a) => a.includes('Temperature too high')), 15_000);
    } finally {
      c3.child!.kill('SIGCONT');
    }
    await until('c3 back, the shards shared by c1 and c3', async () => new Set((await owners()).values()).size === 2, 15_000);
    await until('every device registered to its owner alone again', () => registeredToOwners(others, ['c1', 'c3']), 15_000);
    const afterPause = await db.query<{ device_id: string; kind: string }>("SELECT device_id, kind FROM events WHERE description = 'Temperature too high' ORDER BY id");
    for (const [id] of c3Devices) expect(afterPause.rows.filter((e) => Number(e.device_id) === id).map((e) => e.kind), `device ${id}, owned by c3 before its pause`).toEqual(['raise', 'clear']);
    expect([...(await activeByDevice()).values()].flat().filter((d) => d !== 'Rack door open')).toEqual([]);

    // A device removed through a collector that does not own it loses its owner's registration too.
    const finalOwners = await owners();
    const [removedId, removedAddress] = [...others].find(([id]) => finalOwners.get(shardOf(id)) === 'c1')!;
    expect((await api(c3, 'DELETE', `/api/v1/devices/${removedId}`)).status).toBeLessThan(300);
    expect(fleet.devices.find((d) => d.address === removedAddress)!.status().managers).toEqual([]);
    passed = true;
    console.info(`${FILE}: SIGKILL -> survivors hold all shards in ${takeoverMs} ms; -> every storm alarm stored and devices re-registered in ${registeredMs} ms (lease 2 s, renew 0.5 s; ${victimDevices.length} devices moved)`);
  }, 120_000);
});
