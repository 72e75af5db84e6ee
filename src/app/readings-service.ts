import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ReadingGaugesPort } from '../metrics/readings.js';
import type { ProfileRegistry } from '../profiles/registry.js';
import { profileNameOf } from '../profiles/resolve.js';
import type { Reading } from '../profiles/schema.js';
import { type ReadingValue } from '../scanning/evaluate.js';
import { compareIndex } from '../scanning/rows.js';
import type { ScannedReadings } from '../scanning/scanner.js';
import type { DeviceRecord } from '../store/devices.js';
import type { ReadingPoint, ReadingSample, StoredReading } from '../store/readings.js';
import type { Store } from '../store/store.js';

/** A row index is an OID suffix the device chooses: longer ones are kept apart by a digest. */
export const MAX_INSTANCE_LENGTH = 128;
/** Device text naming a row: on one line, cut at this many characters. */
export const MAX_LABEL_LENGTH = 128;

export interface ReadingsServiceDeps {
  store: Store;
  profiles: ProfileRegistry;
  clock: Clock;
  log: Logger;
  /** Unlicensed devices are kept, not monitored: their last readings are not current. */
  isMonitored: (deviceId: number) => boolean;
  /** Where /metrics shows the readings of each scan. */
  gauges?: ReadingGaugesPort;
}

/** A series' last value with what its profile says of it. */
export interface DeviceReading extends StoredReading {
  /** From the device's profile; null when the profile no longer names the reading. */
  description: string | null;
  /** Not read by the device's latest successful scan (the row went away, or the last scan failed), or the device is unmonitored. */
  stale: boolean;
}

export interface ReadingHistory {
  series: DeviceReading;
  /** Oldest first, at most the limit asked for. */
  points: ReadingPoint[];
  /** Whether more points follow in the range asked for. */
  more: boolean;
}

export interface HistoryRequest {
  reading: string;
  /** The row's index or label; may be left out when the reading has one series. */
  instance?: string | undefined;
  since: number;
  until: number;
  limit: number;
}

/** The device has no such reading, or no such row of it. */
export class ReadingNotFoundError extends Error {
  override readonly name = 'ReadingNotFoundError';
}

/** The reading has several rows and the request did not say which. */
export class ReadingInstanceRequiredError extends Error {
  override readonly name = 'ReadingInstanceRequiredError';
}

/** Readings a device is current with are those no older than this many of its safety-net intervals. */
const CURRENT_INTERVALS = 2;
/** Rows an error message lists before "…". */
const LISTED_ROWS = 8;

/**
 * What becomes of a scan's readings: stored (last values and history) for the API, and shown in
 * /metrics. A failure to store them is logged and never fails the scan: readings are not alarms.
 */
export class ReadingsService {
  /** Devices already warned about for readings over their series limit, so the log says it once. */
  private readonly warnedFull = new Set<number>();

  constructor(private readonly deps: ReadingsServiceDeps) {}

  record({ device, profile, readings, at }: ScannedReadings): void {
    const units = new Map(profile.readings.map((r) => [r.id, r.unit]));
    const samples = storedSamples(readings, units);
    const states = new Map(profile.readings.filter((r) => r.states).map((r) => [r.id, [...new Set(Object.values(r.states!))]]));
    this.deps.gauges?.show(device.id, {
      device: device.name,
      site: device.site ?? '',
      at,
      readings: samples.map((r) => ({ ...r, states: states.get(r.reading) ?? (r.state === null ? [] : [r.state]) })),
    });
    try {
      const { dropped } = this.deps.store.readings.record(device.id, samples, at);
      if (dropped > 0 && !this.warnedFull.has(device.id)) {
        this.warnedFull.add(device.id);
        this.deps.log.warn({ device: device.name, dropped }, 'device reports more reading rows than priscan keeps; the rest are not stored');
      }
    } catch (error) {
      this.deps.log.error({ device: device.name, err: error }, 'could not store the readings of a scan');
    }
  }

  /** A device's last values, in its profile's order, rows in index order. */
  lastValues(device: DeviceRecord): DeviceReading[] {
    const definitions = this.definitionsOf(device);
    const order = new Map([...definitions.keys()].map((id, i) => [id, i]));
    return this.deps.store.readings
      .last(device.id)
      .sort((a, b) => (order.get(a.reading) ?? order.size) - (order.get(b.reading) ?? order.size) || a.reading.localeCompare(b.reading) || compareIndex(a.instance, b.instance))
      // An unlicensed device is not scanned: what it last read is no longer watched.
      .map((r) => ({ ...r, description: definitions.get(r.reading)?.description ?? null, stale: r.at !== device.state.lastScanAt || !this.deps.isMonitored(device.id) }));
  }

