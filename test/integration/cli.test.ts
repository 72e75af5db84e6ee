import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

// npm test compiles to dist/ before running vitest; the CLI is tested as shipped.
const CLI = resolve(import.meta.dirname, '../../dist/simulators/cli.js');
const PORT = 16164;

function run(args: string[]) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does it)`);
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 15_000 });
}

async function freePort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const { port } = socket.address();
  await new Promise<void>((r) => socket.close(() => r()));
  return port;
}

describe('priscan-sim command line', () => {
  it('prints usage with --help', () => {
    const result = run(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Usage: priscan-sim --devices/);
  });

  it.each([
    [[], /--devices is required/],
    [['--devices', 'toaster:3'], /unknown device kind "toaster"/],
    [['--devices', 'ups:0'], /count must be a whole number/],
    [['--devices', 'ups:1', '--port', '99999'], /--port must be a whole number from 1 to 65535/],
    [['--devices', 'ups:1', '--base-address', '10.0.0.1'], /not loopback/],
    [['--devices', 'ups:1', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['--devices', 'snmprec:1'], /need a recording: pass --snmprec FILE/],
    [['--devices', 'snmprec:1', '--snmprec', 'no-such-recording'], /cannot read recording no-such-recording: ENOENT/],
    [['--devices', 'snmprec:1', '--snmprec', 'eaton-xups', '--snmprec-registration', 'snmpd'], /--snmprec-registration must be one of none, rfc3413, hidden-table, apc-receiver-table, got "snmpd"/],
    [['--devices', 'snmprec:1', '--snmprec', 'eaton-xups', '--snmprec-notification', 'xupstdOnBattery'], /snmprec notification: "xupstdOnBattery" is not a valid OID: not a numeric OID/],
    [['--devices', 'ups:1', '--scenario', '/nonexistent/scenario.json'], /cannot read scenario/],
    [['--devices', 'ups:1', '--control', 'localhost'], /must be HOST:PORT/],
  ])('refuses %j with one clear line and exit code 2', (args, message) => {
    const result = run(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('says so when a device address is already taken, and exits 2 without leaving devices running', async () => {
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((r) => taken.bind(PORT, '127.0.24.201', r));
    try {
      const result = run(['--devices', 'sim:3', '--base-address', '127.0.24.200', '--port', String(PORT), '--no-control']);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/cannot listen on 127\.0\.24\.201:16164: address already in use/);
    } finally {
      taken.close();
    }
  });

  it('starts a fleet, prints a JSON line per device, plays a scenario, serves control, and stops cleanly on SIGINT', async () => {
    const controlPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'priscan-cli-'));
    const scenarioFile = join(dir, 'scenario.json');
    writeFileSync(scenarioFile, JSON.stringify({ steps: [{ at: 50, device: 'kind:sim', action: 'raise', alarm: 'onBattery' }] }));
    const child = spawn(process.execPath, [
      CLI, '--devices', 'sim:2,ups:1', '--base-address', '127.0.24.1', '--port', String(PORT),
      '--control', `127.0.0.1:${controlPort}`, '--scenario', scenarioFile,
    ]);
    const lines: Array<Record<string, unknown>> = [];
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await new Promise<void>((resolveSteps, reject) => {
        const timer = setTimeout(() => reject(new Error(`no scenario step within 10 s; got ${JSON.stringify(lines)}`)), 10_000);
        createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(JSON.parse(line) as Record<string, unknown>);
          if (lines.filter((l) => l.event === 'step').length === 2) {
            clearTimeout(timer);
            resolveSteps();
          }
        });
      });
      expect(lines.filter((l) => l.event === 'device')).toEqual([
        { event: 'device', kind: 'sim', address: '127.0.24.1', port: PORT },
        { event: 'device', kind: 'sim', address: '127.0.24.2', port: PORT },
        { event: 'device', kind: 'ups', address: '127.0.24.3', port: PORT },
      ]);
      expect(lines.find((l) => l.event === 'ready')).toMatchObject({ devices: 3, control: `http://127.0.0.1:${controlPort}` });
      const res = await fetch(`http://127.0.0.1:${controlPort}/devices/127.0.24.2`);
      expect(await res.json()).toMatchObject({ kind: 'sim', alarms: ['onBattery'] });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
