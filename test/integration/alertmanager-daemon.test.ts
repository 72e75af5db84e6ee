// The whole path to the person paged: a simulated device raises an alarm, priscan scans it on
// the device's notification and pushes it to both peers of a real Alertmanager cluster (two
// Debian Alertmanagers gossiping on loopback), which list it within a second. Peers never share
// alerts, so each has it from priscan itself. The daemon stands in for one collector of a
// priscan cluster: its alerts carry no collector id, so a takeover by another collector sends
// the same alert (one fingerprint), not a second one.
// Needs `apt-get install prometheus-alertmanager`; skipped with a warning without it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterView } from '../../src/cluster/view.js';
import { Fleet } from '../../simulators/fleet.js';
import { alertmanagerBinary, TestAlertmanager } from '../helpers/alertmanager.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until, warnSkipped } from '../helpers/tools.js';

// This file's devices live on 127.0.38.0/24.
const FILE = 'test/integration/alertmanager-daemon.test.ts';
const PORT = 16183;
if (!alertmanagerBinary) warnSkipped(FILE, 'prometheus-alertmanager', 'prometheus-alertmanager');

let am: TestAlertmanager;
let peers: TestAlertmanager[] = [];
let t: TestDaemon;
let fleet: Fleet;
const alertFor = async (code: string, from = am) => (await from.activeAlerts()).find((a) => a.labels.code === code);
/** This collector of a cluster, owning every device. */
const COLLECTOR_ID = 'collector-7f3a';
const cluster: ClusterView = { collectorId: COLLECTOR_ID, ownsDevice: () => true, collectors: async () => [] };

describe.skipIf(!alertmanagerBinary)('priscan daemon -> Alertmanager peers', () => {
  beforeAll(async () => {
    peers = await TestAlertmanager.startCluster(2);
    am = peers[0]!;
    t = await startTestDaemon({ alertmanager: { urls: peers.map((peer) => peer.url), site: 'dc1', resendIntervalSeconds: 2 } }, { cluster });
    fleet = new Fleet({ devices: [{ kind: 'ups', count: 1 }, { kind: 'pdu', count: 1 }], baseAddress: '127.0.38.1', port: PORT, apcTrapPort: t.running.intake.port });
    await fleet.start();
    for (const device of fleet.devices) {
      const res = await t.api('POST', '/api/v1/devices', { name: `${device.kind}-1`, address: device.address, port: PORT, timeoutMs: 500, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } });
      expect(res.status).toBe(201);
    }
    await until('registered', () => t.running.store.devices.list().every((d) => d.state.registration === 'registered' && d.state.reachable));
  }, 30_000);

  afterAll(async () => {
    await fleet?.stop();
    await t?.stop();
    await Promise.all(peers.map((peer) => peer.dispose()));
  });

  it('runs two Alertmanagers gossiping as one cluster', async () => {
    await until('each peer to see the other', async () => (await Promise.all(peers.map((peer) => peer.counter('alertmanager_cluster_members')))).every((n) => n === 2), 10_000);
  });

  it('lists a device\'s alarm on both peers within a second of the device raising it, with no collector id', async () => {
    const raisedAt = Date.now();
    fleet.devices[0]!.raise('onBattery');
    const alerts = await until('the alert on both peers', async () => {
      const listed = await Promise.all(peers.map((peer) => alertFor('ups.onBattery', peer)));
      return listed.every(Boolean) && (listed as NonNullable<(typeof listed)[number]>[]);
    }, 1000);
    console.info(`${FILE}: device raise -> listed by both Alertmanager peers: ${Date.now() - raisedAt} ms`);
    for (const alert of alerts) {
      // Exactly these labels: nothing naming the collector that sent it.
      expect(alert.labels).toEqual({ alertname: 'UpsOnBattery', device: 'ups-1', severity: 'warning', code: 'ups.onBattery', profile: 'rfc1628-ups', alarm_key: 'upsAlarmTable:1:ups.onBattery', site: 'dc1' });
      expect(alert.annotations).toMatchObject({ description: 'UPS on battery', device_address: '127.0.38.1' });
      expect(JSON.stringify(alert)).not.toContain(COLLECTOR_ID);
    }
    expect(alerts[1]!.startsAt).toBe(alerts[0]!.startsAt);
    // Alertmanager lists the alert before its answer to the POST reaches priscan: wait for both answers.
    await until('the POSTs counted as sent', async () => (await Promise.all(peers.map((peer) => t.metric('priscan_alertmanager_alerts_sent_total', { url: peer.url })))).every((n) => n > 0), 1000);
  });

  it('resolves it on both peers when the device clears it', async () => {
    fleet.devices[0]!.clear('onBattery');
    await until('the alert to leave both active lists', async () => (await Promise.all(peers.map((peer) => alertFor('ups.onBattery', peer)))).every((a) => a === undefined) || undefined, 2000);
  });

  it('loses nothing across an Alertmanager restart', async () => {
    fleet.devices[1]!.raise('overload');
    await until('the PDU alert', () => alertFor('pdu.phaseOverload'), 2000);
    await am.stop('SIGTERM');
    fleet.devices[0]!.raise('lowBattery');
    await until('the raise stored while Alertmanager is down', () => t.running.store.alarms.active().some((a) => a.code === 'ups.lowBattery'));
    await am.start();
    await until('both alerts after the restart', async () => ((await alertFor('pdu.phaseOverload')) && (await alertFor('ups.lowBattery'))) || undefined, 10_000);
  }, 30_000);
});
