// SIGTERM while scans are running: intake stops, running scans finish within the deadline, the
// database closes cleanly, the ports are released, and priscan exits 0. Before that, SIGHUP
// re-reads the profile directory: a new file is applied, a bad one is refused and changes nothing.
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { packageFile } from '../../src/cli/version.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.43.0/24.
const PORT = 16189;
const NOTIFY_PORT = 16190;
const HTTP_PORT = 16191;
const CLI = packageFile('dist/src/cli/priscan.js');
const SLOW_MS = 1500;

let fleet: Fleet;
let dataDir = '';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'priscan-sigterm-'));
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 3 }], baseAddress: '127.0.43.1', port: PORT });
  await fleet.start();
});

afterAll(async () => {
  await fleet?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('SIGTERM', () => {
  it('lets running scans finish, closes the database, releases its ports and exits 0', async () => {
    const config = join(dataDir, 'priscan.yaml');
    const profileDir = join(dataDir, 'profiles');
    mkdirSync(profileDir);
    const devices = fleet.devices.map((d, i) => `  - {name: sim-${i + 1}, address: ${d.address}, port: ${PORT}, timeoutMs: 3000, retries: 0, snmp: {version: 2c, readCommunity: public, writeCommunity: private}}\n`);
    writeFileSync(
      config,
      `dataDir: ${dataDir}\nmanager: {address: 127.0.0.1}\nprofiles: {directory: ${profileDir}}\nnotifications: {listen: {address: 127.0.0.1, port: ${NOTIFY_PORT}}}\n` +
        `http: {listen: {address: 127.0.0.1, port: ${HTTP_PORT}}}\nshutdown: {deadlineMs: 5000}\ndevices:\n${devices.join('')}`,
    );
    const token = (JSON.parse(spawnSync(process.execPath, [CLI, 'token', 'create', '--role', 'admin', '--name', 't', '--json', '--config', config], { encoding: 'utf8' }).stdout) as { token: string }).token;
    const child = spawn(process.execPath, [CLI, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const headers = { authorization: `Bearer ${token}` };
      await until('registered and scanned', async () => {
        const res = await fetch(`http://127.0.0.1:${HTTP_PORT}/api/v1/devices`, { headers }).catch(() => undefined);
        const body = res?.ok ? ((await res.json()) as { devices: Array<{ state: { registration: string; lastScanAt: string | null } }> }) : undefined;
        return body?.devices.length === 3 && body.devices.every((d) => d.state.registration === 'registered' && d.state.lastScanAt !== null);
      }, 15_000);
      const profileNames = async () =>
        ((await (await fetch(`http://127.0.0.1:${HTTP_PORT}/api/v1/profiles`, { headers })).json()) as { profiles: Array<{ name: string }> }).profiles.map((p) => p.name);
      const acme = 'name: acme-ups\ndescription: Acme UPS\nmatch: {sysObjectId: [1.3.6.1.4.1.99999]}\nregistration: none\n';
      writeFileSync(join(profileDir, 'acme.yaml'), acme);
      child.kill('SIGHUP');
      await until('the new profile loaded', async () => (await profileNames()).includes('acme-ups'));
      await until('the reload logged', () => /"added":\["acme-ups"\].*"msg":"profiles reloaded"/.test(out));
      writeFileSync(join(profileDir, 'acme.yaml'), `${acme}vendor: acme\n`);
      child.kill('SIGHUP');
      await until('the bad file refused', () => /acme\.yaml: \(top level\): Unrecognized key: \\"vendor\\".*"msg":"profiles not reloaded"/.test(out));
      expect(await profileNames()).toContain('acme-ups');
      // Every device answers slowly now: the scans requested next are still running at SIGTERM.
      for (const device of fleet.devices) device.setFault('slow', { delayMs: SLOW_MS });
      for (const id of [1, 2, 3]) await fetch(`http://127.0.0.1:${HTTP_PORT}/api/v1/devices/${id}/scan`, { method: 'POST', headers });
      await new Promise((r) => setTimeout(r, 200));
      const before = new Database(join(dataDir, 'priscan.db'), { readonly: true });
      const scannedBefore = (before.prepare('SELECT max(last_scan_at) AS t FROM devices').get() as { t: number }).t;
      before.close();
      const signalledAt = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const took = Date.now() - signalledAt;
      expect(took).toBeGreaterThan(SLOW_MS - 400); // it waited for the running scans
      expect(took).toBeLessThan(5000 + 2000);
      expect(out).toMatch(/"msg":"stopped"/);
      const db = new Database(join(dataDir, 'priscan.db'), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      // The scans that were running when SIGTERM came were stored before the database closed.
      expect((db.prepare('SELECT min(last_scan_at) AS t FROM devices').get() as { t: number }).t).toBeGreaterThan(scannedBefore);
      db.close();
      // Both ports are free again.
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => socket.once('error', reject).bind(NOTIFY_PORT, '127.0.0.1', () => resolve()));
      socket.close();
    } finally {
      for (const device of fleet.devices) device.setFault('none');
      child.kill('SIGKILL');
    }
  }, 40_000);
});
