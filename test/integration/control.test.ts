import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRISCAN_SIM, SNMPV2 } from '../../src/profiles/oids.js';
import { buildControlApp, parseListenAddress } from '../../simulators/control.js';
import { Fleet } from '../../simulators/fleet.js';
import { ScenarioPlayer, scenarioSchema } from '../../simulators/scenario.js';
import { registerHidden } from '../helpers/registration.js';
import { NotificationSink, openSession, sleep, trapOidOf } from '../helpers/snmp-client.js';

// This file's devices live on 127.0.22.0/24.
const PORT = 16162;
const SIM = '127.0.22.1';
const UPS = '127.0.22.2';

let fleet: Fleet;
let app: FastifyInstance;
let sink: NotificationSink;

beforeAll(async () => {
  sink = new NotificationSink();
  await sink.start();
  fleet = new Fleet({ devices: [{ kind: 'sim', count: 1 }, { kind: 'ups', count: 1 }], baseAddress: SIM, port: PORT });
  await fleet.start();
  app = buildControlApp(fleet);
  const s = openSession(SIM, PORT, 'private');
  await registerHidden(s, '127.0.0.1', sink.port, 'ctl');
  s.close();
});

afterAll(async () => {
  await app?.close();
  await fleet?.stop();
  await sink?.stop();
});

describe('control API', () => {
  it('lists devices with kind, address, alarms they support and managers registered', async () => {
    const res = await app.inject({ method: 'GET', url: '/devices' });
    expect(res.statusCode).toBe(200);
    const { devices } = res.json() as { devices: Array<Record<string, unknown>> };
    expect(devices.map((d) => [d.kind, d.address, d.port])).toEqual([
      ['sim', SIM, PORT],
      ['ups', UPS, PORT],
    ]);
    expect(devices[0]!.supportedAlarms).toContain('onBattery');
    expect(devices[0]!.managers).toEqual([{ address: '127.0.0.1', port: sink.port, community: 'ctl', version: 'v2c', type: 'trap' }]);
  });

  it('raises and clears a named alarm, reporting whether anything changed', async () => {
    const raise = await app.inject({ method: 'POST', url: `/devices/${SIM}/alarms/doorOpen` });
    expect(raise.json()).toEqual({ alarm: 'doorOpen', changed: true, alarms: ['doorOpen'] });
    const again = await app.inject({ method: 'POST', url: `/devices/${SIM}/alarms/doorOpen` });
    expect(again.json()).toMatchObject({ changed: false });
    const clear = await app.inject({ method: 'DELETE', url: `/devices/${SIM}/alarms/doorOpen` });
    expect(clear.json()).toEqual({ alarm: 'doorOpen', changed: true, alarms: [] });
  });

  it.each([
    ['GET', '/devices/127.9.9.9', 404, 'DEVICE_NOT_FOUND'],
    ['POST', '/devices/..%2F..%2Fetc/alarms/onBattery', 404, 'DEVICE_NOT_FOUND'],
    ['POST', `/devices/${SIM}/alarms/meltdown`, 400, 'UNKNOWN_ALARM'],
    ['DELETE', `/devices/${SIM}/alarms/meltdown`, 400, 'UNKNOWN_ALARM'],
    ['POST', `/devices/${SIM}/explode`, 404, 'NOT_FOUND'],
  ])('%s %s answers %i %s', async (method, url, status, code) => {
    const res = await app.inject({ method: method as 'GET', url });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ error: { code } });
  });

  it.each([
    ['a missing body', undefined],
    ['malformed JSON', '{"rate": '],
    ['a rate above 1', '{"rate": 1.5}'],
    ['a negative rate', '{"rate": -0.1}'],
    ['a string rate', '{"rate": "half"}'],
    ['an unknown key', '{"rate": 0.5, "burst": true}'],
    ['a huge body', JSON.stringify({ rate: 0.5, pad: 'x'.repeat(100_000) })],
  ])('refuses a drop rate with %s and changes nothing', async (_name, payload) => {
    const res = await app.inject({
      method: 'PUT',
      url: `/devices/${SIM}/drop-rate`,
      headers: { 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { payload }),
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.json()).toHaveProperty('error.code');
    expect(fleet.get(SIM)!.status().dropRate).toBe(0);
  });

  it('drops the requested share of notifications', async () => {
    const device = fleet.get(SIM)!;
    expect((await app.inject({ method: 'PUT', url: `/devices/${SIM}/drop-rate`, payload: { rate: 1 } })).statusCode).toBe(200);
    const before = device.status().counters;
    sink.clear();
    for (let i = 0; i < 5; i++) {
      device.raise('fanFailure');
      device.clear('fanFailure');
    }
    await sleep(100);
    expect(sink.received).toHaveLength(0);
    expect(device.status().counters.notificationsDropped - before.notificationsDropped).toBe(10);

    await app.inject({ method: 'PUT', url: `/devices/${SIM}/drop-rate`, payload: { rate: 0.3 } });
    const start = device.status().counters;
    for (let i = 0; i < 100; i++) {
      device.raise('fanFailure');
      device.clear('fanFailure');
    }
    const after = device.status().counters;
    const dropped = after.notificationsDropped - start.notificationsDropped;
    expect(dropped + (after.notificationsSent - start.notificationsSent)).toBe(200);
    expect(dropped).toBeGreaterThan(30);
    expect(dropped).toBeLessThan(90);
    await app.inject({ method: 'PUT', url: `/devices/${SIM}/drop-rate`, payload: { rate: 0 } });
  });

  it('takes a device offline (no answers, no notifications) and back online', async () => {
    const s = openSession(SIM, PORT, 'public');
    try {
      expect((await app.inject({ method: 'POST', url: `/devices/${SIM}/offline` })).json()).toMatchObject({ online: false });
      await expect(s.get([SNMPV2.sysUpTime])).rejects.toThrow(/timed out/i);
      sink.clear();
      fleet.get(SIM)!.raise('selfTest');
      await sleep(100);
      expect(sink.received).toHaveLength(0);
      expect((await app.inject({ method: 'POST', url: `/devices/${SIM}/online` })).json()).toMatchObject({ online: true });
      const [vb] = await s.get([PRISCAN_SIM.alarmsPresent]);
      expect(vb!.value).toBe(1);
    } finally {
      fleet.get(SIM)!.clear('selfTest');
      s.close();
    }
  });

  it('reboots a device: registrations are lost, uptime restarts, coldStart reaches the old managers', async () => {
    const s = openSession(SIM, PORT, 'public');
    try {
      await sleep(30);
      const [upBefore] = await s.get([SNMPV2.sysUpTime]);
      sink.clear();
      const res = await app.inject({ method: 'POST', url: `/devices/${SIM}/reboot` });
      expect(res.json()).toMatchObject({ managers: [] });
      const [cold] = await sink.waitFor(1, SIM);
      expect(trapOidOf(cold!.message)).toBe(SNMPV2.coldStart);
      const [upAfter] = await s.get([SNMPV2.sysUpTime]);
      expect(upAfter!.value as number).toBeLessThan(upBefore!.value as number);
      expect(await s.subtree(PRISCAN_SIM.regEntry)).toEqual([]);
    } finally {
      s.close();
    }
  });
});

