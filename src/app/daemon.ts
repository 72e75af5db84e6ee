import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { AlarmEventBus } from '../alarms/events.js';
import { systemClock, type Clock } from '../clock.js';
import { redactConfig } from '../config/load.js';
import { DiscoveryService } from '../discovery/service.js';
import type { Config } from '../config/schema.js';
import { buildHttpApp } from '../http/app.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import type { ClusterView } from '../cluster/view.js';
import { statusTableSource } from '../profiles/configured.js';
import { Registrar } from '../registration/registrar.js';
import { Scanner } from '../scanning/scanner.js';
import { ScanScheduler } from '../scanning/scheduler.js';
import type { SnmpClientFactory } from '../snmp/client.js';
import { DeviceClients } from '../snmp/device-clients.js';
import { NetSnmpClientFactory } from '../snmp/net-snmp-client.js';
import { DEFAULT_HISTORY_POLICY } from '../store/readings.js';
import type { Store } from '../store/store.js';
import { NotificationIntake, type AcceptedNotification } from '../traps/intake.js';
import { installationEngine } from '../traps/engine.js';
import { NotificationSources } from '../traps/sources.js';
import { AuditLog } from '../access/audit.js';
import { Partners } from '../access/partners.js';
import { siteOf, type DeviceSite } from '../access/scope.js';
import { ApiTokens } from '../access/tokens.js';
import { AlertmanagerSender } from '../alerting/alertmanager.js';
import { AlarmNotifier } from '../alerting/notifier.js';
import type { AlarmSink } from '../alerting/sink.js';
import { WebhookSink } from '../webhooks/sink.js';
import { packageVersion } from '../cli/version.js';
import type { InterfaceTable } from '../licensing/identity.js';
import type { IssuerSecret } from '../licensing/issuer-secret.js';
import { AcknowledgementService } from './acknowledgement-service.js';
import { consoleServices } from './console-services.js';
import { refuseShadowedDevices } from './device-input.js';
import { DeviceService } from './device-service.js';
import { issuerSecretFrom, loadProfiles, storeFrom, webhooksFrom } from './daemon-config.js';
import { fleetSnapshot } from './fleet-snapshot.js';
import { jobFailureLog } from './job-failure-log.js';
import { MaintenanceService } from './maintenance-service.js';
import { ThresholdService } from './threshold-service.js';
import { ReadingsPruner } from './readings-pruner.js';
import { ReadingsService } from './readings-service.js';
import { discoveryAdmission, discoveryCredentials } from './discovery-admission.js';
import { LicenseService } from './license-service.js';
import { RegistrationService } from './registration-service.js';
import { Lifecycle } from './lifecycle.js';
import { clusterMembershipFrom, type ClusterMembership } from './cluster-membership.js';
import { notifyEndpoint } from '../cluster/config.js';

export interface DaemonOptions {
  config: Readonly<Config>;
  log?: Logger;
  clock?: Clock;
  random?: () => number;
  /** Replaces net-snmp (tests count requests with it). */
  snmp?: (metrics: Metrics) => SnmpClientFactory;
  /** The issuer secret when not loaded from config (the demo's own). */
  issuerSecret?: IssuerSecret;
  /** The network interfaces licensing identifies the server by; default: the OS's. */
  interfaces?: InterfaceTable;
  /**
   * Where a device stands, for partners scoped to sites; default: the device's site field
   * (access/scope.ts siteOf). Tests give devices sites with it.
   */
  deviceSite?: DeviceSite;
  /** This collector's view of its cluster, for the API and /metrics; absent on a single server. */
  cluster?: ClusterView;
}

/** Settings key of the notification community generated once per installation. */
const COMMUNITY_SETTING = 'notification-community';

/** The parts of a running daemon that tests and the demo look at. */
export interface RunningDaemon {
  store: Store;
  licenses: LicenseService;
  tokens: ApiTokens;
  partners: Partners;
  registration: RegistrationService;
  bus: AlarmEventBus;
  scheduler: ScanScheduler;
  devices: DeviceService;
  thresholds: ThresholdService;
  discovery: DiscoveryService;
  metrics: Metrics;
  intake: NotificationIntake;
  http: FastifyInstance;
  httpUrl: string;
  /** Cluster mode only: which collector owns what. */
  cluster?: ClusterView;
}

/** 11 random bytes: 88 bits, 15 base64url characters, the most an APC receiver row holds. */
function generateNotifyCommunity(): string {
  return randomBytes(11).toString('base64url');
}

