// Interop: the bundled vendor recordings (Eaton XUPS-MIB, Raritan PDU2-MIB) served by priscan-sim
// and read by Debian's snmpbulkwalk and snmpget, before and after the control API changes them.
// Needs `apt-get install snmp`; skipped with a warning without it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../../simulators/control.js';
import { loadSnmprecFile } from '../../simulators/devices/snmprec.js';
import { Fleet } from '../../simulators/fleet.js';
import { XUPS } from '../../simulators/recordings/eaton-xups.js';
import { bundledRecording } from '../../simulators/recordings/index.js';
import { PDU2, SENSOR_STATE } from '../../simulators/recordings/raritan-pdu2.js';
import { VarType, type VarBind } from '../../src/snmp/message.js';
import { findTool, parseOn, runTool, type PrintedValue } from '../helpers/tools.js';

// This file's devices live on 127.0.196.0/24, on ephemeral ports.
const EATON = '127.0.196.1';
const RARITAN = '127.0.196.2';

const haveTools = ['snmpbulkwalk', 'snmpget'].every((t) => findTool(t));
if (!haveTools) console.warn('test/interop/snmprec-recordings.test.ts: SKIPPED: needs snmpbulkwalk and snmpget, which are not installed (Debian: apt-get install snmp).');

let fleet: Fleet;
let app: FastifyInstance;
let scratch = '';
let env: NodeJS.ProcessEnv = process.env;

const COMMON = ['-v2c', '-c', 'public', '-On', '-Ox', '-m', '', '-t', '1', '-r', '0'];
const target = (address: string) => `${address}:${fleet.get(address)!.agent.port}`;
const bulkwalk = (address: string, root = '.1') => runTool('snmpbulkwalk', [...COMMON, target(address), root], { env });
const get = (address: string, ...oids: string[]) => runTool('snmpget', [...COMMON, target(address), ...oids.map((o) => `.${o}`)], { env });

/** What `-On -Ox` prints for a recorded value (TimeTicks compared by their raw count). */
function printed(vb: VarBind): PrintedValue {
  const hex = (b: Buffer) => [...b].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');
  switch (vb.type) {
    case VarType.Integer:
      return { type: 'INTEGER', value: String(vb.value) };
    case VarType.OctetString:
      return (vb.value as Buffer).length === 0 ? { type: '""', value: '' } : { type: 'Hex-STRING', value: hex(vb.value as Buffer) };
    case VarType.OID:
      return { type: 'OID', value: `.${String(vb.value)}` };
    case VarType.Gauge32:
      return { type: 'Gauge32', value: String(vb.value) };
    case VarType.Counter32:
      return { type: 'Counter32', value: String(vb.value) };
    case VarType.TimeTicks:
      return { type: 'Timeticks', value: `(${String(vb.value)})` };
    default:
      throw new Error(`no printed form for type ${vb.type}`);
  }
}
const ticksRaw = (walk: Map<string, PrintedValue>) =>
  new Map([...walk].map(([oid, v]) => [oid, v.type === 'Timeticks' ? { type: v.type, value: v.value.replace(/^(\(\d+\)).*$/, '$1') } : v]));

const describeTools = haveTools ? describe : describe.skip;

describeTools('bundled recordings read by the net-snmp command-line tools', () => {
  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'priscan-rec-interop-'));
    env = { ...process.env, SNMP_PERSISTENT_DIR: path.join(scratch, 'persist'), SNMPCONFPATH: scratch };
    fleet = new Fleet({
      devices: [
        { kind: 'snmprec', count: 1, recording: { file: 'eaton-xups' } },
        { kind: 'snmprec', count: 1, recording: { file: 'raritan-pdu2' } },
      ],
      baseAddress: EATON,
      port: 0,
    });
    await fleet.start();
    app = buildControlApp(fleet);
    await get(EATON, XUPS.ident.model); // warm-up: net-snmp reports creating its persistent dir once
  });

  afterAll(async () => {
    await app?.close();
    await fleet?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it.each([
    ['eaton-xups', EATON],
    ['raritan-pdu2', RARITAN],
  ])('snmpbulkwalk -v2c -On -m "" .1 of %s prints every recorded value, in order', async (name, address) => {
    const recording = loadSnmprecFile(bundledRecording(name)!);
    const r = await bulkwalk(address);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect([...ticksRaw(parseOn(r.stdout))]).toEqual(recording.map((vb) => [`.${vb.oid}`, printed(vb)]));
  });

  it('snmpget reads an XUPS value the control API changed, and snmpbulkwalk an alarm row it added', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/devices/${EATON}/changes`,
      payload: {
        set: [{ oid: XUPS.battery.capacity, type: 'Integer32', value: 42 }, { oid: XUPS.alarms, type: 'Gauge32', value: 1 }],
        setRows: [{ entry: XUPS.alarmEntry, index: '3', columns: { 1: { type: 'Integer32', value: 3 }, 2: { type: 'ObjectIdentifier', value: XUPS.wellKnownAlarms.lowBattery }, 3: { type: 'TimeTicks', value: 8_640_500 } } }],
      },
    });
    expect(res.statusCode).toBe(200);
    const values = parseOn((await get(EATON, XUPS.battery.capacity, XUPS.alarms)).stdout);
    expect(values.get(`.${XUPS.battery.capacity}`)).toEqual({ type: 'INTEGER', value: '42' });
    expect(values.get(`.${XUPS.alarms}`)).toEqual({ type: 'Gauge32', value: '1' });
    const table = ticksRaw(parseOn((await bulkwalk(EATON, `.${XUPS.alarmEntry}`)).stdout));
    expect([...table]).toEqual([
      [`.${XUPS.alarmEntry}.1.3`, { type: 'INTEGER', value: '3' }],
      [`.${XUPS.alarmEntry}.2.3`, { type: 'OID', value: `.${XUPS.wellKnownAlarms.lowBattery}` }],
      [`.${XUPS.alarmEntry}.3.3`, { type: 'Timeticks', value: '(8640500)' }],
    ]);
    await app.inject({ method: 'DELETE', url: `/devices/${EATON}/rows/${XUPS.alarmEntry}/3` });
    const gone = await bulkwalk(EATON, `.${XUPS.alarmEntry}`);
    expect(gone.stdout).toContain('No Such Object available on this agent at this OID');
  });

  it('snmpget reads a Raritan sensor that crossed its upper critical threshold', async () => {
    const value = `${PDU2.externalSensorMeasurementsEntry}.${PDU2.measurementCol.value}.1.1`;
    const state = `${PDU2.externalSensorMeasurementsEntry}.${PDU2.measurementCol.state}.1.1`;
    const res = await app.inject({
      method: 'POST',
      url: `/devices/${RARITAN}/changes`,
      payload: { set: [{ oid: value, type: 'Integer32', value: 335 }, { oid: state, type: 'Integer32', value: SENSOR_STATE.aboveUpperCritical }] },
    });
    expect(res.statusCode).toBe(200);
    const read = parseOn((await get(RARITAN, value, state)).stdout);
    expect(read.get(`.${value}`)).toEqual({ type: 'INTEGER', value: '335' });
    expect(read.get(`.${state}`)).toEqual({ type: 'INTEGER', value: String(SENSOR_STATE.aboveUpperCritical) });
  });
});
