// `priscan demo` (the shipped command, child processes) beside another one: --port moves the
// simulated fleet's SNMP port and --http-port the API, so two run at once on the same addresses.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packageFile } from '../../src/cli/version.js';
import { until } from '../helpers/tools.js';

// This file's simulated devices live on 127.0.190.101 to 127.0.190.110.
const CLI = packageFile('dist/src/cli/priscan.js');
const ADDRESS = '127.0.190.101';

function demo(args: string[]) {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', CLI, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/**
 * What the README promises a newcomer, through the console's own forms with the printed token's
 * session: a standing alarm to acknowledge (the demo prints the ack), and a maintenance window.
 */
async function actAsNewcomer(consoleUrl: string, session: string, token: string, stdout: () => string): Promise<void> {
  const cookie = `priscan_session=${session}`;
  const api = async (path: string) => (await (await fetch(`${consoleUrl}api/v1/${path}`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
  expect(stdout()).toContain('standing alarms, active until the demo stops: ups-2 batteryBad');
  const standing = await until('the standing alarm of ups-2', async () => ((await api('alarms')).alarms as Array<{ device: string; deviceId: number; key: string; code: string }>).find((a) => a.device === 'ups-2' && a.code === 'ups.batteryBad'));
  const page = await (await fetch(`${consoleUrl}console/alarms`, { headers: { cookie } })).text();
  expect(page).toContain(`/console/alarms/acknowledge?device=${standing.deviceId}&amp;key=`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  const post = (path: string, fields: Record<string, string>) =>
    fetch(`${consoleUrl}console/${path}`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, ...fields }) });
  expect((await post('alarms/acknowledge', { device: String(standing.deviceId), key: standing.key, comment: 'replacement ordered' })).status).toBe(303);
  await until('the demo to print the acknowledgement', () => /ACK\s+ups-2 .*\(by demo: replacement ordered\)/.test(stdout()));
  expect((await post('maintenance', { scope: 'devices', target: 'ups-1', startsInMinutes: '0', durationMinutes: '30', reason: 'battery test' })).status).toBe(303);
  expect(((await api('maintenance?state=active')).windows as Array<{ scope: { devices: Array<{ name: string }> } }>).map((w) => w.scope.devices.map((d) => d.name))).toEqual([['ups-1']]);
}

describe('priscan demo', () => {
  it('runs beside another demo on the same addresses with its own --port and --http-port, on exactly those ports', async () => {
    const demos = [
      { snmpPort: 16192, httpPort: 17192 },
      { snmpPort: 16193, httpPort: 17193 },
    ].map((ports) => ({ ...ports, run: demo(['--address', ADDRESS, '--port', String(ports.snmpPort), '--http-port', String(ports.httpPort)]) }));
    try {
      for (const { run } of demos) {
        await until('every device registered', () => {
          if (run.child.exitCode !== null) throw new Error(`the demo exited ${run.child.exitCode}: ${run.stderr()}`);
          return run.stdout().includes('every device registered');
        }, 25_000);
      }
      for (const { run, snmpPort, httpPort } of demos) {
        expect(run.stdout()).toContain(`priscan demo: 10 simulated devices on ${ADDRESS}+ port ${snmpPort}\n`);
        expect(run.stdout()).toContain(`API: http://127.0.0.1:${httpPort}/api/v1/alarms`);
        // The console is at the printed address, and the printed token signs in to it.
        const consoleLine = /^console: (\S+)\s+sign in with the token (psk_\S+)$/m.exec(run.stdout())!;
        expect(consoleLine[1]).toBe(`http://127.0.0.1:${httpPort}/`);
        expect((await fetch(consoleLine[1]!, { redirect: 'manual' })).headers.get('location')).toBe('/console/');
        const form = await fetch(`${consoleLine[1]}console/sign-in`);
        const nonce = /priscan_signin=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1]!;
        const signedIn = await fetch(`${consoleLine[1]}console/sign-in`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: `priscan_signin=${nonce}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _signin: nonce, token: consoleLine[2]! }),
        });
        expect(signedIn.status).toBe(303);
        expect(signedIn.headers.get('set-cookie')).toMatch(/priscan_session=[\w-]{43};/);
        if (httpPort === demos[0]!.httpPort) await actAsNewcomer(consoleLine[1]!, /priscan_session=([\w-]{43})/.exec(signedIn.headers.get('set-cookie')!)![1]!, consoleLine[2]!, run.stdout);
        expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok).toBe(true);
        // Its daemon scans its own fleet: every device is at the demo's SNMP port.
        const token = /PRISCAN_TOKEN=(\S+)/.exec(run.stdout())![1]!;
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/devices`, { headers: { authorization: `Bearer ${token}` } });
        const { devices } = (await res.json()) as { devices: Array<{ port: number; state: { registration: string } }> };
        expect(devices).toHaveLength(10);
        expect(new Set(devices.map((d) => `${d.port} ${d.state.registration}`))).toEqual(new Set([`${snmpPort} registered`]));
      }
    } finally {
      for (const { run } of demos) run.child.kill('SIGINT');
    }
    for (const { run } of demos) {
      expect(await run.exited).toBe(0);
      const dataDir = /^data: (\S+) \(removed on exit\)$/m.exec(run.stdout())![1]!;
      expect(existsSync(dataDir)).toBe(false);
    }
  });

  it('refuses a bad --port, --http-port or --address, or an unknown option, with exit 2 and starts nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--port', 'x'], /--port must be a port number from 1 to 65535, got "x"/],
      [['--http-port', '70000'], /--http-port must be a port number/],
      [['--address', '10.0.0.1'], /--address: base address 10\.0\.0\.1 is not loopback/],
      [['--ports', '1'], /Unknown option '--ports'/],
    ];
    const runs = cases.map(([args]) => demo(args));
    for (const [i, run] of runs.entries()) {
      expect(await run.exited, cases[i]![0].join(' ')).toBe(2);
      expect(run.stderr()).toMatch(cases[i]![1]);
      expect(run.stdout()).toBe('');
    }
  });
});
