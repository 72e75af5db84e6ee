// The operator console in a real browser: Debian's chromium driven by playwright-core, against a
// daemon, a real Alertmanager and a simulated fleet on loopback. Sign in with a token, watch an
// alarm a simulated device raises appear without a reload, acknowledge it from one page and see
// another page mark it live, open a device's page and its readings chart, start a maintenance
// window and see that Alertmanager hears nothing of the alarm raised in it. Screenshots of the main
// pages go to test-results/console/ (git-ignored); PRISCAN_README_SCREENSHOT=1 also rewrites
// docs/console.png.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { packageFile } from '../../src/cli/version.js';
import { alertmanagerBinary, TestAlertmanager } from '../helpers/alertmanager.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until, warnSkipped } from '../helpers/tools.js';

const FILE = 'test/e2e/console.test.ts';
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const available = existsSync(CHROMIUM);
if (!available) console.warn(`${FILE}: SKIPPED: needs ${CHROMIUM}, which is not installed (Debian: apt-get install chromium).`);
if (available && !alertmanagerBinary) warnSkipped(`${FILE} (the Alertmanager check of the maintenance step)`, 'prometheus-alertmanager', 'prometheus-alertmanager');

// This file's simulated devices live on 127.0.240.1 to 127.0.240.5.
const BASE = '127.0.240.1';
const PORT = 16241;
const SHOTS = packageFile('test-results/console');
const KINDS = ['ups', 'netbotz', 'pdu', 'sim', 'apc-ups'] as const;

let am: TestAlertmanager | undefined;
let t: TestDaemon;
let fleet: Fleet;
let context: BrowserContext;
let page: Page;
let profileDir: string;
const ids = new Map<string, number>();
const device = (name: string) => fleet.devices[KINDS.indexOf(name.replace(/-1$/, '') as (typeof KINDS)[number])]!;
const url = (path: string) => `${t.running.httpUrl}${path}`;