/**
 * The composition root: builds every component from the config, starts them
 * in order and stops them in reverse with a deadline.
 */
export class Daemon {
  private lifecycle: Lifecycle | undefined;
  private parts: RunningDaemon | undefined;

  constructor(private readonly options: DaemonOptions) {}

  get running(): RunningDaemon {
    if (!this.parts) throw new Error('the daemon is not running');
    return this.parts;
  }

  async start(): Promise<RunningDaemon> {
    const { config } = this.options;
    const clock = this.options.clock ?? systemClock;
    const random = this.options.random ?? Math.random;
    const log = this.options.log ?? pino({ level: config.log.level });
    log.info({ config: redactConfig(config) }, 'starting priscan');

    // Config mistakes found here stop start-up before anything is opened.
    const issuerSecret = this.options.issuerSecret ?? issuerSecretFrom(config);
    const webhooks = webhooksFrom(config);
    const profiles = loadProfiles(config);
    const store = storeFrom(config, clock, {
      onMigrationNote: (note) => log.warn(note),
      readingHistory: {
        minIntervalMs: config.readings.minPointIntervalSeconds * 1000,
        unchangedIntervalMs: config.readings.unchangedPointIntervalSeconds * 1000,
        maxSeriesPerDevice: DEFAULT_HISTORY_POLICY.maxSeriesPerDevice,
      },
    });
    log.info({ store: store.location }, 'store opened');
    const community = config.notifications.community ?? store.settings.getOrCreate(COMMUNITY_SETTING, generateNotifyCommunity);
    const metrics = createMetrics(() => clock.now());
    const clients = new DeviceClients(this.options.snmp?.(metrics) ?? new NetSnmpClientFactory(metrics.snmp), { clock });
    const bus = new AlarmEventBus((error) => log.error({ err: error }, 'alarm event subscriber failed'));
    let intake: NotificationIntake | undefined;
    const sources = new NotificationSources({ onUsmUser: (user) => intake?.prepareKeys(user) });
    // Cluster mode: devices are registered with this collector's notification address, and each
    // is scanned and written (fenced) only by the collector owning its shard.
    let membership: ClusterMembership | undefined;
    const clusterNotify = config.cluster ? notifyEndpoint(config.cluster) : undefined;
    const registrar = new Registrar({
      clock,
      store,
      clients,
      log,
      profiles,
      managerAddress: clusterNotify?.address ?? config.manager.address,
      managerPort: () => clusterNotify?.port ?? config.manager.port ?? intake?.port ?? config.notifications.listen.port,
      peers: config.cluster ? () => membership?.peers() ?? [] : undefined,
      installationCommunity: community,
      observer: metrics.registration,
    });
    let devices: DeviceService | undefined;
    const thresholds = new ThresholdService({
      store,
      profiles,
      configured: config.thresholds,
      onDevicesChanged: (ids) => devices?.applyCadence(ids, true),
      onProfileResolved: (id) => devices?.profileResolved(id),
    });
    const readings = new ReadingsService({ store, profiles, clock, log, isMonitored: (id) => devices?.isMonitored(id) ?? true, gauges: metrics.readings });
    const pruner = new ReadingsPruner({ clock, readings: store.readings, log, retentionMs: config.readings.retentionHours * 3_600_000 });
    const scanner = new Scanner({
      clock,
      store,
      clients,
      bus,
      log,
      profiles,
      // A device unlicensed while its scan runs must not get alarms back after they were ended.
      isLicensed: (id) => devices?.isMonitored(id) ?? true,
      extraSources: { 'net-snmp': config.profiles.netSnmp.tables.map(statusTableSource) },
      readings: { violations: (scan) => thresholds.violations(scan), record: (scan) => readings.record(scan) },
      observer: metrics.scans,
      ...(config.cluster
        ? {
            fenceFor: (id: number) => membership?.fenceFor(id),
            // The shard moved on while the scan ran: let the device go now (the next round says `lost` too).
            onFenced: (id: number) => scheduler.removeDevice(id),
            beforeFencedWrite: () => membership?.writable() ?? Promise.resolve(),
          }
        : {}),
    });
    const scheduler = new ScanScheduler({
      clock,
      random,
      concurrency: config.scanning.concurrency,
      scan: (id, request) => scanner.scan(id, request),
      register: (id) => registrar.register(id),
      probe: (id) => scanner.probe(id),
      registrationIntervalMs: config.registration.intervalSeconds * 1000,
      observer: metrics.scheduler,
      onJobFailed: jobFailureLog(log, clock),
    });
    metrics.watchQueue(() => scheduler.lanes());
    const licenses = new LicenseService({
      store,
      log,
      secret: issuerSecret,
      interfaceName: config.licensing.interface,
      interfaces: this.options.interfaces,
      clusterMac: config.cluster?.licenseMac,
      shared: config.cluster !== undefined,
      unlicensedCount: () => devices?.unlicensedCount ?? 0,
      onChange: () => devices?.applyLicensing(),
    });
    devices = new DeviceService({
      store,
      scheduler,
      registrar,
      clients,
      sources,
      installationCommunity: community,
      bus,
      clock,
      log,
      profiles,
      thresholds,
      licensedNodes: () => licenses.licensedNodes(),
      owns: config.cluster ? (id) => membership?.owns(id) ?? false : undefined,
    });
    const theDevices = devices;
    metrics.watchFleet(() => fleetSnapshot(store, theDevices, licenses, profiles));
    metrics.watchReadings((shown) => readings.stillCurrent(shown));
    const { credentials: _secrets, ...discoverySettings } = config.discovery;
    const discovery = new DiscoveryService({
      clock,
      clients: { open: (target) => clients.openOneOff(target) },
      log,
      credentials: discoveryCredentials(config.discovery),
      settings: discoverySettings,
      profileFor: (sysObjectId) => profiles.select(sysObjectId)?.name,
      admission: discoveryAdmission({ config: config.discovery, devices: theDevices, store }),
    });
    const tokens = new ApiTokens({ repository: store.tokens, clock });
    const deviceSite = this.options.deviceSite ?? siteOf;
    const audit = new AuditLog({ repository: store.audit, clock });
    const partners = new Partners({
      repository: store.partners,
      audit,
      sitesInUse: () => new Set(store.devices.list().map(deviceSite).filter((site): site is string => site !== null)),
    });
    const registration = new RegistrationService({
      store,
      clock,
      log,
      secret: issuerSecret,
      version: packageVersion(),
      serverId: () => licenses.serverId,
      licensedNodes: () => licenses.licensedNodes(),
    });
    // Alertmanager and webhooks hear alarms through the notifier, which holds back those raised in maintenance.
    const sinks: AlarmSink[] = [];
    if (config.alertmanager) {
      const alarms = { active: () => notifier.notifiable() };
      sinks.push(new AlertmanagerSender({ config: config.alertmanager, alarms, devices: store.devices, clock, log, observer: metrics.alertmanager }));
    }
    if (webhooks.length > 0) {
      sinks.push(new WebhookSink({ webhooks, queue: store.webhookQueue, devices: store.devices, clock, log, observer: metrics.webhooks, userAgent: `priscan/${packageVersion()}` }));
    }
    const notifier = new AlarmNotifier({ bus, sinks, alarms: store.alarms, devices: store.devices, windows: store.maintenance, clock, log, observer: metrics.maintenance });
    metrics.watchHeld(() => notifier.heldCount);
    // The API's routes and the console's pages change acknowledgements and windows through these.
    const acknowledgements = new AcknowledgementService({ store, bus, clock });
    const maintenance = new MaintenanceService({ store, profiles, clock, holds: notifier });
    const handleNotification = (n: AcceptedNotification): void => {
      // A restarted device may have lost its registration: re-register, which then scans.
      if (n.restart) scheduler.requestRegistration(n.deviceId);
      scheduler.requestScan(n.deviceId, 'trap', n.receivedAt);
    };
    if (config.cluster) {
      membership = clusterMembershipFrom(config, { devices: theDevices, licenses, scheduler, handle: handleNotification, clock, log });
    }
    const theMembership = membership;
    const clusterView = theMembership?.view ?? this.options.cluster;
    if (clusterView) metrics.watchCluster(clusterView);
    let ready = false;
    const engine = installationEngine(store.settings, clock, config.notifications.engineId);
    intake = new NotificationIntake({
      address: config.notifications.listen.address,
      port: config.notifications.listen.port,
      receiveBufferBytes: config.notifications.receiveBufferBytes,
      now: () => clock.now(),
      sourceFor: (address) => sources.lookup(address),
      // In cluster mode a notification for a device a peer owns goes to that peer.
      onNotification: (n) => (membership ? membership.notification(n) : handleNotification(n)),
      engine,
      observer: metrics.intake,
    });
    const http = buildHttpApp({
      store,
      devices,
      thresholds,
      discovery,
      scheduler,
      licenses,
      profiles,
      readings,
      acknowledgements,
      maintenance,
      bus,
      registry: metrics.registry,
      tokens,
      partners,
      audit,
      registration,
      deviceSite,
      clock,
      authenticate: (token) => tokens.authenticate(token),
      metricsAccess: config.http.metricsRequireToken ? 'read' : 'public',
      health: () => ({ devices: sources.size, notificationPort: intake?.port, queued: scheduler.queued, running: scheduler.running }),
      ready: () => ready,
      about: () => ({ version: packageVersion(), serverId: licenses.serverId, serverIdError: licenses.serverIdError, snmpEngineId: engine.engineId.toString('hex') }),
      maintenanceHolds: notifier,
      console: consoleServices({ store, readings, thresholds, acknowledgements, maintenance, holds: notifier }),
      cluster: clusterView,
    });
    let httpUrl = '';
    const theIntake = intake;

    // Started in this order, stopped in reverse: on shutdown the intake stops taking
    // notifications first, then running scans drain, then sessions and the database close.
    this.lifecycle = new Lifecycle([
      { name: 'store', start: () => undefined, stop: () => store.close() },
      // Stops before the store closes: a pass under way ends after its current batch.
      { name: 'readings-pruner', start: () => pruner.start(), stop: () => pruner.stop() },
      { name: 'licenses', start: () => licenses.start(), stop: () => undefined },
      { name: 'registration', start: () => registration.start(), stop: () => undefined },
      // Stopped after the scheduler drains, so what the last scans store still reaches the sinks.
      { name: 'notifier', start: () => notifier.start(), stop: () => notifier.stop() },
      { name: 'snmp-clients', start: () => undefined, stop: () => clients.closeAll() },
      {
        name: 'scheduler',
        start: () => scheduler.start(),
        stop: async () => {
          if (!(await scheduler.stop(config.shutdown.deadlineMs))) log.warn('scans still running at the shutdown deadline');
        },
      },
      // Before devices: registrations write the listener's actual port.
      { name: 'notification-intake', start: () => theIntake.start(), stop: () => theIntake.stop() },
      {
        name: 'devices',
        start: async () => {
          // Before any device is scanned or registered, so a refused start-up has touched none.
          refuseShadowedDevices(store.devices, config.devices);
          theDevices.loadStored();
          // A cluster config declares none (refused), and must not delete the config devices a
          // migrated store holds: they stay as they are, shared by every collector.
          if (!config.cluster) await theDevices.syncDeclared(config.devices);
          for (const note of thresholds.unmatchedConfigured()) log.warn(note);
        },
        stop: () => undefined,
      },
      // After devices (every licensed device is followed before shards are claimed); stopping it
      // hands this collector's shards to its peers at once.
      { name: 'cluster', start: () => theMembership?.start(), stop: () => theMembership?.stop() },
      // After devices (it adds them), so it stops first: no probe is sent once shutdown begins.
      { name: 'discovery', start: () => discovery.start(), stop: () => discovery.stop() },
      {
        name: 'http',
        start: async () => {
          httpUrl = await http.listen({ host: config.http.listen.address, port: config.http.listen.port });
        },
        stop: () => http.close(),
      },
    ]);
    await this.lifecycle.start();
    ready = true;
    this.parts = { store, licenses, tokens, partners, registration, bus, scheduler, devices: theDevices, thresholds, discovery, metrics, intake: theIntake, http, httpUrl, cluster: theMembership?.view };
    // Linux reports twice the size it grants; less than asked means net.core.rmem_max capped it.
    const granted = Math.floor(theIntake.receiveBufferSize / 2);
    if (granted < config.notifications.receiveBufferBytes) {
      log.warn(
        { requested: config.notifications.receiveBufferBytes, granted },
        'notification receive buffer is smaller than configured: storms may be dropped; raise net.core.rmem_max (sysctl -w net.core.rmem_max=8388608)',
      );
    }
    log.info({ http: httpUrl, notificationPort: theIntake.port, devices: sources.size }, 'priscan running');
    return this.parts;
  }

  async stop(): Promise<void> {
    const overdue = (await this.lifecycle?.stop(this.options.config.shutdown.deadlineMs)) ?? [];
    if (overdue.length > 0) this.options.log?.warn({ overdue }, 'components did not stop in time');
    this.lifecycle = undefined;
    this.parts = undefined;
  }
}
