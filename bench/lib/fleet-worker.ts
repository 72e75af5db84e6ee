// The simulator side of the detection benchmark, run as a child process so the simulated
// devices do not compete with the daemon for its core. It holds the fleets, changes device
// state on command, and timestamps each change at the moment the device makes it.
import { PRISCAN_SIM } from '../../src/profiles/oids.js';
import { Fleet } from '../../simulators/fleet.js';
import type { SimDevice } from '../../simulators/devices/device.js';
import { monotonicMs, type DeviceBehaviour, type DeviceRange, type FleetCommand, type FleetCounters, type FleetReply, type FleetSpec } from './fleet-protocol.js';

const fleets = new Map<string, Fleet>();

function reply(message: FleetReply): void {
  process.send?.(message);
}

function devicesOf(name: string): SimDevice[] {
  const fleet = fleets.get(name);
  if (!fleet) throw new Error(`no fleet "${name}"`);
  return fleet.devices;
}

function devicesIn(name: string, range: DeviceRange): SimDevice[] {
  const devices = devicesOf(name);
  if (!(range.from >= 0 && range.from <= range.to && range.to <= devices.length)) throw new Error(`fleet "${name}" has no devices ${range.from}..${range.to}`);
  return devices.slice(range.from, range.to);
}

function behave(device: SimDevice, behaviour: DeviceBehaviour): void {
  if ('online' in behaviour) device.setOnline(behaviour.online);
  else device.setFault(behaviour.fault, behaviour.delayMs === undefined ? {} : { delayMs: behaviour.delayMs });
}

/** One alert-present notification from each device, through its own agent, to its registered managers. */
function alertPresent(device: SimDevice): void {
  for (const target of device.identity.registration.targets()) device.agent.send(target, { trapOid: PRISCAN_SIM.alertPresent, varbinds: [] });
}

function deviceAt(name: string, index: number): SimDevice {
  const device = devicesOf(name)[index];
  if (!device) throw new Error(`fleet "${name}" has no device ${index}`);
  return device;
}

async function startFleets(specs: FleetSpec[]): Promise<number> {
  const started = performance.now();
  for (const spec of specs) {
    // The `sim` kind is the cheapest device with alarms: one table walk, no side traps, no readings.
    const fleet = new Fleet({ devices: [{ kind: spec.kind ?? 'sim', count: spec.count }], baseAddress: spec.baseAddress, port: spec.port });
    await fleet.start();
    fleets.set(spec.name, fleet);
  }
  return Math.round(performance.now() - started);
}

/**
 * Raise on every device, each followed at once by its extra alert-present notifications: the
 * worst case for the intake and the scan queue. The extras go through the device's own agent,
 * from its own address, to the managers registered on it, exactly like the one `raise` sends.
 */
function storm(name: string, alarm: string, extraNotifications: number): FleetReply & { type: 'stormed' } {
  const devices = devicesOf(name);
  const sentBefore = sum(devices, (d) => d.agent.counters.notificationsSent);
  const startedAt = monotonicMs();
  let raised = 0;
  for (const device of devices) {
    if (device.raise(alarm)) raised++;
    for (let i = 0; i < extraNotifications; i++) alertPresent(device);
  }
  const finishedAt = monotonicMs();
  const notificationsSent = sum(devices, (d) => d.agent.counters.notificationsSent) - sentBefore;
  return { type: 'stormed', id: 0, startedAt, finishedAt, raised, notificationsSent };
}

/** Each device's readings as it first served them, before any drift: what drift moves around. */
const driftBase = new Map<SimDevice, Map<string, number>>();
/** Readings below this are states or small counts (a door's 0/1, a phase's load state): they never drift. */
const DRIFT_FLOOR = 20;
/** Up to this many raw units below the base (0.3 °C, 0.3 %, 3 V): within every default threshold of the simulated kinds. */
const DRIFT_SPAN = 3;

