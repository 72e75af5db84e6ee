import { z } from 'zod';
import { SEVERITIES } from '../alarms/model.js';
import { placeholders } from './template.js';

// The one schema a device profile file (YAML) is checked against. Profiles are data: adding a
// vendor is a file, not code. Every rule a file can break is written here, once, so that
// `priscan check-config` and start-up report the same thing: the file, the key, what is wrong.

const MAX_ARC = 0xffffffff;

/** A numeric OID without a leading dot; at most 128 arcs. */
export const oidSchema = z.string().regex(/^[0-2](\.\d{1,10}){1,127}$/, 'must be a numeric OID such as 1.3.6.1.2.1.33.1.2.4.0');

/** Identifiers that end up in alarm keys and metric labels: short, no free text. */
export const identifier = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,47}$/, 'letters and digits, starting with a letter, at most 48');

/** A profile's name: what devices and the API refer to it by. */
export const profileNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'lower-case words joined by dashes, e.g. eaton-xups')
  .max(48)
  .refine((name) => name !== 'auto', { message: '"auto" is reserved: it means "choose by sysObjectID"' });

export const REGISTRATION_METHODS = ['hidden-table', 'apc-receiver-table', 'rfc3413'] as const;
export type RegistrationMethodName = (typeof REGISTRATION_METHODS)[number];

/**
 * A stable alarm code (a metric label and Alertmanager's alertname): dotted identifiers.
 * `{column}` may stand for an integer column of the same row, e.g. `sim.{code}`.
 */
const codeTemplate = z
  .string()
  .max(64)
  .regex(/^[a-z][A-Za-z0-9]*(\.([A-Za-z0-9]+|\{[A-Za-z][A-Za-z0-9]*\}))+$/, 'a dotted code such as ups.onBattery (no free text: it is a metric label)');

/**
 * What an operator reads. `{name}` is filled from the row (a column's text, `{label}`, `{index}`,
 * `{value}`, `{flag}`); a list gives alternatives, the first whose placeholders are all filled wins.
 */
const descriptionTemplate = z.union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).min(1).max(4)]);

const severity = z.enum(SEVERITIES);

const meaning = z.object({ severity, code: codeTemplate, description: descriptionTemplate }).strict();
/** A meaning whose severity may come from the source's `severity` mapping instead. */
const meaningNoSeverity = z.object({ severity: severity.optional(), code: codeTemplate, description: descriptionTemplate }).strict();
export type AlarmMeaning = z.infer<typeof meaning>;

/** Keys of value maps: integers as written in YAML, OIDs, or text. */
const valueMap = <T extends z.ZodType>(value: T) => z.record(z.string().min(1).max(256), value);

/** `any`: shown as text whatever its type (labels). */
export const CELL_TYPES = ['integer', 'text', 'oid', 'any'] as const;
export type CellType = (typeof CELL_TYPES)[number];

/** A named column of a table: its number under the entry and the type its cells must hold. */
const columnSpec = z.object({ column: z.number().int().min(1).max(MAX_ARC), type: z.enum(CELL_TYPES) }).strict();
export type ColumnSpec = z.infer<typeof columnSpec>;

/** One test on a cell; a row is active when every test holds. */
const condition = z
  .object({
    column: identifier,
    present: z.boolean().optional(),
    equals: z.union([z.number().int(), z.string()]).optional(),
    in: z.array(z.number().int()).min(1).max(64).optional(),
    notIn: z.array(z.number().int()).min(1).max(64).optional(),
  })
  .strict()
  .refine((c) => [c.present, c.equals, c.in, c.notIn].filter((t) => t !== undefined).length === 1, {
    message: 'give exactly one of present, equals, in, notIn',
  });
export type Condition = z.infer<typeof condition>;

/** A meaning chosen by the value of one column (an OID of a well-known alarm, a type name, a number). */
const lookup = z
  .object({
    lookup: identifier,
    /** Compare text after dropping this prefix (any case), e.g. nbErrorType_. */
    stripPrefix: z.string().min(1).max(64).optional(),
    /** `loose`: compare lower-cased letters and digits only, so TOO-HIGH, TooHigh and toohigh are one key. */
    normalize: z.enum(['exact', 'loose']).default('exact'),
    values: valueMap(meaningNoSeverity),
    /** When no key matches: `{value}` is the cell's text. Absent: such a row is not an alarm. */
    otherwise: meaningNoSeverity.optional(),
  })
  .strict();

/** The alarm's severity from a column of the row (its map's values), overriding the meaning's. */
const severityFrom = z.object({ column: identifier, values: valueMap(severity), otherwise: severity }).strict();

