// A table's columns walked side by side: one GETBULK per page carries every column, with the
// same values as walking each column alone. Against simulated devices on loopback, counting
// the requests each way.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../simulators/fleet.js';
import { scanAlarms, specOf } from '../../src/scanning/evaluate.js';
import { builtinProfile as getProfile } from '../helpers/profiles.js';
import type { SnmpRequestObserver } from '../../src/snmp/client.js';
import { NetSnmpClient } from '../../src/snmp/net-snmp-client.js';

// This file's devices live on 127.0.162.0/24.
const PORT = 17302;
const TABLE = '1.3.6.1.4.1.32473.99.1.1';
const ROWS = 45;
const COLUMNS = [2, 3, 4].map((c) => `${TABLE}.${c}`);

let dir: string;
let fleet: Fleet;

/** A recording holding a 45-row, 4-column table (more rows than one GETBULK page) and a scalar after it. */
function recording(): string {
  const lines: string[] = [];
  for (const column of [1, 2, 3, 4]) {
    for (let row = 1; row <= ROWS; row++) {
      const oid = `${TABLE}.${column}.${row}`;
      lines.push(column === 3 ? `${oid}|4|row ${row}` : `${oid}|2|${row * column}`);
    }
  }
  lines.push('1.3.6.1.4.1.32473.99.2.0|66|7');
  const file = join(dir, 'table.snmprec');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function counting() {
  const counts = { get: 0, getnext: 0, getbulk: 0, set: 0 };
  const observer: SnmpRequestObserver = { request: (kind) => counts[kind]++, timeout: () => undefined, retry: () => undefined };
  return { counts, observer };
}

const client = (address: string, version: '1' | '2c', observer?: SnmpRequestObserver) =>
  new NetSnmpClient({ address, port: PORT, version, community: 'public', timeoutMs: 1000, retries: 0 }, observer);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'priscan-walk-'));
  fleet = new Fleet({ devices: [{ kind: 'snmprec', count: 1 }, { kind: 'sim', count: 1 }], baseAddress: '127.0.162.1', port: PORT, snmprecFile: recording() });
  await fleet.start();
});

afterAll(async () => {
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('walking a table by its columns', () => {
  it.each(['2c', '1'] as const)('v%s: gives what walking each column alone gives', async (version) => {
    const session = client(fleet.devices[0]!.address, version);
    try {
      const alone = [];
      for (const oid of COLUMNS) alone.push(await session.subtree(oid));
      const together = await session.columns(COLUMNS);
      expect(together).toEqual(alone);
      expect(together.map((rows) => rows.length)).toEqual([ROWS, ROWS, ROWS]);
      expect(together[1]![44]).toEqual({ oid: `${TABLE}.3.45`, type: 'OctetString', value: Buffer.from('row 45') });
    } finally {
      session.close();
    }
  });

  it('needs a third of the GETBULKs of walking column by column', async () => {
    const alone = counting();
    const together = counting();
    const a = client(fleet.devices[0]!.address, '2c', alone.observer);
    const b = client(fleet.devices[0]!.address, '2c', together.observer);
    try {
      for (const oid of COLUMNS) await a.subtree(oid);
      await b.columns(COLUMNS);
    } finally {
      a.close();
      b.close();
    }
    // 45 rows in pages of 20: three pages for all three columns together, three for each alone.
    expect(together.counts.getbulk).toBe(3);
    expect(alone.counts.getbulk).toBe(9);
  });

  it("scans a device's priority-scanning table in one request", async () => {
    const sim = fleet.devices[1]!;
    for (const alarm of ['onBattery', 'lowBattery', 'fanFailure']) sim.raise(alarm);
    const { counts, observer } = counting();
    const session = client(sim.address, '2c', observer);
    try {
      const alarms = await scanAlarms(specOf(getProfile('priscan-sim')), session);
      expect(alarms.map((a) => a.code).sort()).toEqual(['sim.16', 'sim.2', 'sim.3']);
    } finally {
      session.close();
    }
    expect(counts).toEqual({ get: 0, getnext: 0, getbulk: 1, set: 0 });
  });
});
