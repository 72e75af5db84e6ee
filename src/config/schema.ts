import { z } from 'zod';
import { alertmanagerConfigSchema } from '../alerting/config.js';
import { identifier, oidSchema, profileNameSchema, THRESHOLD_LEVELS } from '../profiles/schema.js';
import { SEVERITIES } from '../alarms/model.js';
import { storeConfigSchema } from '../store/config.js';
import { clusterConfigSchema } from '../cluster/config.js';
import { webhooksConfigSchema } from '../webhooks/config.js';
import { canonicalAddress, NOT_AN_ADDRESS } from '../snmp/address.js';
import { AUTH_PROTOCOLS, checkUser, DES_UNAVAILABLE, desAvailable, MIN_PASSWORD_LENGTH, PRIV_PROTOCOLS, SECURITY_LEVELS } from '../snmp/usm.js';

/** An IP address, kept in its one canonical spelling (see canonicalAddress): `::ffff:10.0.0.5` is 10.0.0.5. */
const ipAddress = z.string().transform((value, ctx) => {
  const canonical = canonicalAddress(value);
  if (canonical !== undefined) return canonical;
  ctx.addIssue({ code: 'custom', message: NOT_AN_ADDRESS });
  return z.NEVER;
});
const port = z.number().int().min(1).max(65535);
/** SNMP communities and other secrets: never logged, never returned by the API. */
const secret = z.string().min(1).max(64);
/**
 * The community a device puts on its notifications. It is written into every registration, and APC
 * cards hold at most 15 characters in mconfigTrapReceiverTable's communityString.
 */
export const NOTIFY_COMMUNITY_MAX = 15;
const notifyCommunity = z
  .string()
  .min(1)
  .max(NOTIFY_COMMUNITY_MAX, { message: `must be at most ${NOTIFY_COMMUNITY_MAX} characters (APC cards store no more)` });

const listen = (defaults: { address: string; port: number }) =>
  z
    .object({ address: ipAddress.default(defaults.address), port: z.number().int().min(0).max(65535).default(defaults.port) })
    .strict()
    .default(defaults);

/** A site's name: short, no free text (it is a metric label). */
export const siteSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash and underscore, at most 64');

/** v1 and v2c: communities. */
export const communitySnmpSchema = z
  .object({
    version: z.enum(['1', '2c']).default('2c'),
    readCommunity: secret,
    writeCommunity: secret,
    /** Community the device's notifications carry; defaults to the installation's own. */
    notifyCommunity: notifyCommunity.optional(),
  })
  .strict();

const usmPassword = z.string().min(MIN_PASSWORD_LENGTH, { message: `must be at least ${MIN_PASSWORD_LENGTH} characters (RFC 3414)` }).max(128);

/**
 * v3: one USM user, used for scans and registration (so it needs write access) and expected on
 * the device's v3 notifications.
 */
export const usmSnmpSchema = z
  .object({
    version: z.literal('3'),
    user: z.string().min(1).max(32),
    level: z.enum(SECURITY_LEVELS),
    authProtocol: z.enum(AUTH_PROTOCOLS).optional(),
    authPassword: usmPassword.optional(),
    privProtocol: z.enum(PRIV_PROTOCOLS).optional(),
    privPassword: usmPassword.optional(),
    /** SNMPv3 context of the device's MIB; most agents use the default (empty) one. */
    contextName: z.string().max(32).optional(),
  })
  .strict()
  .superRefine((usm, ctx) => {
    const problem = checkUser({ name: usm.user, ...usm });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    if (usm.level === 'noAuthNoPriv' && (usm.authProtocol || usm.privProtocol)) ctx.addIssue({ code: 'custom', message: 'noAuthNoPriv takes no authProtocol or privProtocol' });
    if (usm.level === 'authNoPriv' && usm.privProtocol) ctx.addIssue({ code: 'custom', path: ['privProtocol'], message: 'authNoPriv takes no privProtocol' });
    if (usm.level === 'authPriv' && usm.privProtocol === 'des' && !desAvailable()) ctx.addIssue({ code: 'custom', path: ['privProtocol'], message: DES_UNAVAILABLE });
  });