/** Each row of the table (that passes `when`) is one active alarm. */
const alarmTable = z
  .object({
    kind: z.literal('alarm-table'),
    id: identifier,
    table: oidSchema.describe('the table entry OID (…Entry), whose columns are entry.N'),
    columns: z.record(identifier, columnSpec).refine((c) => Object.keys(c).length > 0, { message: 'name at least one column' }),
    when: z.array(condition).max(8).default([]),
    meaning: z.union([meaningNoSeverity, lookup]),
    severity: severityFrom.optional(),
  })
  .strict();

/**
 * A cell of a table row that may sit in another table indexed like it: Raritan keeps each sensor's
 * label and decimal digits in a configuration table beside its measurements. The cell is
 * `table.column.<index>`, where the index is the row's own or, with `indexArcs`, its first arcs
 * (an outlet's name is indexed by pdu.outlet, its sensors by pdu.outlet.sensorType).
 * Without `table`, the row's own table.
 */
const rowCell = z
  .object({
    table: oidSchema.optional(),
    column: z.number().int().min(1).max(MAX_ARC),
    indexArcs: z.number().int().min(1).max(127).optional(),
  })
  .strict();
export type RowCell = z.infer<typeof rowCell>;

/**
 * Which rows of a table count: those whose index arc `indexArc` (1 is the first), or whose integer
 * `cell`, is in (or not in) a list. A table that mixes sensors of several kinds (Raritan's, by
 * sensor type) is read one kind at a time.
 */
