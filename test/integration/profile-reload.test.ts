// A vendor profile added as a file and applied without a restart: the daemon re-reads its
// profile directory, an `auto` device that no profile matched is matched by the new file and
// rescanned at once, and a bad file changes nothing. Against a recorded device on loopback.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Fleet } from '../../simulators/fleet.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/tools.js';

// This file's devices live on 127.0.210.0/24.
const PORT = 17310;
const STATE = '1.3.6.1.4.1.32473.99.3.0';
const LOAD = '1.3.6.1.4.1.32473.99.4.0';

let dir: string;
let profileDir: string;
let fleet: Fleet;
let t: TestDaemon;
let deviceId = 0;

const acme = (description: string) => ({
  name: 'acme-ups',
  description,
  match: { sysObjectId: ['1.3.6.1.4.1.32473.1.3.3'] },
  registration: 'none',
  alarms: [{ kind: 'scalar', id: 'acmeState', oid: STATE, values: { 2: { severity: 'critical', code: 'acme.fault', description: 'Acme UPS fault' } } }],
  readings: [{ id: 'load', description: 'Output load', oid: LOAD, unit: 'percent' }],
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'priscan-reload-'));
  profileDir = join(dir, 'profiles');
  const recording = join(dir, 'acme.snmprec');
  writeFileSync(recording, `1.3.6.1.2.1.1.1.0|4|Acme UPS 3000\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.32473.1.3.3\n${STATE}|2|2\n${LOAD}|66|42\n`);
  await import('node:fs').then((fs) => fs.mkdirSync(profileDir));
  fleet = new Fleet({ devices: [{ kind: 'snmprec', count: 1 }], baseAddress: '127.0.210.1', port: PORT, snmprecFile: recording });
  await fleet.start();
  t = await startTestDaemon({ profiles: { directory: profileDir } });
  const added = await t.api('POST', '/api/v1/devices', {
    name: 'acme-1', address: '127.0.210.1', port: PORT, priorityScanning: false, timeoutMs: 1000, retries: 0,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' },
  });
  deviceId = added.body.id as number;
});

afterAll(async () => {
  await t?.stop();
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const activeCodes = async () => ((await t.api('GET', `/api/v1/alarms?device=acme-1`)).body.alarms as Array<{ code: string }>).map((a) => a.code);

describe('profile files applied without a restart', () => {
  it('an unmatched device fails its scan until a profile matches it', async () => {
    await t.api('POST', `/api/v1/devices/${deviceId}/scan`);
    await until('scan failed', async () => (await activeCodes()).includes('priscan.scanFailed'));
    expect(t.running.store.devices.get(deviceId)?.state.lastError).toMatch(/no profile matches sysObjectID 1\.3\.6\.1\.4\.1\.32473\.1\.3\.3/);
  });

  it('a new file is loaded on reload, and the device is matched and rescanned at once', async () => {
    writeFileSync(join(profileDir, 'acme.yaml'), stringify(acme('Acme UPS')));
    const reload = await t.api('POST', '/api/v1/profiles/reload');
    expect(reload.status).toBe(200);
    expect(reload.body).toEqual({ added: ['acme-ups'], removed: [], changed: [], rescanned: [] });
    // The device had not resolved a profile: its next scan resolves and finds the fault.
    await t.api('POST', `/api/v1/devices/${deviceId}/scan`);
    await until('acme fault raised', async () => (await activeCodes()).includes('acme.fault'));
    expect(await activeCodes()).not.toContain('priscan.scanFailed');
    expect(t.running.store.devices.get(deviceId)?.resolvedProfile).toBe('acme-ups');
    const listed = (await t.api('GET', '/api/v1/profiles')).body.profiles as Array<{ name: string; origin: string; registration: string }>;
    expect(listed.find((p) => p.name === 'acme-ups')).toMatchObject({ origin: 'directory', registration: 'none' });
  });

  it('a changed file rescans the devices that use it', async () => {
    const scansBefore = await t.metric('priscan_scans_total', { trigger: 'manual' });
    const changed = { ...acme('Acme UPS, fault is a warning') };
    changed.alarms[0]!.values[2] = { severity: 'warning', code: 'acme.fault', description: 'Acme UPS fault' };
    writeFileSync(join(profileDir, 'acme.yaml'), stringify(changed));
    const reload = await t.api('POST', '/api/v1/profiles/reload');
    expect(reload.body).toEqual({ added: [], removed: [], changed: ['acme-ups'], rescanned: ['acme-1'] });
    await until('rescanned', async () => (await t.metric('priscan_scans_total', { trigger: 'manual' })) > scansBefore);
  });

  it('a bad file is refused with one line naming the file and key, and changes nothing', async () => {
    writeFileSync(join(profileDir, 'acme.yaml'), stringify({ ...acme('broken'), registration: 'carrier-pigeon' }));
    const reload = await t.api('POST', '/api/v1/profiles/reload');
    expect(reload.status).toBe(400);
    expect(reload.body).toMatchObject({ error: { code: 'PROFILE_INVALID', message: expect.stringMatching(/acme\.yaml: registration: /) } });
    const profile = await t.api('GET', '/api/v1/profiles/acme-ups');
    expect(profile.body).toMatchObject({ profile: { description: 'Acme UPS, fault is a warning' } });
  });
});