/** Version defaults to 2c, as it did before v3 existed. */
export const deviceSnmpSchema = z.preprocess(
  (value) => (value && typeof value === 'object' && !('version' in value) ? { ...value, version: '2c' } : value),
  z.discriminatedUnion('version', [communitySnmpSchema, usmSnmpSchema]),
);
export type DeviceSnmpInput = z.infer<typeof deviceSnmpSchema>;

export const deviceNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore, starting with a letter or digit');

/** A device's SNMP port: 161 unless it says otherwise. */
export const devicePortSchema = port.default(161);

/** The lead a shadow is reached through: a device's name, or (API) its id. */
export const leadRefSchema = z.union([z.number().int().min(1), deviceNameSchema]);

/** A unit's place behind one address (an APC PDU's module number in its daisy chain). */
export const chainPositionSchema = z.number().int().min(1).max(255);

/**
 * A device as an operator declares it, in the config file or the API. A shadow (`lead` set) is
 * reached through its lead: its address, port and credentials are the lead's, so it leaves them
 * out (or gives the lead's address and port), and priscan registers on the lead only. Any other
 * device needs its address and snmp.
 */
export const deviceInputSchema = z
  .object({
    name: deviceNameSchema,
    /** Needed unless `lead` is given. */
    address: ipAddress.optional(),
    /** Default: the lead's for a shadow, else 161. */
    port: port.optional(),
    /** A loaded profile's name (checked against the profiles at start-up), or auto. */
    profile: z.union([z.literal('auto'), profileNameSchema]).default('auto'),
    /** Needed unless `lead` is given; a shadow uses its lead's. */
    snmp: deviceSnmpSchema.optional(),
    /** Default true (false for a shadow, which may not register itself). */
    priorityScanning: z.boolean().optional(),
    intervalSeconds: z.number().int().min(60).max(3600).default(300),
    timeoutMs: z.number().int().min(100).max(60_000).default(3000),
    retries: z.number().int().min(0).max(5).default(1),
    /** Where the device stands (a data center, a room): thresholds can be set per site. Default for a shadow: its lead's. */
    site: siteSchema.optional(),
    /** The device this one is a shadow of (a name; the API also takes an id). */
    lead: leadRefSchema.optional(),
    /** The unit's place behind its address; a shadow needs one. */
    chainPosition: chainPositionSchema.optional(),
  })
  .strict();

export type DeviceInput = z.infer<typeof deviceInputSchema>;

/**
 * What a device input lacks or contradicts on its own (before any lead is looked up), with the
 * field it is about: a device of its own needs an address and credentials; a shadow takes its
 * lead's credentials and never registers itself.
 */
export function deviceInputProblem(input: DeviceInput): { field: keyof DeviceInput; message: string } | undefined {
  if (input.lead === undefined) {
    if (input.address === undefined) return { field: 'address', message: 'is needed (unless lead names the device this one is a shadow of)' };
    if (input.snmp === undefined) return { field: 'snmp', message: 'is needed (unless lead names the device this one is a shadow of)' };
    return undefined;
  }
  if (input.snmp !== undefined) return { field: 'snmp', message: "a shadow is reached with its lead's credentials: leave snmp out (change them on the lead)" };
  if (input.priorityScanning === true) return { field: 'priorityScanning', message: 'a shadow does not register itself: priscan registers on its lead only' };
  if (input.chainPosition === undefined) return { field: 'chainPosition', message: "a shadow needs its chainPosition: the unit's place behind its lead's address" };
  return undefined;
}

const oid = oidSchema;
const statusValues = z.array(z.number().int()).min(1).max(64);

/** A table net-snmp devices are scanned for on every notification, beside the profile's own. */
export const statusTableSchema = z
  .object({
    /** Part of each alarm's key: letters and digits, unique among the tables. */
    id: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,31}$/, 'letters and digits, starting with a letter, at most 32'),
    entry: oid,
    statusColumn: z.number().int().min(1).max(0xffffffff),
    alarmValues: statusValues.optional(),
    normalValues: statusValues.optional(),
    labelColumn: z.number().int().min(1).max(0xffffffff).optional(),
    severity: z.enum(SEVERITIES).default('warning'),
    code: z.string().regex(/^[a-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+$/, 'a dotted code such as site.upsFault (no free text: it is a metric label)'),
    description: z.string().min(1).max(200),
  })
  .strict()
  .refine((t) => (t.alarmValues === undefined) !== (t.normalValues === undefined), { message: 'give alarmValues or normalValues, not both' });

