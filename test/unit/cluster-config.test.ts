// Config `cluster:`: what a collector needs (id, notification and API addresses), timing mapped
// onto the coordinator's settings, and every combination that cannot work refused by name.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { clusterSettingsOf, notifyEndpoint } from '../../src/cluster/config.js';
import { DEFAULT_CLUSTER_TIMING } from '../../src/cluster/settings.js';
import { licenseCommand } from '../../src/cli/commands/license.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

const postgres = { url: 'postgres://priscan@db.example.net/priscan' };
const cluster = { collectorId: 'collector-1', notifyAddress: '10.0.0.11:162', apiAddress: 'collector-1.example.net:8470' };

function refused(raw: unknown): string {
  try {
    parseConfig(raw, 'test');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('config cluster:', () => {
  it('maps to the coordinator settings, defaults filling the timing not given', () => {
    const config = parseConfig({ store: { postgres }, cluster: { ...cluster, leaseMs: 4000, renewMs: 1000, licenseMac: '02-00-5E-10-20-30' } }, 'test');
    expect(config.cluster).toMatchObject({ ...cluster, licenseMac: '02:00:5e:10:20:30', deviceSyncMs: 5000 });
    const settings = clusterSettingsOf(config.cluster!);
    expect(settings).toMatchObject({ collectorId: 'collector-1', notifyAddr: '10.0.0.11:162', apiAddr: 'collector-1.example.net:8470', leaseMs: 4000, renewMs: 1000 });
    expect(settings.joinGraceMs).toBe(DEFAULT_CLUSTER_TIMING.joinGraceMs);
    expect(notifyEndpoint(config.cluster!)).toEqual({ address: '10.0.0.11', port: 162 });
  });

  it('is absent for a single priscan', () => {
    expect(parseConfig({}, 'test').cluster).toBeUndefined();
  });

  it('refuses cluster mode without store.postgres', () => {
    expect(refused({ cluster })).toMatch(/test: cluster: cluster mode needs store\.postgres/);
  });

  it('refuses what cannot work, naming the key', () => {
    expect(refused({ store: { postgres }, cluster: { ...cluster, collectorId: '-bad' } })).toMatch(/cluster\.collectorId:/);
    expect(refused({ store: { postgres }, cluster: { ...cluster, notifyAddress: 'collector-1:162' } })).toMatch(/cluster\.notifyAddress: must be an IPv4 address and port/);
    expect(refused({ store: { postgres }, cluster: { ...cluster, notifyAddress: '10.0.0.300:162' } })).toMatch(/cluster\.notifyAddress/);
    expect(refused({ store: { postgres }, cluster: { ...cluster, apiAddress: 'no-port' } })).toMatch(/cluster\.apiAddress/);
    expect(refused({ store: { postgres }, cluster: { ...cluster, licenseMac: '00:00:00:00:00:00' } })).toMatch(/cluster\.licenseMac: 00:00:00:00:00:00 is not a usable MAC/);
    expect(refused({ store: { postgres }, cluster: { ...cluster, leaseMs: 4000, renewMs: 3000 } })).toMatch(/cluster: renewMs 3000 must be at most half of leaseMs 4000/);
    expect(refused({ store: { postgres }, cluster: { ...cluster, colectorId: 'typo' } })).toMatch(/cluster: Unrecognized key/);
    expect(refused({ store: { postgres }, cluster, manager: { address: '10.0.0.11' } })).toMatch(/manager: in cluster mode devices are registered with cluster\.notifyAddress/);
    const device = { name: 'ups-1', address: '10.1.2.3', snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } };
    expect(refused({ store: { postgres }, cluster, devices: [device] })).toMatch(/devices: in cluster mode add devices through the API/);
  });
});

describe('priscan license id in cluster mode', () => {
  it("prints the cluster's licenseMac, the MAC keys for the cluster are issued for", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'priscan-cluster-id-'));
    try {
      const file = join(dir, 'priscan.yaml');
      writeFileSync(file, `store: {postgres: {url: '${postgres.url}'}}\ncluster: {collectorId: c1, notifyAddress: '10.0.0.11:162', apiAddress: '10.0.0.11:8470', licenseMac: 02-00-5E-10-20-30}\n`);
      const out = new PassThrough();
      let text = '';
      out.on('data', (d: Buffer) => (text += d));
      expect(await licenseCommand(['id', '--config', file], out)).toBe(0);
      expect(text).toBe('02:00:5e:10:20:30  (interface cluster.licenseMac)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