const rowFilter = z
  .object({
    indexArc: z.number().int().min(1).max(127).optional(),
    cell: rowCell.optional(),
    in: z.array(z.number().int()).min(1).max(64).optional(),
    notIn: z.array(z.number().int()).min(1).max(64).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if ((f.indexArc === undefined) === (f.cell === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of indexArc, cell' });
    if ((f.in === undefined) === (f.notIn === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of in, notIn' });
  });
export type RowFilter = z.infer<typeof rowFilter>;

/**
 * Which unit of a chain a row belongs to, where several units answer at one address (APC rack
 * PDUs daisy-chained behind one card keep every unit's rows in one rPDU2 table, the unit's number
 * in column 2): the row's index arc `indexArc`, or its integer `cell`. A device with a
 * chainPosition reads only the rows of its unit here; a shadow reads only the sources that have
 * one (the rest are its lead's); a device without a position reads every row.
 */
const chainLocator = z
  .object({
    indexArc: z.number().int().min(1).max(127).optional(),
    cell: rowCell.optional(),
  })
  .strict()
  .refine((l) => (l.indexArc === undefined) !== (l.cell === undefined), { message: 'give exactly one of indexArc, cell' });
export type ChainLocator = z.infer<typeof chainLocator>;

/** Where a row's name comes from, first non-empty text wins; the row index when none has one. */
const labelFrom = z.array(rowCell).min(1).max(4);

/** A row is in alarm while one integer column holds one of `values`. */
const statusColumn = z
  .object({
    kind: z.literal('status-column'),
    id: identifier,
    table: oidSchema,
    column: z.number().int().min(1).max(MAX_ARC),
    /** The column whose text fills `{label}`; the row index when absent or empty. */
    labelColumn: z.number().int().min(1).max(MAX_ARC).optional(),
    /** Instead of labelColumn: cells (of this or another table) whose text fills `{label}`. */
    labelFrom: labelFrom.optional(),
    /** Only these rows are read; every row when absent. */
    rows: rowFilter.optional(),
    /** Where a row names its unit of a chain; see chainLocator. */
    chainPosition: chainLocator.optional(),
    values: valueMap(meaning),
  })
  .strict();

/** A scalar in alarm while it holds one of `values`. */
const scalar = z.object({ kind: z.literal('scalar'), id: identifier, oid: oidSchema, values: valueMap(meaning) }).strict();

/** A string of '0'/'1' flags, flag 1 first; each set flag is an alarm. */
const flags = z
  .object({
    kind: z.literal('flags'),
    id: identifier,
    oid: oidSchema,
    flags: valueMap(meaning),
    /** A set flag not listed: `{flag}` is its number. Absent: unlisted flags are ignored. */
    otherwise: meaning.optional(),
  })
  .strict();

export const alarmSourceSchema = z.discriminatedUnion('kind', [alarmTable, statusColumn, scalar, flags]);
export type AlarmSource = z.infer<typeof alarmSourceSchema>;
export type AlarmTableSource = z.infer<typeof alarmTable>;
export type StatusColumnSource = z.infer<typeof statusColumn>;
export type ScalarSource = z.infer<typeof scalar>;
export type FlagsSource = z.infer<typeof flags>;

/** Units of readings: a closed set, so they can be metric labels. Prometheus base units where there is one. */
export const READING_UNITS = ['percent', 'volts', 'amperes', 'watts', 'volt_amperes', 'hertz', 'celsius', 'seconds', 'state', 'count'] as const;
export type ReadingUnit = (typeof READING_UNITS)[number];

/** A sensor value a device reports: a scalar, or a column of a table (one value per row). */
export const readingSchema = z
  .object({
    id: identifier,
    description: z.string().min(1).max(120),
    oid: oidSchema.optional(),
    table: oidSchema.optional(),
    column: z.number().int().min(1).max(MAX_ARC).optional(),
    /** The column naming each row (a phase number, a sensor label); the row index when absent. */
    labelColumn: z.number().int().min(1).max(MAX_ARC).optional(),
    /** Instead of labelColumn: cells (of this or another table) naming each row, first non-empty wins. */
    labelFrom: labelFrom.optional(),
    /** Only these rows are read; every row when absent. */
    rows: rowFilter.optional(),
    /** Where a row names its unit of a chain; see chainLocator. */
    chainPosition: chainLocator.optional(),
    unit: z.enum(READING_UNITS),
    /** Multiplies the raw value: NetBotz temperatures are in 0.1 °C (0.1), TimeTicks are 0.01 s. */
    scale: z.number().positive().finite().default(1),
    /**
     * A per-row number of decimal digits: the value is raw × scale × 10^-digits. A row whose
     * digits cell is missing or not 0..9 is left out, not guessed.
     */
    decimalDigits: rowCell.optional(),
    /** For unit `state`: what each value means. */
    states: valueMap(z.string().min(1).max(48)).optional(),
    /** Read this reading at least this often (a faster cadence than the safety net), in seconds. */
    intervalSeconds: z.number().int().min(10).max(3600).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const scalarForm = r.oid !== undefined;
    const tableForm = r.table !== undefined || r.column !== undefined;
    if (scalarForm === tableForm) ctx.addIssue({ code: 'custom', message: 'give either oid (a scalar) or table and column' });
    if (tableForm && (r.table === undefined || r.column === undefined)) ctx.addIssue({ code: 'custom', message: 'a table reading needs both table and column' });
    for (const key of ['labelColumn', 'labelFrom', 'rows', 'chainPosition', 'decimalDigits'] as const) {
      if (scalarForm && r[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `only table readings have ${key}` });
    }
    if (r.labelColumn !== undefined && r.labelFrom !== undefined) ctx.addIssue({ code: 'custom', path: ['labelFrom'], message: 'give labelColumn or labelFrom, not both' });
    if ((r.unit === 'state') !== (r.states !== undefined)) ctx.addIssue({ code: 'custom', path: ['states'], message: 'a reading has states exactly when its unit is state' });
  });
export type Reading = z.infer<typeof readingSchema>;

export const THRESHOLD_LEVELS = ['warning', 'critical'] as const;

/** A limit on a reading. `outside: [low, high]` is in violation below low or above high. */
export const thresholdSchema = z
  .object({
    reading: identifier,
    level: z.enum(THRESHOLD_LEVELS),
    above: z.number().finite().optional(),
    below: z.number().finite().optional(),
    outside: z.tuple([z.number().finite(), z.number().finite()]).optional(),
    /** A violation clears only once the value is back past the limit by this much (in the reading's unit). */
    hysteresis: z.number().min(0).finite().default(0),
    /** The value must stay in violation this long before the alarm is raised. */
    forSeconds: z.number().int().min(0).max(86_400).default(0),
  })
  .strict()
  .superRefine((t, ctx) => {
    const given = [t.above, t.below, t.outside].filter((x) => x !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of above, below, outside' });
    if (t.outside && !(t.outside[0] < t.outside[1])) ctx.addIssue({ code: 'custom', path: ['outside'], message: 'outside needs [low, high] with low < high' });
  });
export type Threshold = z.infer<typeof thresholdSchema>;

const profileFields = z
  .object({
    name: profileNameSchema,
    description: z.string().min(1).max(200),
    match: z.object({ sysObjectId: z.array(oidSchema).max(64).default([]) }).strict().default({ sysObjectId: [] }),
    /** How priscan registers itself on the device; `none`: the device is only scanned on the safety net. */
    registration: z.enum([...REGISTRATION_METHODS, 'none']),
    notifications: z
      .object({
        /** Notification OIDs (or prefixes) that mean "scan now"; `any`: every notification from the device. */
        scanOn: z.union([z.literal('any'), z.array(oidSchema).min(1).max(256)]).default('any'),
      })
      .strict()
      .default({ scanOn: 'any' }),
    alarms: z.array(alarmSourceSchema).max(64).default([]),
    readings: z.array(readingSchema).max(128).default([]),
    thresholds: z.array(thresholdSchema).max(256).default([]),
  })
  .strict();

/** A device profile as written in a file. */
export const profileSchema = profileFields.superRefine(checkReferences);

export type ProfileFile = z.input<typeof profileSchema>;
export type Profile = z.infer<typeof profileSchema>;

/** Cross-references a schema of single fields cannot see: ids unique, columns named, placeholders known. */
function checkReferences(p: z.infer<typeof profileFields>, ctx: z.RefinementCtx): void {
  unique(p.alarms.map((a) => a.id), 'alarms', ctx);
  unique(p.readings.map((r) => r.id), 'readings', ctx);
  p.alarms.forEach((source, i) => {
    if (source.kind !== 'alarm-table') return checkSimple(source, i, ctx);
    const named = (column: string, path: (string | number)[]) => {
      if (!(column in source.columns)) ctx.addIssue({ code: 'custom', path: ['alarms', i, ...path], message: `no column named ${column} in columns` });
    };
    source.when.forEach((c, j) => named(c.column, ['when', j, 'column']));
    if (source.severity) named(source.severity.column, ['severity', 'column']);
    const meanings = 'lookup' in source.meaning ? [...Object.values(source.meaning.values), ...(source.meaning.otherwise ? [source.meaning.otherwise] : [])] : [source.meaning];
    if ('lookup' in source.meaning) named(source.meaning.lookup, ['meaning', 'lookup']);
    const known = new Set([...Object.keys(source.columns), 'index', 'label', 'value']);
    for (const m of meanings) {
      if (m.severity === undefined && !source.severity) ctx.addIssue({ code: 'custom', path: ['alarms', i, 'meaning'], message: `${m.code}: give a severity here or a severity mapping for the source` });
      for (const name of placeholders(m.description)) if (!known.has(name)) ctx.addIssue({ code: 'custom', path: ['alarms', i, 'meaning'], message: `unknown placeholder {${name}} in "${m.description}"` });
      for (const name of placeholders(m.code)) {
        if (source.columns[name]?.type !== 'integer') ctx.addIssue({ code: 'custom', path: ['alarms', i, 'meaning'], message: `{${name}} in code ${m.code} must name an integer column (codes are labels: no free text)` });
      }
    }
  });
  const readings = new Set(p.readings.map((r) => r.id));
  p.thresholds.forEach((t, i) => {
    if (!readings.has(t.reading)) ctx.addIssue({ code: 'custom', path: ['thresholds', i, 'reading'], message: `no reading ${t.reading} in this profile` });
  });
}

function checkSimple(source: StatusColumnSource | ScalarSource | FlagsSource, i: number, ctx: z.RefinementCtx): void {
  if (source.kind === 'status-column' && source.labelColumn !== undefined && source.labelFrom !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['alarms', i, 'labelFrom'], message: 'give labelColumn or labelFrom, not both' });
  }
  const values = source.kind === 'flags' ? source.flags : source.values;
  for (const key of Object.keys(values)) {
    if (!/^-?\d+$/.test(key)) ctx.addIssue({ code: 'custom', path: ['alarms', i, source.kind === 'flags' ? 'flags' : 'values', key], message: 'keys are integers' });
  }
  const known = new Set(source.kind === 'flags' ? ['flag'] : source.kind === 'status-column' ? ['label', 'index'] : []);
  const meanings = [...Object.values(values), ...(source.kind === 'flags' && source.otherwise ? [source.otherwise] : [])];
  for (const m of meanings) {
    if (placeholders(m.code).length > 0) ctx.addIssue({ code: 'custom', path: ['alarms', i], message: `code ${m.code}: only alarm tables can fill a code from a column` });
    for (const name of placeholders(m.description)) {
      if (!known.has(name)) ctx.addIssue({ code: 'custom', path: ['alarms', i], message: `unknown placeholder {${name}} in "${m.description}"` });
    }
  }
}

function unique(ids: string[], key: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [key, i, 'id'], message: `id ${id} is used twice` });
    seen.add(id);
  });
}