  /** One series' history; throws ReadingNotFoundError or ReadingInstanceRequiredError. */
  history(device: DeviceRecord, request: HistoryRequest): ReadingHistory {
    const all = this.lastValues(device);
    const rows = all.filter((r) => r.reading === request.reading);
    if (rows.length === 0) {
      const names = [...new Set(all.map((r) => r.reading))];
      throw new ReadingNotFoundError(`device ${device.name} has no reading ${request.reading}${names.length ? `; it has ${names.join(', ')}` : ' stored yet'}`);
    }
    const series = pick(device, rows, request.instance);
    const { since, until, limit } = request;
    // One more than a page: whether another page follows.
    const points = this.deps.store.readings.history({ deviceId: device.id, reading: series.reading, instance: series.instance, since, until, limit: limit + 1 }) ?? [];
    return { series, points: points.slice(0, limit), more: points.length > limit };
  }

  /**
   * Of the devices /metrics shows readings of (each with its scan's time), those still current:
   * monitored, not scanned since without success, and scanned within two safety-net intervals.
   */
  stillCurrent(shown: ReadonlyMap<number, number>): Set<number> {
    const now = this.deps.clock.now();
    const scans = this.deps.store.devices.scanTimes();
    const current = new Set<number>();
    for (const [id, at] of shown) {
      const scan = scans.get(id);
      if (scan && scan.lastScanAt === at && at >= now - CURRENT_INTERVALS * scan.intervalSeconds * 1000 && this.deps.isMonitored(id)) current.add(id);
    }
    return current;
  }

  private definitionsOf(device: DeviceRecord): Map<string, Reading> {
    const profile = this.deps.profiles.get(profileNameOf(device) ?? '');
    return new Map((profile?.readings ?? []).map((r) => [r.id, r]));
  }
}

/** The row a request names by index or label, or the only row there is. */
function pick(device: DeviceRecord, rows: DeviceReading[], instance: string | undefined): DeviceReading {
  const listed = () => {
    const names = rows.slice(0, LISTED_ROWS).map((r) => (r.label && r.label !== r.instance ? `${r.instance} (${r.label})` : r.instance));
    return `${names.join(', ')}${rows.length > LISTED_ROWS ? ', …' : ''}`;
  };
  const reading = rows[0]!.reading;
  if (instance === undefined) {
    if (rows.length === 1) return rows[0]!;
    throw new ReadingInstanceRequiredError(`reading ${reading} of device ${device.name} has ${rows.length} rows: name one with instance= (an index or a label): ${listed()}`);
  }
  const byIndex = rows.find((r) => r.instance === instance);
  if (byIndex) return byIndex;
  const byLabel = rows.filter((r) => r.label === instance);
  if (byLabel.length === 1) return byLabel[0]!;
  if (byLabel.length > 1) throw new ReadingInstanceRequiredError(`${byLabel.length} rows of reading ${reading} are labelled ${JSON.stringify(instance)}: name one by its index: ${listed()}`);
  throw new ReadingNotFoundError(`reading ${reading} of device ${device.name} has no row ${JSON.stringify(instance)}; its rows: ${listed()}`);
}

/**
 * A scan's values as they may be stored: each row index and label bounded (device text), each
 * value a finite number, and each series once (the first wins).
 */
export function storedSamples(readings: readonly ReadingValue[], units: ReadonlyMap<string, string>): ReadingSample[] {
  const seen = new Set<string>();
  const samples: ReadingSample[] = [];
  for (const r of readings) {
    const unit = units.get(r.reading);
    if (unit === undefined || !Number.isFinite(r.value)) continue;
    const instance = boundedInstance(r.instance);
    const key = `${r.reading}\u0000${instance}`;
    if (seen.has(key)) continue;
    seen.add(key);
    samples.push({ reading: r.reading, instance, label: boundedLabel(r.label), unit, value: r.value, state: r.state ?? null });
  }
  return samples;
}

function boundedInstance(instance: string): string {
  if (instance.length <= MAX_INSTANCE_LENGTH) return instance;
  // The same long index gives the same key at every scan, and two long ones stay apart.
  return `${instance.slice(0, MAX_INSTANCE_LENGTH - 17)}#${createHash('sha256').update(instance).digest('hex').slice(0, 16)}`;
}

function boundedLabel(label: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = label.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return printable.length > MAX_LABEL_LENGTH ? `${printable.slice(0, MAX_LABEL_LENGTH - 1)}…` : printable;
}