describe('scenario player', () => {
  it('plays timed steps in order and reports each one', async () => {
    const scenario = scenarioSchema.parse({
      steps: [
        { at: 0, device: 'kind:ups', action: 'raise', alarm: 'onBattery' },
        { at: 30, device: UPS, action: 'raise', alarm: 'lowBattery' },
        { at: 60, device: '*', action: 'offline' },
        { at: 90, device: '*', action: 'online' },
        { at: 120, device: UPS, action: 'clear', alarm: 'onBattery' },
      ],
    });
    const played: string[] = [];
    const player = new ScenarioPlayer(scenario, fleet, (step) => played.push(`${step.action}:${step.device}:${step.alarm ?? ''}`));
    player.start();
    await sleep(300);
    player.stop();
    expect(played).toEqual([
      `raise:${UPS}:onBattery`,
      `raise:${UPS}:lowBattery`,
      `offline:${SIM}:`,
      `offline:${UPS}:`,
      `online:${SIM}:`,
      `online:${UPS}:`,
      `clear:${UPS}:onBattery`,
    ]);
    expect(fleet.get(UPS)!.activeAlarms()).toEqual(['lowBattery']);
    fleet.get(UPS)!.clear('lowBattery');
  });

  it('refuses a scenario naming a missing device or an alarm the device lacks, before playing anything', () => {
    const missing = scenarioSchema.parse({ steps: [{ at: 0, device: '127.0.22.99', action: 'reboot' }] });
    expect(() => new ScenarioPlayer(missing, fleet, () => undefined).start()).toThrow(/no device matches "127.0.22.99"/);
    const wrongAlarm = scenarioSchema.parse({ steps: [{ at: 0, device: '*', action: 'raise', alarm: 'tempHigh' }] });
    expect(() => new ScenarioPlayer(wrongAlarm, fleet, () => undefined).start()).toThrow(/has no alarm "tempHigh"/);
    expect(fleet.get(SIM)!.activeAlarms()).toEqual([]);
  });
});

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:9471', { host: '127.0.0.1', port: 9471 }],
    ['[::1]:9471', { host: '::1', port: 9471 }],
  ])('parses %s', (text, expected) => expect(parseListenAddress(text)).toEqual(expected));
  it.each(['9471', '127.0.0.1', '127.0.0.1:99999', ':'])('rejects %s', (text) =>
    expect(() => parseListenAddress(text)).toThrow(/HOST:PORT/),
  );
});
