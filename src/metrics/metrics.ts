import { collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client';
import { SEVERITIES } from '../alarms/model.js';
import { ownedShare, type Ownership } from './cluster.js';
import { registerStateGauges, type FleetSnapshot } from './state.js';
import { ExpositionRegistry } from './text-metric.js';
import { registerReadingGauges, type ReadingGaugesPort, type StillCurrent } from './readings.js';
import type { SnmpRequestObserver } from '../snmp/client.js';
import type { IntakeObserver } from '../traps/intake.js';
import type { RequestResult, ScanTrigger, SchedulerObserver } from '../scanning/scheduler.js';
import { LANES, type Lane, type LaneCounts } from '../scanning/scan-lanes.js';
import type { ScanObserver, ScanResult } from '../scanning/scanner.js';
import type { RegistrationObserver } from '../registration/registrar.js';
import type { AlertmanagerObserver } from '../alerting/delivery.js';
import type { DeliveryObserver } from '../alerting/delivery-engine.js';
import type { MaintenanceObserver } from '../alerting/notifier.js';

/** Milliseconds to seconds: scans and detection take from about a millisecond to several seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface Metrics {
  registry: ExpositionRegistry;
  intake: IntakeObserver;
  scheduler: SchedulerObserver;
  scans: ScanObserver;
  registration: RegistrationObserver;
  alertmanager: AlertmanagerObserver;
  webhooks: DeliveryObserver;
  maintenance: MaintenanceObserver;
  snmp: SnmpRequestObserver;
  /** Gauges read at scrape time. */
  watchQueue(depth: () => Record<Lane, LaneCounts>): void;
  watchFleet(snapshot: () => FleetSnapshot): void;
  /** Alarms maintenance holds back from notification now. */
  watchHeld(count: () => number): void;
  /** Sensor readings, as scans store them. */
  readings: ReadingGaugesPort;
  /** Which devices' shown readings are still current, asked at scrape time. */
  watchReadings(stillCurrent: StillCurrent): void;
  /**
   * In a cluster: per-device series show only the devices this collector owns, so no device is
   * counted by two collectors; cluster-wide figures show on one collector (metrics/cluster.ts).
   */
  watchCluster(cluster: Ownership): void;
}

