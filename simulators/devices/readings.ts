/**
 * A sensor value a simulated device serves. Named by its MIB object (with `.row` where a table has
 * several rows, e.g. `rPDU2PhaseStatusCurrent.2`); values are the object's raw units, as the
 * device puts them on the wire (tenths of an ampere, minutes, TimeTicks), never priscan's.
 */
export interface ReadingSpec {
  name: string;
  /** The instance OID the device serves it at. */
  oid: string;
  /** The values the object's SYNTAX allows, inclusive. */
  range: readonly [number, number];
  /** What the device reports by itself: its nominal value, or what its active alarms make it. */
  simulated: () => number;
}

/** What the control API shows of a reading. */
export interface ReadingStatus {
  name: string;
  oid: string;
  value: number;
  /** True while a value set by hand replaces the simulated one. */
  held: boolean;
}

/** The device has no reading of that name. */
export class UnknownReadingError extends Error {}
/** The value is not one the reading's object can hold. */
export class ReadingValueError extends Error {}

/**
 * A device's readings: each follows the device's alarms until a value is set by hand, which then
 * holds until released. Setting a reading changes what is served, never an alarm: a device's own
 * alarms change through its named alarms (or, for a recording, its values and rows).
 */
export class SimReadings {
  private readonly specs = new Map<string, ReadingSpec>();
  private readonly held = new Map<string, number>();

  /** `owner` names the device in errors; `whenNone` says what to do instead when it has no readings. */
  constructor(
    private readonly owner: string,
    private readonly whenNone = 'none',
  ) {}

  define(spec: ReadingSpec): void {
    this.specs.set(spec.name, spec);
  }

  /** The value served now. */
  value(name: string): number {
    return this.held.get(name) ?? this.spec(name).simulated();
  }

  /** Holds `value` until released; refuses an unknown name or a value the object cannot hold, changing nothing. */
  set(name: string, value: unknown): void {
    const { range } = this.spec(name);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) {
      throw new ReadingValueError(`${name} takes a whole number from ${range[0]} to ${range[1]} (its MIB object's raw units), got ${JSON.stringify(value) ?? String(value)}`);
    }
    this.held.set(name, value);
  }

  /** Returns the reading to its simulated value; false when none was held. */
  release(name: string): boolean {
    this.spec(name);
    return this.held.delete(name);
  }

  list(): ReadingStatus[] {
    return [...this.specs.values()].map((s) => ({ name: s.name, oid: s.oid, value: this.value(s.name), held: this.held.has(s.name) }));
  }

  private spec(name: string): ReadingSpec {
    const spec = this.specs.get(name);
    if (!spec) {
      const names = [...this.specs.keys()];
      throw new UnknownReadingError(`${this.owner} has no reading "${name}"; it has: ${names.length > 0 ? names.join(', ') : this.whenNone}`);
    }
    return spec;
  }
}