async function shot(name: string, on: Page = page): Promise<void> {
  await on.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Resolves once the page's event stream is open: a raise after that reaches it. */
async function live(on: Page = page): Promise<void> {
  await on.waitForSelector('[data-live-status].live', { timeout: 5000 });
}

const rowOf = (name: string) => `tr[data-alarm^="${ids.get(name)}/"]`;
const alertsOf = async (name: string) => (await am!.activeAlerts()).filter((a) => a.labels.device === name);

describe.skipIf(!available)('the console in a real browser', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    am = alertmanagerBinary ? await TestAlertmanager.start() : undefined;
    // History points 1 s apart at most, so a device's chart has two points within the test.
    t = await startTestDaemon({ readings: { minPointIntervalSeconds: 1 }, ...(am ? { alertmanager: { urls: [am.url] } } : {}) });
    fleet = new Fleet({ devices: KINDS.map((kind) => ({ kind, count: 1 })), baseAddress: BASE, port: PORT, apcTrapPort: t.running.intake.port });
    await fleet.start();
    for (const [i, simulated] of fleet.devices.entries()) {
      const name = `${KINDS[i]}-1`;
      const res = await t.api('POST', '/api/v1/devices', { name, address: simulated.address, port: PORT, timeoutMs: 500, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } });
      ids.set(name, res.body.id as number);
    }
    await until('every device registered and scanned', () => t.running.store.devices.list().every((d) => d.state.registration === 'registered' && d.state.reachable), 10_000);
    profileDir = mkdtempSync(join(tmpdir(), 'priscan-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 } });
    page = context.pages()[0] ?? (await context.newPage());
  });

  afterAll(async () => {
    await context?.close();
    await fleet?.stop();
    await t?.stop();
    await am?.dispose();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('signs in with a token and lands on the overview', async () => {
    await page.goto(url('/'));
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await shot('sign-in');
    await page.fill('#token', t.adminToken);
    await page.click('button[type=submit]');
    await page.waitForURL('**/console/');
    expect(await page.textContent('h1')).toBe('Overview');
    await shot('overview');
  });

  it('shows an alarm a simulated device raises without a reload', async () => {
    await page.goto(url('/console/alarms'));
    await live();
    // Set on this document: still there after the row appears means the page was never reloaded.
    await page.evaluate('window.sameDocument = true');
    device('ups-1').raise('onBattery');
    const row = await page.waitForSelector(rowOf('ups-1'), { timeout: 5000 });
    expect(await row.textContent()).toContain('ups-1');
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    // More devices, every severity: for the screenshots.
    device('netbotz-1').raise('tempHigh');
    device('sim-1').raise('fanFailure');
    device('sim-1').raise('selfTest');
    device('pdu-1').raise('overload');
    await until('four devices with alarms shown', async () => (await page.$$eval('#alarm-table tbody tr[data-alarm]', (rows) => new Set(rows.map((r) => r.getAttribute('data-alarm')!.split('/')[0])).size)) >= 4, 5000);
    // Times are shown in the browser's zone; the UTC instant stays in the title.
    expect(await page.getAttribute(`${rowOf('ups-1')} time`, 'title')).toMatch(/ UTC$/);
  });

  it('takes a cleared alarm off the page without a reload', async () => {
    const rows = () => page.$$(rowOf('sim-1'));
    await until('both alarms of sim-1', async () => (await rows()).length === 2, 5000);
    const count = async () => Number(await page.textContent('[data-count="all"]'));
    const before = await count();
    device('sim-1').clear('selfTest');
    await until('the cleared row gone', async () => (await rows()).length === 1, 5000);
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect(await count()).toBe(before - 1);
  });

  it('filters the alarms by severity in place', async () => {
    await page.selectOption('select[name=severity]', 'critical');
    await page.waitForURL('**/console/alarms?*severity=critical*');
    await until('only critical rows', async () => {
      const rows = await page.$$eval('#alarm-table tbody tr[data-alarm] .sev', (cells) => cells.map((c) => c.textContent));
      return rows.length > 0 && rows.every((s) => s === 'critical');
    }, 5000);
  });

  it('acknowledges an alarm from one page, and another page marks it acknowledged live', async () => {
    await page.goto(url('/console/alarms'));
    await live();
    await page.evaluate('window.sameDocument = true');
    const other = await context.newPage();
    try {
      await other.goto(url('/console/alarms'));
      await other.click(`${rowOf('ups-1')} a:text("Acknowledge")`);
      await other.fill('#comment', 'battery test, on site');
      await other.click('form.stacked button[type=submit]');
      await other.waitForURL('**/console/alarms');
      expect(await other.textContent(rowOf('ups-1'))).toContain('acknowledged by test-admin');
    } finally {
      await other.close();
    }
    // The first page heard the ack on its event stream and replaced the row.
    await until('the row marked acknowledged', async () => ((await page.textContent(rowOf('ups-1'))) ?? '').includes('acknowledged by test-admin'), 5000);
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect(await page.getAttribute(`${rowOf('ups-1')} .tag-ack`, 'title')).toBe('battery test, on site');
  });

  it('opens the device page from the alarm row, live', async () => {
    await page.click(`#alarm-table a[href="/console/devices/${ids.get('ups-1')}"]`);
    await page.waitForURL(`**/console/devices/${ids.get('ups-1')}`);
    expect(await page.textContent('h1')).toBe('ups-1');
    expect(await page.textContent('#device-alarms')).toContain('onBattery');
    expect(await page.textContent('.facts')).toContain('registered');
    // The page's alarm section is live too: it is fetched again when the stream says something changed.
    await live();
    device('ups-1').raise('lowBattery');
    await until('the new alarm on the device page', async () => ((await page.textContent('#device-alarms')) ?? '').includes('lowBattery'), 5000);
    await shot('device');
  });

  it('charts a device\'s readings from their stored history', async () => {
    const id = ids.get('netbotz-1')!;
    const { readings } = t.running.store;
    const series = readings.last(id).find((r) => r.reading === 'temperature')!;
    const points = () => readings.history({ deviceId: id, reading: 'temperature', instance: series.instance, since: 0, until: Date.now() + 1, limit: 10 }) ?? [];
    if (points().length < 2) {
      // The registration's scan and the alarm's came within a second: a changed value a second on is a point.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, points().at(-1)!.at + 1000 - Date.now())));
      device('netbotz-1').setReading('tempSensorValue', 305);
      await t.api('POST', `/api/v1/devices/${id}/scan`);
      await until('a second history point', () => points().length >= 2, 5000);
    }
    await page.goto(url(`/console/devices/${id}`));
    expect(await page.textContent('#readings')).toBe('Readings');
    const chart = await page.waitForSelector('section[aria-labelledby=readings] svg.chart', { state: 'visible', timeout: 5000 });
    expect(await chart.getAttribute('aria-label')).toMatch(/^Temperature .*: \d+ points, from /);
    expect(await page.textContent('section[aria-labelledby=thresholds]')).toContain('above 27');
    await shot('device-readings');
  });

  it('starts a maintenance window from the page: the alarm raised in it is marked, and Alertmanager hears nothing of it', async () => {
    await page.goto(url('/console/maintenance'));
    await page.fill('#target', 'apc-ups-1');
    await page.fill('#reason', 'battery replacement');
    await page.click('form.stacked button[type=submit]');
    await page.waitForURL('**/console/maintenance');
    expect(await page.textContent('table')).toContain('apc-ups-1');
    expect(await page.textContent('table')).toContain('active');
    await shot('maintenance');

    await page.goto(url('/console/alarms'));
    await live();
    device('apc-ups-1').raise('lowBattery');
    const held = await page.waitForSelector(`${rowOf('apc-ups-1')} .tag-maintenance`, { timeout: 5000 });
    expect(await held.textContent()).toBe('in maintenance');
    if (!am) return;
    // A raise after it, outside the window, reaches Alertmanager: had the held one been sent, it would be there by then.
    device('sim-1').raise('doorOpen');
    await until('the later alarm in Alertmanager', async () => (await alertsOf('sim-1')).some((a) => a.labels.code === 'sim.201') || undefined, 5000);
    expect(await alertsOf('ups-1')).not.toHaveLength(0);
    expect(await alertsOf('apc-ups-1')).toEqual([]);
  });

  it('shows the alarms page with acknowledgements and maintenance, on a wall screen and a phone', async () => {
    await page.goto(url('/console/alarms'));
    await page.waitForSelector(`${rowOf('apc-ups-1')} .tag-maintenance`, { timeout: 5000 });
    await shot('alarms');
    if (process.env.PRISCAN_README_SCREENSHOT === '1') await page.screenshot({ path: packageFile('docs/console.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(url('/console/alarms'));
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('alarms-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(url('/console/history'));
    await shot('history');
  });
});
