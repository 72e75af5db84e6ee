import { z } from 'zod';
import { ALARM_EVENT_KINDS, CLEAR_REASONS, SEVERITIES } from '../alarms/model.js';
import { REGISTRATION_STATES } from '../store/devices.js';
import { HISTORY_PAGE_MAX } from '../store/readings.js';
import { READING_UNITS } from '../profiles/schema.js';
import { chainPositionSchema, communitySnmpSchema, deviceInputSchema, devicePortSchema, leadRefSchema, usmSnmpSchema } from '../config/schema.js';
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS, SECURITY_LEVELS } from '../snmp/usm.js';

// Request and response shapes of the API. Requests are validated with these; responses are
// typed by them (views.ts returns their types) and the OpenAPI document is generated from both.

export const deviceIdParams = z
  .object({ id: z.string().regex(/^[1-9]\d{0,9}$/, 'must be a device id (a positive whole number)').describe('Device id') })
  .strict();

const severity = z.enum(SEVERITIES);
const isoTime = z.string().describe('ISO 8601 time');

export const deviceListQuery = z
  .object({
    status: z.enum(['up', 'down', 'unknown', 'unlicensed']).optional().describe('up: answered its last scan; down: did not; unknown: not scanned yet'),
    profile: z.string().optional().describe('The profile in use (resolved for auto)'),
    site: z.string().max(64).optional().describe('Only devices at this site'),
    severity: severity.optional().describe('Only devices with an active alarm of this severity'),
  })
  .strict();

export const deviceCreateQuery = z
  .object({ dryRun: z.enum(['true', 'false']).optional().describe('true: only test SNMP reachability and report what auto would choose') })
  .strict();

/** Every field optional and without its default: a PATCH must never reset what it does not name. */
function patchOf<T extends z.ZodRawShape>(shape: T) {
  return Object.fromEntries(
    Object.entries(shape).map(([key, field]) => [key, (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType)).optional()]),
  ) as unknown as { [K in keyof T]: z.ZodOptional<T[K] extends z.ZodDefault<infer Inner> ? Inner : T[K]> };
}

/**
 * PATCH snmp: any credential field, merged into the stored ones (communities and v3 passwords are
 * write-only: send them to replace them). A new version starts from nothing of the old one.
 */
export const snmpPatch = z
  .object({
    ...patchOf(communitySnmpSchema.shape),
    ...patchOf(usmSnmpSchema.shape),
    version: z.enum(['1', '2c', '3']).optional(),
  })
  .strict();
export type SnmpPatch = z.infer<typeof snmpPatch>;

/**
 * PATCH body: any device field. `lead` moves a shadow to another lead (or makes a device a shadow:
 * it moves to the lead's address unless the body names one, and stops registering itself); null
 * makes it a device of its own (it then needs an address of its own).
 */
export const deviceUpdateBody = z
  .object({
    ...patchOf(deviceInputSchema.omit({ snmp: true, lead: true, chainPosition: true }).shape),
    snmp: snmpPatch.optional(),
    lead: leadRefSchema.nullable().optional().describe('The device this one is a shadow of (id or name); null: none'),
    chainPosition: chainPositionSchema.nullable().optional().describe("The unit's place behind its address; null: the whole device"),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'send at least one field to change' });

/**
 * Text an operator writes (a comment, a reason): one printable line, since it is shown in
 * terminals and tables. Control characters (escape sequences, line breaks) are refused.
 */
export const operatorText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must be one line of printable text (no control characters)');

export const alarmsQuery = z
  .object({
    severity: severity.optional(),
    device: z.string().min(1).max(64).optional().describe('Device name'),
    since: z.iso.datetime({ offset: true }).optional().describe('Only alarms raised at or after this time'),
  })
  .strict();