/** prom-client defaults that promtool's lint rejects: gauges named like counters. */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Every metric priscan exports, defined once, in a registry of its own. */
export function createMetrics(now: () => number): Metrics {
  const registry = new ExpositionRegistry();
  collectDefaultMetrics({ register: registry });
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  const notifications = new Counter({
    name: 'priscan_notifications_received_total',
    help: 'Notifications received, by SNMP version, kind and what became of them.',
    labelNames: ['version', 'kind', 'result'] as const,
    registers: [registry],
  });
  const scanRequests = new Counter({
    name: 'priscan_scan_requests_total',
    help: 'Scan requests by trigger and how they were handled (queued, coalesced, follow-up).',
    labelNames: ['trigger', 'result'] as const,
    registers: [registry],
  });
  const scans = new Counter({
    name: 'priscan_scans_total',
    help: 'Scans run, by trigger and result.',
    labelNames: ['trigger', 'result'] as const,
    registers: [registry],
  });
  const probes = new Counter({
    name: 'priscan_device_probes_total',
    help: 'Probes of devices whose last scan got no answer (one GET, no retries), by result (answered, unanswered).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const scanDuration = new Histogram({
    name: 'priscan_scan_duration_seconds',
    help: 'Time one device scan took.',
    labelNames: ['trigger'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const detection = new Histogram({
    name: 'priscan_notification_to_stored_seconds',
    help: 'Time from a notification arriving to the scan it triggered being stored.',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const registrations = new Counter({
    name: 'priscan_registration_attempts_total',
    help: 'Registration checks by method and outcome (created, verified, repaired, failed).',
    labelNames: ['method', 'result'] as const,
    registers: [registry],
  });
  const snmpRequests = new Counter({
    name: 'priscan_snmp_requests_total',
    help: 'SNMP requests sent to devices, by PDU type.',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const snmpTimeouts = new Counter({
    name: 'priscan_snmp_timeouts_total',
    help: 'SNMP requests that got no answer after all retries.',
    registers: [registry],
  });
  const snmpRetries = new Counter({
    name: 'priscan_snmp_retries_total',
    help: 'SNMP requests sent again after a timeout.',
    registers: [registry],
  });
  const alertsSent = new Counter({
    name: 'priscan_alertmanager_alerts_sent_total',
    help: 'Alerts Alertmanager accepted, by Alertmanager URL.',
    labelNames: ['url'] as const,
    registers: [registry],
  });
  const alertFailures = new Counter({
    name: 'priscan_alertmanager_send_failures_total',
    help: 'Failed POSTs to Alertmanager by reason (timeout, network, unavailable, rejected); all but rejected are retried.',
    labelNames: ['url', 'reason'] as const,
    registers: [registry],
  });
  const alertsDropped = new Counter({
    name: 'priscan_alertmanager_alerts_dropped_total',
    help: 'Alerts given up by reason (queue_full, rejected, stopped).',
    labelNames: ['url', 'reason'] as const,
    registers: [registry],
  });
  const alertQueue = new Gauge({
    name: 'priscan_alertmanager_queue_alerts',
    help: 'Alerts waiting to be sent, by Alertmanager URL.',
    labelNames: ['url'] as const,
    registers: [registry],
  });
  const webhookDeliveries = new Counter({
    name: 'priscan_webhook_deliveries_total',
    help: 'Webhook POSTs by webhook and result: delivered, or why not (timeout, network, unavailable, rejected); all but rejected are retried.',
    labelNames: ['webhook', 'result'] as const,
    registers: [registry],
  });
  const webhookDropped = new Counter({
    name: 'priscan_webhook_deliveries_dropped_total',
    help: 'Webhook deliveries given up by reason (queue_full: oldest dropped past maxQueued, rejected: a 4xx answer, unconfigured: queued for a webhook since removed from the config).',
    labelNames: ['webhook', 'reason'] as const,
    registers: [registry],
  });
  const webhookQueue = new Gauge({
    name: 'priscan_webhook_queue_deliveries',
    help: 'Webhook deliveries waiting in the on-disk queue, by webhook.',
    labelNames: ['webhook'] as const,
    registers: [registry],
  });
  const maintenanceEvents = new Counter({
    name: 'priscan_maintenance_notifications_total',
    help: 'Notifications maintenance changed: held (an event of an alarm raised in a window, kept from Alertmanager and webhooks), released (an alarm sent when its window ended).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  for (const result of ['held', 'released']) maintenanceEvents.inc({ result }, 0);
  let heldNow: () => number = () => 0;
  new Gauge({
    name: 'priscan_maintenance_alarms_held',
    help: 'Active alarms held back from notification by a maintenance window now.',
    registers: [registry],
    collect() {
      this.set(heldNow());
    },
  });
  let fleet: () => FleetSnapshot = () => ({ devices: [], alarms: [] });
  let cluster: Ownership | undefined;
  const labelsCapped = new Counter({
    name: 'priscan_alarm_labels_capped_total',
    help: 'Alarms kept out of their own label value: code (raised under an "other" code, as their device\'s text was no code priscan knows) or series (shown as code "other" in priscan_alarm_active, past the per-device limit; counted when first shown so).',
    labelNames: ['reason'] as const,
    registers: [],
  });
  for (const reason of ['code', 'series']) labelsCapped.inc({ reason }, 0);
  registerStateGauges(registry, SEVERITIES, () => (cluster ? ownedShare(fleet(), cluster) : fleet()), (count) => labelsCapped.inc({ reason: 'series' }, count));
  // Registered after the state gauges: a scrape collects in order, so the series cap's count is current.
  registry.registerMetric(labelsCapped);
  let stillCurrent: StillCurrent = (shown) => new Set(shown.keys());
  // A device whose shard moved to another collector is hidden at once, not when its new owner scans it.
  const readings = registerReadingGauges(registry, () => (shown) => {
    const current = stillCurrent(shown);
    return cluster ? new Set([...current].filter((id) => cluster!.ownsDevice(id))) : current;
  });
  const idle: LaneCounts = { queued: 0, running: 0 };
  let queueDepth: () => Record<Lane, LaneCounts> = () => ({ normal: idle, slow: idle });
  new Gauge({
    name: 'priscan_scan_queue_depth',
    help: 'Scans and registration checks waiting, by lane (slow: devices that time out or answer late).',
    labelNames: ['lane'] as const,
    registers: [registry],
    collect() {
      const depth = queueDepth();
      for (const lane of LANES) this.set({ lane }, depth[lane].queued);
    },
  });
  new Gauge({
    name: 'priscan_scans_running',
    help: 'Scans and registration checks running now, by lane (a scan that overran its device\'s usual time counts as slow).',
    labelNames: ['lane'] as const,
    registers: [registry],
    collect() {
      const depth = queueDepth();
      for (const lane of LANES) this.set({ lane }, depth[lane].running);
    },
  });

  return {
    registry,
    intake: { notification: (version, kind, result) => notifications.inc({ version, kind, result }) },
    scheduler: {
      scanRequested: (trigger: ScanTrigger, result: RequestResult) => scanRequests.inc({ trigger, result }),
      probed: (answered) => probes.inc({ result: answered ? 'answered' : 'unanswered' }),
    },
    scans: {
      scanned(trigger, result: ScanResult, durationMs, request) {
        scans.inc({ trigger, result });
        if (result === 'skipped') return;
        scanDuration.observe({ trigger }, durationMs / 1000);
        if (trigger === 'trap') detection.observe(Math.max(0, now() - request.requestedAt) / 1000);
      },
      foldedRaised: (count) => labelsCapped.inc({ reason: 'code' }, count),
    },
    registration: { registration: (method, result) => registrations.inc({ method, result }) },
    alertmanager: {
      sent: (url, alerts) => alertsSent.inc({ url }, alerts),
      failed: (url, reason) => alertFailures.inc({ url, reason }),
      dropped: (url, alerts, reason) => alertsDropped.inc({ url, reason }, alerts),
      queueSize: (url, size) => alertQueue.set({ url }, size),
    },
    webhooks: {
      sent: (webhook, n) => webhookDeliveries.inc({ webhook, result: 'delivered' }, n),
      failed: (webhook, reason) => webhookDeliveries.inc({ webhook, result: reason }),
      dropped: (webhook, n, reason) => webhookDropped.inc({ webhook, reason }, n),
      queueSize: (webhook, size) => webhookQueue.set({ webhook }, size),
    },
    maintenance: {
      held: (events) => maintenanceEvents.inc({ result: 'held' }, events),
      released: (alarms) => maintenanceEvents.inc({ result: 'released' }, alarms),
    },
    snmp: {
      request: (type) => snmpRequests.inc({ type }),
      timeout: () => snmpTimeouts.inc(),
      retry: () => snmpRetries.inc(),
    },
    watchQueue(depth) {
      queueDepth = depth;
    },
    watchFleet(snapshot) {
      fleet = snapshot;
    },
    watchHeld(count) {
      heldNow = count;
    },
    readings,
    watchReadings(watcher) {
      stillCurrent = watcher;
    },
    watchCluster(view) {
      cluster = view;
    },
  };
}