/** Every device's sensor values take a new value near their base, as real sensors do between two scans. */
function drift(name: string): { devices: number; values: number } {
  let values = 0;
  const devices = devicesOf(name);
  for (const device of devices) {
    let base = driftBase.get(device);
    if (!base) {
      base = new Map(device.readings.list().filter((r) => !r.held && r.value >= DRIFT_FLOOR).map((r) => [r.name, r.value]));
      driftBase.set(device, base);
    }
    for (const [reading, value] of base) {
      device.setReading(reading, value - Math.floor(Math.random() * (DRIFT_SPAN + 1)));
      values++;
    }
  }
  return { devices: devices.length, values };
}

function counters(): Record<string, FleetCounters> {
  const result: Record<string, FleetCounters> = {};
  for (const [name, fleet] of fleets) {
    result[name] = {
      requests: sum(fleet.devices, (d) => d.agent.counters.requests),
      notificationsSent: sum(fleet.devices, (d) => d.agent.counters.notificationsSent),
      notificationsDropped: sum(fleet.devices, (d) => d.agent.counters.notificationsDropped),
    };
  }
  return result;
}

function sum(devices: readonly SimDevice[], value: (d: SimDevice) => number): number {
  return devices.reduce((total, d) => total + value(d), 0);
}

async function stopFleets(): Promise<void> {
  await Promise.all([...fleets.values()].map((f) => f.stop()));
  fleets.clear();
  driftBase.clear();
}

async function handle(command: FleetCommand): Promise<FleetReply> {
  switch (command.type) {
    case 'start':
      return { type: 'started', id: command.id, startupMs: await startFleets(command.fleets) };
    case 'change': {
      const device = deviceAt(command.fleet, command.index);
      const at = monotonicMs();
      const changed = command.action === 'raise' ? device.raise(command.alarm) : device.clear(command.alarm);
      return { type: 'changed', id: command.id, at, changed };
    }
    case 'storm':
      return { ...storm(command.fleet, command.alarm, command.extraNotifications), id: command.id };
    case 'clear-all': {
      const cleared = devicesOf(command.fleet).filter((d) => d.clear(command.alarm)).length;
      return { type: 'cleared-all', id: command.id, cleared };
    }
    case 'counters':
      return { type: 'counters', id: command.id, fleets: counters() };
    case 'behave': {
      const devices = devicesIn(command.fleet, command.range);
      for (const device of devices) behave(device, command.behaviour);
      return { type: 'behaved', id: command.id, devices: devices.length };
    }
    case 'drop-rate': {
      const devices = devicesIn(command.fleet, command.range);
      for (const device of devices) device.setDropRate(command.rate);
      return { type: 'drop-rate-set', id: command.id, devices: devices.length };
    }
    case 'notify': {
      const devices = devicesIn(command.fleet, command.range);
      const before = sum(devices, (d) => d.agent.counters.notificationsSent);
      for (const device of devices) alertPresent(device);
      return { type: 'notified', id: command.id, sent: sum(devices, (d) => d.agent.counters.notificationsSent) - before };
    }
    case 'set-reading': {
      const device = deviceAt(command.fleet, command.index);
      const at = monotonicMs();
      let changed = true;
      if (command.value === null) changed = device.clearReading(command.reading);
      else device.setReading(command.reading, command.value);
      if (command.notify) alertPresent(device);
      return { type: 'reading-set', id: command.id, at, changed };
    }
    case 'drift':
      return { type: 'drifted', id: command.id, ...drift(command.fleet) };
    case 'managers':
      return { type: 'managers', id: command.id, managers: command.indexes.map((i) => deviceAt(command.fleet, i).status().managers.map((m) => ({ address: m.address, port: m.port }))) };
    case 'stop':
      await stopFleets();
      return { type: 'stopped', id: command.id };
  }
}

process.on('message', (command: FleetCommand) => {
  handle(command).then(reply, (error: unknown) =>
    reply({ type: 'failed', id: command.id, message: error instanceof Error ? error.message : String(error) }),
  );
});

// Without the parent there is nobody to stop the fleet: close the sockets and leave.
process.on('disconnect', () => {
  void stopFleets().finally(() => process.exit(0));
});
