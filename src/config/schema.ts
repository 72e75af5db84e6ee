import { isIP } from 'node:net';
import { z } from 'zod';
import { alertmanagerConfigSchema } from '../alerting/config.js';
import { PROFILE_NAMES } from '../profiles/types.js';

const ipAddress = z.string().refine((value) => isIP(value) !== 0, { message: 'must be an IPv4 or IPv6 address' });
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

export const deviceSnmpSchema = z
  .object({
    version: z.enum(['1', '2c']).default('2c'),
    readCommunity: secret,
    writeCommunity: secret,
    /** Community the device's notifications carry; defaults to the installation's own. */
    notifyCommunity: notifyCommunity.optional(),
  })
  .strict();

/** A device as an operator declares it, in the config file or the API. */
export const deviceInputSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore, starting with a letter or digit'),
    address: ipAddress,
    port: port.default(161),
    profile: z.enum(['auto', ...PROFILE_NAMES]).default('auto'),
    snmp: deviceSnmpSchema,
    priorityScanning: z.boolean().default(true),
    intervalSeconds: z.number().int().min(60).max(3600).default(300),
    timeoutMs: z.number().int().min(100).max(60_000).default(3000),
    retries: z.number().int().min(0).max(5).default(1),
  })
  .strict();

export type DeviceInput = z.infer<typeof deviceInputSchema>;

/** The one source of priscan's configuration types. */
export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('/var/lib/priscan'),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).strict().default({ level: 'info' }),
    notifications: z
      .object({
        listen: listen({ address: '0.0.0.0', port: 162 }),
        /** At least 4 MiB: the default buffer drops notifications during a storm. */
        receiveBufferBytes: z.number().int().min(65_536).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
        /** Overrides the community generated once per installation. */
        community: notifyCommunity.optional(),
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
    shutdown: z.object({ deadlineMs: z.number().int().min(100).max(120_000).default(10_000) }).strict().default({ deadlineMs: 10_000 }),
    devices: z.array(deviceInputSchema).default([]),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.devices.forEach((device, i) => {
      for (const [field, value] of [['name', device.name], ['address', device.address]] as const) {
        const key = `${field}:${value}`;
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['devices', i, field], message: `duplicates devices.${seen.get(key)}.${field} (${value})` });
        else seen.set(key, i);
      }
    });
  });

export type Config = z.infer<typeof configSchema>;
