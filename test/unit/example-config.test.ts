import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { configSchema, deviceInputSchema } from '../../src/config/schema.js';
import { parse } from 'yaml';

const FILE = resolve(import.meta.dirname, '../../config/priscan.example.yaml');
const text = readFileSync(FILE, 'utf8');

/** Every key path of a zod object schema, through defaults, optionals, refinements and arrays. */
function keyPaths(schema: z.ZodType, prefix = ''): string[] {
  let inner: z.ZodType = schema;
  for (;;) {
    if (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
    // A preprocess is a pipe from a transform to the schema that matters.
    else if (inner instanceof z.ZodPipe) inner = (inner.in instanceof z.ZodTransform ? inner.out : inner.in) as z.ZodType;
    else break;
  }
  if (inner instanceof z.ZodArray) return keyPaths(inner.element as z.ZodType, prefix);
  if (inner instanceof z.ZodUnion) return [...new Set((inner.options as z.ZodType[]).flatMap((option) => keyPaths(option, prefix)))];
  if (!(inner instanceof z.ZodObject)) return [];
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, field]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    // Records (static labels) have free keys: the record itself is what is documented.
    return [path, ...keyPaths(field, path)];
  });
}

/**
 * The file with every commented-out option turned on: a commented line that is a YAML key
 * (lower-case name and a colon) or a list item loses its "# "; prose comments stay comments.
 */
function uncommented(): string {
  return text
    .split('\n')
    // An empty list shown as the default gives way to its commented example.
    .filter((line) => !/^\s*(devices|tables|webhooks|thresholds): \[\]$/.test(line))
    .map((line) => line.replace(/^(manager|licensing|store): \{\}$/, '$1:'))
    .map((line) => line.replace(/^(\s*)# ((?:\s*)(?:[a-z][A-Za-z0-9]*:(?: |$)|- ))/, '$1$2'))
    .join('\n');
}

describe('config/priscan.example.yaml', () => {
  it('loads as it ships', () => {
    expect(() => loadConfig(FILE)).not.toThrow();
  });

  it('shows the defaults the schema has', () => {
    const fromFile = loadConfig(FILE);
    expect(fromFile).toEqual(parseConfig({}, 'defaults'));
  });

  it('documents every option of the schema (an option added without documentation fails here)', () => {
    const paths = keyPaths(configSchema as unknown as z.ZodType);
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) {
      const key = path.split('.').at(-1)!;
      expect(text, `config key ${path}`).toMatch(new RegExp(`^[\\s#]*-?\\s*${key}:`, 'm'));
    }
    for (const key of Object.keys(deviceInputSchema.shape)) expect(text, `device key ${key}`).toMatch(new RegExp(`#\\s+-?\\s*${key}:`));
  });

  it('still parses with every commented example turned on', () => {
    const raw = parse(uncommented()) as Record<string, unknown>;
    expect(Object.keys(raw)).toEqual(expect.arrayContaining(['alertmanager', 'devices', 'licensing', 'manager', 'store', 'webhooks']));
    const { issuerSecretFile: _file, issuerSecretEnv: _env, ...licensing } = raw.licensing as Record<string, unknown>;
    // The URL and its alternative (host, port, database, user) cannot both be on.
    const { host: _host, port: _port, database: _database, user: _user, ...postgres } = (raw.store as { postgres: Record<string, unknown> }).postgres;
    const config = parseConfig({ ...raw, licensing, store: { postgres } }, 'example, uncommented');
    expect(config.store.postgres).toEqual({ url: 'postgres://priscan@db.example.net:5432/priscan?sslmode=verify-full', passwordEnv: 'PRISCAN_PG_PASSWORD', timeoutMs: 10_000 });
    expect(config.alertmanager?.urls).toEqual(['http://127.0.0.1:9093']);
    expect(config.devices[0]).toMatchObject({ name: 'ups-a1', address: '10.1.2.3', snmp: { version: '2c' }, intervalSeconds: 300 });
    expect(config.notifications.community).toBe('change-me-15chr');
    expect(config.profiles.netSnmp.tables.map((t) => t.id)).toEqual(['extTable', 'hrDevice']);
    expect(config.webhooks).toEqual([expect.objectContaining({ name: 'noc', secretEnv: 'PRISCAN_WEBHOOK_NOC', severities: ['warning', 'critical'], sites: ['dc1'] })]);
    expect(config.thresholds.map((t) => t.profile ?? t.site ?? t.device)).toEqual(['apc-ups', 'dc-east', 'dc-east', 'ups-a1']);
  });
});