export const historyQuery = z
  .object({
    after: z.coerce.number().int().min(0).default(0).describe('Return events with a larger id (for paging and tailing)'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    device: z.string().min(1).max(64).optional().describe('Device name'),
  })
  .strict();

export const streamQuery = z
  .object({ after: z.coerce.number().int().min(0).optional().describe('Replay events after this id first (or send Last-Event-ID)') })
  .strict();

export const deviceView = z.object({
  id: z.number().int(),
  name: z.string(),
  address: z.string().describe('Masked to its last two segments for the partner role'),
  port: z.number().int().optional().describe('Absent for the partner role'),
  snmp: z
    .object({
      version: z.enum(['1', '2c', '3']),
      user: z.string().optional().describe('v3: the USM user'),
      level: z.enum(SECURITY_LEVELS).optional(),
      authProtocol: z.enum(AUTH_PROTOCOLS).optional(),
      privProtocol: z.enum(PRIV_PROTOCOLS).optional(),
      contextName: z.string().optional(),
    })
    .optional()
    .describe('Absent for the partner role; communities and v3 passwords are never returned'),
  timeoutMs: z.number().int().optional(),
  retries: z.number().int().optional(),
  site: z.string().nullable().describe('Where the device stands; null when not set'),
  lead: z.number().int().nullable().describe('A shadow\'s lead: the device it is reached through (its address, port and credentials); null for a device of its own or a lead (or a lead the caller cannot see)'),
  shadows: z.array(z.number().int()).describe('A lead\'s shadows (ids), scanned too when the lead notifies; empty for any other device'),
  chainPosition: z.number().int().nullable().describe('The unit\'s place behind its address (an APC PDU\'s module number); null: the whole device'),
  profile: z.string(),
  resolvedProfile: z.string().nullable(),
  priorityScanning: z.boolean(),
  intervalSeconds: z.number().int(),
  origin: z.enum(['api', 'config']),
  createdAt: isoTime.nullable(),
  monitoring: z.enum(['monitored', 'unmonitored']).describe('unmonitored: not scanned, not registered, no active alarms (see unmonitoredReason)'),
  unmonitoredReason: z.enum(['unlicensed']).nullable().describe('unlicensed: beyond the licensed node count; null while monitored'),
  state: z.object({
    reachable: z.boolean().nullable(),
    lastScanAt: isoTime.nullable(),
    lastScanMs: z.number().nullable(),
    lastError: z.string().nullable(),
    sysObjectId: z.string().nullable(),
    sysDescr: z.string().nullable(),
    registration: z.enum(REGISTRATION_STATES).describe('removed: priscan took its registration off the device (it is no longer monitored); manual: the profile has no registration priscan can write, so the device sends to priscan as configured on it by hand. A shadow shows its lead\'s'),
    registrationError: z.string().nullable(),
    registeredAt: isoTime.nullable(),
    unreachableThroughLead: z
      .boolean()
      .describe('A shadow whose lead does not answer: unreachable through it, with no communication lost alarm of its own (the lead has the one alarm)'),
  }),
});

export const deviceProbeView = z.object({
  dryRun: z.literal(true),
  reachable: z.boolean(),
  sysObjectId: z.string().nullable(),
  sysDescr: z.string().nullable(),
  autoProfile: z.string().nullable().describe('The profile auto would choose; null when none matches'),
  error: z.string().nullable(),
});

export const alarmView = z.object({
  deviceId: z.number().int(),
  device: z.string().nullable(),
  key: z.string(),
  severity,
  code: z.string(),
  description: z.string(),
  raisedAt: isoTime.nullable(),
  acknowledgement: z
    .object({ by: z.string().describe('The API token\'s name'), at: isoTime, comment: z.string() })
    .nullable()
    .describe('Set while an operator has acknowledged the alarm; it stays active until the device clears it'),
  inMaintenance: z.boolean().describe('Raised inside a maintenance window that still runs: stored and shown, but not sent to Alertmanager or webhooks until the window ends'),
  maintenanceWindowId: z.number().int().nullable().describe('The window holding it back, while inMaintenance'),
});

export const eventView = z.object({
  id: z.number().int(),
  kind: z.enum(ALARM_EVENT_KINDS).describe('raise and clear change the active set; ack and unack are an operator acknowledging an active alarm or taking that back'),
  deviceId: z.number().int(),
  device: z.string(),
  key: z.string(),
  severity,
  code: z.string(),
  description: z.string(),
  at: isoTime.nullable(),
  reason: z
    .enum(CLEAR_REASONS)
    .nullable()
    .describe('Only on a clear priscan made itself, without the device clearing the alarm (device removed or no longer monitored); null otherwise'),
  by: z.string().nullable().describe('On ack and unack: the API token\'s name'),
  comment: z.string().nullable().describe('On ack and unack: what the operator wrote'),
});

export const readingHistoryQuery = z
  .object({
    reading: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,47}$/, 'must be a reading id, e.g. temperature').describe('The reading, by its id in the profile'),
    instance: z.string().min(1).max(256).optional().describe('The row, by index or label (GET /api/v1/devices/:id/readings lists them); needed when the reading has several rows'),
    since: z.iso.datetime({ offset: true }).optional().describe('Points at or after this time; default: 24 hours before until'),
    until: z.iso.datetime({ offset: true }).optional().describe('Points before this time; default: now'),
    limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX).default(1000).describe('Points per page, oldest first'),
  })
  .strict()
  .refine((q) => !q.since || !q.until || Date.parse(q.since) < Date.parse(q.until), { message: 'since must be before until', path: ['since'] });