/** A credential discovery tries: probes read with it, and devices it adds keep it (so it needs write access to register). */
export const discoveryCredentialSchema = z
  .object({
    /** What the API, the CLI and results call it; the secrets never leave the config. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash and underscore, starting with a letter or digit, at most 64'),
    snmp: deviceSnmpSchema,
  })
  .strict();

const DISCOVERY_DEFAULTS = { credentials: [], concurrency: 16, ratePerSecond: 50, timeoutMs: 1000, retries: 1 };

/** Finding devices on a range of addresses: which credentials to try, and how hard to knock. */
export const discoverySchema = z
  .object({
    credentials: z.array(discoveryCredentialSchema).max(32).default([]),
    /** Addresses probed at once. */
    concurrency: z.number().int().min(1).max(256).default(DISCOVERY_DEFAULTS.concurrency),
    /** Requests sent per second, retries included: a sweep never floods a network. */
    ratePerSecond: z.number().int().min(1).max(10_000).default(DISCOVERY_DEFAULTS.ratePerSecond),
    /** One request's wait for an answer; most addresses of a sweep never answer, so shorter than a device's. */
    timeoutMs: z.number().int().min(100).max(60_000).default(DISCOVERY_DEFAULTS.timeoutMs),
    retries: z.number().int().min(0).max(5).default(DISCOVERY_DEFAULTS.retries),
  })
  .strict()
  .superRefine((discovery, ctx) => {
    const seen = new Map<string, number>();
    discovery.credentials.forEach((credential, i) => {
      const first = seen.get(credential.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['credentials', i, 'name'], message: `duplicates discovery.credentials.${first}.name (${credential.name})` });
      else seen.set(credential.name, i);
    });
  })
  .default(DISCOVERY_DEFAULTS);
export type DiscoveryConfig = z.infer<typeof discoverySchema>;

const limit = z.number().finite();

/** What an operator threshold sets, whatever it is set on (config entry, API body). */
export const thresholdSettingsShape = {
  /** A reading's id in the profile (e.g. temperature); checked against the loaded profiles. */
  reading: identifier,
  level: z.enum(THRESHOLD_LEVELS),
  /** One row of a table reading, by its label or its index; absent: every row. */
  instance: z.string().min(1).max(128).optional(),
  above: limit.optional(),
  below: limit.optional(),
  /** In violation below the first or above the second. */
  outside: z.tuple([limit, limit]).optional(),
  /** Removes the inherited threshold of this reading and level (for the one row, with instance). */
  disabled: z.literal(true).optional(),
  /** Absent: kept from the threshold replaced. */
  hysteresis: limit.min(0, { message: "must be 0 or more (in the reading's unit)" }).optional(),
  forSeconds: z.number().int().min(0).max(86_400).optional(),
  /** Scan the devices it applies to at least this often: a faster cadence than their safety net. */
  intervalSeconds: z.number().int().min(10).max(3600).optional(),
};

type ThresholdSettingsInput = { [K in keyof typeof thresholdSettingsShape]?: z.infer<(typeof thresholdSettingsShape)[K]> };

/** The rules a threshold's fields must keep together: one limit, a band the right way up. */
export function checkThresholdSettings(t: ThresholdSettingsInput, ctx: z.RefinementCtx): void {
  const limits = [t.above, t.below, t.outside, t.disabled].filter((x) => x !== undefined).length;
  if (limits !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of above, below, outside, or disabled: true' });
  if (t.outside && !(t.outside[0] < t.outside[1])) ctx.addIssue({ code: 'custom', path: ['outside'], message: 'outside needs [low, high] with low < high' });
  if (t.disabled && (t.hysteresis !== undefined || t.forSeconds !== undefined || t.intervalSeconds !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['disabled'], message: 'disabled: true removes the threshold, so it takes no hysteresis, forSeconds or intervalSeconds' });
  }
}

/**
 * A threshold an operator sets on top of the profiles' defaults: on every device of a profile, of
 * a site, or on one device (the most specific wins). Checked against the loaded profiles at start.
 */
export const thresholdOverrideSchema = z
  .object({
    profile: profileNameSchema.optional(),
    site: siteSchema.optional(),
    /** A device's name. */
    device: deviceNameSchema.optional(),
    ...thresholdSettingsShape,
  })
  .strict()
  .superRefine((t, ctx) => {
    const targets = [t.profile, t.site, t.device].filter((x) => x !== undefined).length;
    if (targets !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of profile, site, device: what the threshold is set on' });
    checkThresholdSettings(t, ctx);
  });
export type ThresholdOverrideInput = z.infer<typeof thresholdOverrideSchema>;

const READINGS_DEFAULTS = { retentionHours: 48, minPointIntervalSeconds: 10, unchangedPointIntervalSeconds: 900 };

/** Sensor readings: how long their history is kept, and how densely it is written. */
export const readingsSchema = z
  .object({
    /** History kept for the API and charts; older points are pruned automatically. */
    retentionHours: z.number().int().min(24).max(720).default(READINGS_DEFAULTS.retentionHours),
    /** At most one history point per reading and row this often, however often scans run. */
    minPointIntervalSeconds: z.number().int().min(1).max(3600).default(READINGS_DEFAULTS.minPointIntervalSeconds),
    /** An unchanged value is written again this often, so a chart shows the reading is alive. */
    unchangedPointIntervalSeconds: z.number().int().min(60).max(86_400).default(READINGS_DEFAULTS.unchangedPointIntervalSeconds),
  })
  .strict()
  .refine((r) => r.unchangedPointIntervalSeconds >= r.minPointIntervalSeconds, {
    path: ['unchangedPointIntervalSeconds'],
    message: 'must be at least minPointIntervalSeconds',
  })
  .default(READINGS_DEFAULTS);

/** The one source of priscan's configuration types. */
export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('/var/lib/priscan'),
    /** Where the state is kept: SQLite in dataDir (the default), or PostgreSQL for collectors sharing one database. */
    store: storeConfigSchema,
    /** One of several collectors sharing the PostgreSQL store (docs/scale-out.md); absent: a single priscan. */
    cluster: clusterConfigSchema.optional(),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).strict().default({ level: 'info' }),
    notifications: z
      .object({
        listen: listen({ address: '0.0.0.0', port: 162 }),
        /** At least 4 MiB: the default buffer drops notifications during a storm. */
        receiveBufferBytes: z.number().int().min(65_536).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
        /** Overrides the community generated once per installation. */
        community: notifyCommunity.optional(),
        /** Overrides the SNMPv3 engine ID generated once per installation (hex, 5 to 32 bytes). */
        engineId: z
          .string()
          .regex(/^(?:[0-9a-fA-F]{2}){5,32}$/, 'must be 5 to 32 bytes written as hex digits, e.g. 80007ed905a1b2c3d4e5')
          .transform((hex) => hex.toLowerCase())
          .optional(),
      })
      .strict()
      .default({ listen: { address: '0.0.0.0', port: 162 }, receiveBufferBytes: 4 * 1024 * 1024 }),
    manager: z
      .object({
        /** Address written into devices; default: the local address the OS uses to reach each device. */
        address: ipAddress.optional(),
        /** Port written into devices; default: the notification listener's port. */
        port: port.optional(),
      })
      .strict()
      .default({}),
    scanning: z
      .object({ concurrency: z.number().int().min(1).max(1024).default(32) })
      .strict()
      .default({ concurrency: 32 }),
    registration: z
      .object({ intervalSeconds: z.number().int().min(60).max(86_400).default(3600) })
      .strict()
      .default({ intervalSeconds: 3600 }),
    http: z
      .object({
        listen: listen({ address: '127.0.0.1', port: 8470 }),
        /** Puts /metrics behind an API token (any role); Prometheus then sends it as a bearer token. */
        metricsRequireToken: z.boolean().default(false),
      })
      .strict()
      .default({ listen: { address: '127.0.0.1', port: 8470 }, metricsRequireToken: false }),
    licensing: z
      .object({
        /** The interface whose MAC identifies this server; default: the first non-internal one. */
        interface: z.string().min(1).max(64).optional(),
        /** File holding the issuer secret that license keys are verified with. */
        issuerSecretFile: z.string().min(1).optional(),
        /** Or the environment variable holding it. */
        issuerSecretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
      })
      .strict()
      .refine((l) => !(l.issuerSecretFile && l.issuerSecretEnv), { message: 'set issuerSecretFile or issuerSecretEnv, not both' })
      .default({}),
    alertmanager: alertmanagerConfigSchema,
    /** Alarms posted as signed JSON to these URLs (sites without Alertmanager). */
    webhooks: webhooksConfigSchema,
    profiles: z
      .object({
        /** A directory of profile files (*.yaml) beside the built-in ones; a file named like a built-in replaces it. */
        directory: z.string().min(1).optional(),
        netSnmp: z
          .object({ tables: z.array(statusTableSchema).max(64).default([]) })
          .strict()
          .default({ tables: [] }),
      })
      .strict()
      .default({ netSnmp: { tables: [] } }),
    discovery: discoverySchema,
    readings: readingsSchema,
    shutdown: z.object({ deadlineMs: z.number().int().min(100).max(120_000).default(10_000) }).strict().default({ deadlineMs: 10_000 }),
    devices: z.array(deviceInputSchema).default([]),
    thresholds: z.array(thresholdOverrideSchema).max(1024).default([]),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.cluster && !config.store.postgres) {
      ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'cluster mode needs store.postgres: the collectors share one PostgreSQL database (docs/scale-out.md)' });
    }
    if (config.cluster && (config.manager.address !== undefined || config.manager.port !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['manager'], message: 'in cluster mode devices are registered with cluster.notifyAddress: remove manager.address and manager.port' });
    }
    // Every collector would add them at once; the devices table is shared, so they come from the API.
    if (config.cluster && config.devices.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['devices'], message: 'in cluster mode add devices through the API (priscan devices add): the collectors share one devices table' });
    }
    const ids = new Set<string>();
    config.profiles.netSnmp.tables.forEach((table, i) => {
      if (ids.has(table.id)) ctx.addIssue({ code: 'custom', path: ['profiles', 'netSnmp', 'tables', i, 'id'], message: `table id ${table.id} is used twice` });
      ids.add(table.id);
    });
    const seen = new Map<string, number>();
    const declared = new Map(config.devices.map((device, i) => [device.name, { device, i }]));
    config.devices.forEach((device, i) => {
      // Shadows share their lead's address.
      const unique = device.lead === undefined ? ([['name', device.name], ['address', device.address]] as const) : ([['name', device.name]] as const);
      for (const [field, value] of unique) {
        const key = `${field}:${value}`;
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['devices', i, field], message: `duplicates devices.${seen.get(key)}.${field} (${value})` });
        else seen.set(key, i);
      }
      const problem = deviceInputProblem(device) ?? leadProblem(device, declared);
      if (problem) ctx.addIssue({ code: 'custom', path: ['devices', i, problem.field], message: problem.message });
    });
    const thresholdKeys = new Map<string, number>();
    config.thresholds.forEach((t, i) => {
      const key = JSON.stringify([t.profile, t.site, t.device, t.reading, t.level, t.instance]);
      const first = thresholdKeys.get(key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['thresholds', i], message: `sets the same reading, level and instance on the same target as thresholds.${first}` });
      else thresholdKeys.set(key, i);
    });
  });

export type Config = z.infer<typeof configSchema>;

/** A config shadow's lead: named (ids belong to the API), not itself, not a shadow (leads are one level deep, so no cycle). */
function leadProblem(device: DeviceInput, declared: ReadonlyMap<string, { device: DeviceInput; i: number }>): { field: 'lead'; message: string } | undefined {
  const lead = device.lead;
  if (lead === undefined) return undefined;
  if (typeof lead === 'number') return { field: 'lead', message: 'name the lead device (ids are for the API)' };
  if (lead === device.name) return { field: 'lead', message: `${lead} cannot be its own lead` };
  const other = declared.get(lead);
  if (other?.device.lead !== undefined) {
    return { field: 'lead', message: `${lead} is itself a shadow (devices.${other.i}.lead): a lead has no lead (leads are one level deep)` };
  }
  return undefined;
}
