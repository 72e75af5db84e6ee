// Interop check of mibs/PRISCAN-SIM-MIB against net-snmp's MIB parser, and of
// its OIDs against the constants in src/profiles/oids.ts, so the two cannot
// drift apart. Needs snmptranslate (Debian: apt-get install snmp); skipped
// without it.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRISCAN_SIM } from '../../src/profiles/oids.js';

const execFileAsync = promisify(execFile);

const repoRoot = path.resolve(import.meta.dirname, '../..');
const MODULE = 'PRISCAN-SIM-MIB';

const haveSnmptranslate = (() => {
  const probe = spawnSync('snmptranslate', ['-V'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
})();

if (!haveSnmptranslate) {
  console.warn(
    'test/interop/mib.test.ts: SKIPPED: the PRISCAN-SIM-MIB interop test needs net-snmp tools, ' +
      'which are not installed (snmptranslate not found on PATH; install them with: apt-get install snmp).',
  );
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

// A private net-snmp persistent directory and config path: keeps the test
// away from /var/lib/snmp and from local snmp.conf files. net-snmp prints
// "Created directory: ..." on stderr the first time it uses a persistent
// directory, so beforeAll makes one warm-up run before any stderr is checked.
let scratch = '';
let snmpEnv: NodeJS.ProcessEnv = process.env;

async function snmptranslate(args: string[]): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileAsync('snmptranslate', args, {
      cwd: repoRoot,
      env: snmpEnv,
      encoding: 'utf8',
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Numeric OID of MODULE::name, without net-snmp's leading dot. */
async function numericOid(name: string): Promise<string> {
  const r = await snmptranslate(['-M', '+mibs', '-m', MODULE, '-On', `${MODULE}::${name}`]);
  expect(r.stderr, `stderr translating ${name}`).toBe('');
  expect(r.code, `exit code translating ${name}`).toBe(0);
  return r.stdout.trim().replace(/^\./, '');
}

const REG_COLUMNS: Record<keyof typeof PRISCAN_SIM.regCol, string> = {
  address: 'priscanRegAddress',
  port: 'priscanRegPort',
  community: 'priscanRegCommunity',
  version: 'priscanRegVersion',
  notifyType: 'priscanRegNotifyType',
  rowStatus: 'priscanRegRowStatus',
};

const ALARM_COLUMNS: Record<keyof typeof PRISCAN_SIM.alarmCol, string> = {
  index: 'priscanAlarmIndex',
  severity: 'priscanAlarmSeverity',
  code: 'priscanAlarmCode',
  descr: 'priscanAlarmDescr',
  raisedAt: 'priscanAlarmRaisedAt',
};

/**
 * MIB object name, what to append to its numeric OID (a scalar's instance
 * suffix), and the OID src/profiles/oids.ts says the result is.
 */
const expected: [name: string, suffix: string, oid: string][] = [
  ['priscanSimMIB', '', PRISCAN_SIM.module],
  ['priscanAlertPresent', '', PRISCAN_SIM.alertPresent],
  ['priscanRegEntry', '', PRISCAN_SIM.regEntry],
  ['priscanAlarmsPresent', '.0', PRISCAN_SIM.alarmsPresent],
  ['priscanAlarmEntry', '', PRISCAN_SIM.alarmEntry],
  ['priscanSimProducts', '', PRISCAN_SIM.products],
  ['priscanSimDevice', '', PRISCAN_SIM.productSim],
  ['priscanSimUps', '', PRISCAN_SIM.productUps],
  ['priscanSimRecording', '', PRISCAN_SIM.productSnmprec],
  ...Object.entries(PRISCAN_SIM.regCol).map(([key, col]): [string, string, string] => [
    REG_COLUMNS[key as keyof typeof REG_COLUMNS],
    '',
    `${PRISCAN_SIM.regEntry}.${col}`,
  ]),
  ...Object.entries(PRISCAN_SIM.alarmCol).map(([key, col]): [string, string, string] => [
    ALARM_COLUMNS[key as keyof typeof ALARM_COLUMNS],
    '',
    `${PRISCAN_SIM.alarmEntry}.${col}`,
  ]),
];

const describeInterop = haveSnmptranslate ? describe : describe.skip;

describeInterop('PRISCAN-SIM-MIB with net-snmp (snmptranslate)', () => {
  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'priscan-mib-test-'));
    snmpEnv = {
      ...process.env,
      SNMP_PERSISTENT_DIR: path.join(scratch, 'persist'),
      SNMPCONFPATH: scratch,
    };
    await snmptranslate(['-V']);
    await snmptranslate(['-M', '+mibs', '-m', MODULE, '-Tp']);
  });

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('loads cleanly: exit 0, nothing on stderr, the tree has the tables and the notification', async () => {
    const r = await snmptranslate(['-M', '+mibs', '-m', MODULE, '-Tp']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('priscanRegTable');
    expect(r.stdout).toContain('priscanAlarmTable');
    expect(r.stdout).toContain('priscanAlertPresent');
  });

  it('with mib warnings on (-Pw), our modules report only that MACRO bodies are skipped', async () => {
    // -M mibs: only the repo's directory, so a system copy of a base module
    // cannot add its own messages. net-snmp reports every MACRO definition
    // under -Pw, the genuine IETF modules included; anything else is ours.
    const r = await snmptranslate(['-Pw', '-M', 'mibs', '-m', 'ALL', '-Tp']);
    expect(r.code).toBe(0);
    const other = r.stderr
      .split('\n')
      .filter((line) => line !== '' && !/^[A-Z][A-Z-]* MACRO \(lines \d+\.\.\d+ parsed and ignored\)\.$/.test(line));
    expect(other).toEqual([]);
    expect(r.stdout).toContain('priscanAlertPresent');
  });

  it.each(expected)('%s%s is %s, as in src/profiles/oids.ts', async (name, suffix, oid) => {
    expect((await numericOid(name)) + suffix).toBe(oid);
  });
});

if (!haveSnmptranslate) {
  // A visible placeholder in the vitest report as well as the console.warn above.
  it.skip('PRISCAN-SIM-MIB interop test (net-snmp tools not installed: apt-get install snmp)', () => {});
}