const readingFields = {
  reading: z.string().describe('The reading\'s id in the profile'),
  instance: z.string().describe('The table row\'s index; empty for a scalar'),
  label: z.string().describe('What the row is called (the device\'s label column, else its index); empty for a scalar'),
  unit: z.enum(READING_UNITS),
  description: z.string().nullable().describe('From the profile; null when the profile no longer names the reading'),
};

const readingDevice = z.object({
  id: z.number().int(),
  name: z.string(),
  address: z.string().describe('Masked to its last two segments for the partner role'),
  site: z.string().nullable(),
});

export const readingsView = z.object({
  device: readingDevice,
  readings: z.array(
    z.object({
      ...readingFields,
      value: z.number().describe('In the unit; for a state reading, the raw value'),
      state: z.string().nullable().describe('For a state reading: the state\'s name (null when the profile does not know the value); null otherwise'),
      at: isoTime.describe('When it was read'),
      stale: z.boolean().describe('Not read by the device\'s latest successful scan (the row went away, or the last scan failed), or the device is unmonitored (unlicensed)'),
    }),
  ),
});

export const readingHistoryView = z.object({
  device: readingDevice,
  ...readingFields,
  since: isoTime,
  until: isoTime,
  points: z.array(z.object({ at: isoTime, value: z.number(), state: z.string().nullable() })).describe('Oldest first'),
  next: isoTime.nullable().describe('More points follow: pass this as since= (with the same until=) for the next page'),
});

export const discoveryBody = z
  .object({
    targets: z
      .union([z.string().min(1).max(4096), z.array(z.string().min(1).max(256)).min(1).max(256)])
      .describe('CIDR prefixes (10.1.2.0/24), ranges (10.1.2.10-10.1.2.40 or 10.1.2.10-40) and addresses, v4 or v6, comma-separated or as a list; at most 4096 addresses'),
    port: devicePortSchema.describe('The SNMP port probed, and given to added devices'),
    credentials: z
      .array(z.string().min(1).max(64))
      .max(32)
      .optional()
      .describe('Names of discovery.credentials from the config to try, in order (default: all); secrets never travel in the API'),
    add: z.boolean().default(false).describe('Add the devices a profile matches, within the licensed node count'),
  })
  .strict();

export const discoveryIdParams = z
  .object({
    id: z
      .string()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a discovery id, as POST /api/v1/discovery returned it')
      .describe('Discovery id'),
  })
  .strict();

export const discoveryJobView = z.object({
  id: z.string(),
  state: z.enum(['running', 'done', 'stopped', 'failed']).describe('stopped: the daemon shut down before the discovery ended'),
  targets: z.string(),
  port: z.number().int(),
  credentials: z.array(z.string()).describe('Names of the credentials tried'),
  add: z.boolean(),
  startedAt: isoTime,
  finishedAt: isoTime.nullable(),
  addresses: z.number().int().describe('Addresses in the targets'),
  probed: z.number().int(),
  counts: z.object({ answered: z.number().int(), timeout: z.number().int(), error: z.number().int() }),
  results: z
    .array(
      z.object({
        address: z.string(),
        status: z.enum(['answered', 'error']),
        credential: z.string().nullable().describe('The credential that got the answer, by name'),
        sysObjectId: z.string().nullable(),
        sysName: z.string().nullable(),
        sysDescr: z.string().nullable(),
        profile: z.string().nullable().describe('The profile that matches its sysObjectID; null: none'),
        error: z.string().nullable(),
        admission: z
          .object({
            outcome: z.enum(['added', 'refused', 'exists', 'unmatched']),
            deviceId: z.number().int().nullable(),
            device: z.string().nullable().describe('The name it was added under, or of the device already at its address'),
            reason: z.enum(['license', 'invalid']).nullable().describe('Why it was refused: license: over the licensed node count'),
            message: z.string().nullable(),
          })
          .nullable()
          .describe('With add: what adding it came to'),
      }),
    )
    .describe('Addresses that answered or failed, in address order; silent ones are only counted'),
  error: z.string().nullable(),
});

export type DeviceView = z.infer<typeof deviceView>;
export type DiscoveryJobView = z.infer<typeof discoveryJobView>;
export type AlarmView = z.infer<typeof alarmView>;
export type EventView = z.infer<typeof eventView>;
export type ReadingsView = z.infer<typeof readingsView>;
export type ReadingHistoryView = z.infer<typeof readingHistoryView>;
