// The partner, audit, about and registration commands as shipped (dist/, built by npm test), run as
// child processes against daemons started in the test; the license authority's side (registration
// issue) on a ledger file, with the issuer secret from the environment.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPriscan, type CliRun } from '../helpers/cli-process.js';
import { systemClock } from '../../src/clock.js';
import { SqliteStore } from '../../src/store/store.js';
import { startTestDaemon, testLicenseKey, type TestDaemon } from '../helpers/daemon.js';

const ISSUER_SECRET = 'test issuer secret, not for production use';
// This file's one device (never answered) is on 127.0.231.0/24.
const DEVICE = '127.0.231.10';

/** A test that runs the command some fifteen times: each start costs most of a second on a busy machine. */
const SPAWNS_TIMEOUT_MS = 90_000;

let t: TestDaemon;
let configFile = '';
let env: NodeJS.ProcessEnv = {};


function priscan(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runPriscan(args, { ...env, ...extraEnv }, 20_000);
}

/** The code `registration issue` printed: the lines before its indented description. */
const codeOf = (run: CliRun) => run.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('  ')).join('\n');

beforeAll(async () => {
  t = await startTestDaemon();
  configFile = join(t.dataDir, 'priscan.yaml');
  writeFileSync(configFile, `dataDir: ${t.dataDir}\n`);
  env = { PATH: process.env.PATH, PRISCAN_URL: t.running.httpUrl, PRISCAN_TOKEN: t.adminToken };
  expect((await t.api('POST', '/api/v1/devices', { name: 'ups-1', address: DEVICE, port: 16233, priorityScanning: false, snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private' } })).status).toBe(201);
});

afterAll(async () => {
  await t?.stop();
});

describe('help', () => {
  it.each([['partner', '--help'], ['help', 'registration']])('priscan %s %s prints usage and exits 0', async (...args) => {
    const run = await priscan(args);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: priscan (partner|audit|about|registration)/);
  });

  it.each([
    [['partner', 'grant', 'ACME', 'root'], /partner grant ID administrator\|device-data/],
    [['token', 'create', '--role', 'viewer', '--name', 'x', '--partner', 'ACME'], /--partner is for --role partner only/],
    [['registration', 'issue', '--request', 'r', '--ledger', 'l', '--reassociate', 'X', '--owner', 'o'], /a reassociation keeps the integrator and owner/],
  ])('priscan %j is a usage error (exit 2)', async (args, message) => {
    const run = await priscan(args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('partners', () => {
  it('are added read-only, given tokens, granted and refused at once, renamed and removed', async () => {
    const added = await priscan(['partner', 'add', '--name', 'Acme, Inc.', '--device-data']);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/ACME_INC\s+Acme, Inc\.\s+read-only\s+device-data\s+all devices\s+0/);
    const clash = await priscan(['partner', 'add', '--name', 'ACME INC']);
    expect([clash.code, clash.stderr]).toEqual([1, 'priscan: the Partner ID ACME_INC is already used by "Acme, Inc.": Partner IDs are unique, choose another (e.g. ACME_INC_2) [PARTNER_ID_TAKEN]\n']);
    const noSite = await priscan(['partner', 'add', '--name', 'Other', '--sites', 'DC9']);
    expect(noSite.stderr).toMatch(/no device is at site "DC9" \(no device has a site yet\).*\[PARTNER_SCOPE_UNKNOWN\]/);

    // While the daemon runs, tokens are made through its API (token create is for when it does not).
    const created = await t.api('POST', '/api/v1/tokens', { name: 'acme-ro', role: 'partner', partner: 'ACME_INC' });
    expect(created.body.info).toMatchObject({ role: 'partner', partner: 'ACME_INC' });
    const token = created.body.token as string;
    expect((await priscan(['token', 'list', '--config', configFile])).stdout).toMatch(/acme-ro\s+partner\s+ACME_INC/);

    const listed = await priscan(['devices', 'list'], { PRISCAN_TOKEN: token });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/ups-1\s+x\.x\.231\.10\s/);
    expect(listed.stdout).not.toContain(DEVICE);
    expect((await priscan(['partner', 'revoke', 'ACME_INC', 'device-data'])).stdout).toMatch(/^revoked device-data\nPARTNER ID/);
    const refused = await priscan(['devices', 'list'], { PRISCAN_TOKEN: token });
    expect([refused.code, refused.stderr]).toEqual([4, "priscan: partner ACME_INC has no API device-data access: the customer's administrator can grant it (device-data) [FORBIDDEN]\n"]);
    expect((await priscan(['partner', 'grant', 'ACME_INC', 'device-data'])).code).toBe(0);

    const renamed = await priscan(['partner', 'set', 'ACME_INC', '--id', 'ACME_SERVICES', '--json']);
    expect(JSON.parse(renamed.stdout)).toMatchObject({ partnerId: 'ACME_SERVICES', name: 'Acme, Inc.', tokens: 1 });
    expect((await priscan(['partner', 'list'], { PRISCAN_TOKEN: token })).code).toBe(4);

    const audit = await priscan(['audit', '--partner', 'ACME_SERVICES']);
    expect(audit.code).toBe(0);
    for (const line of [
      /admin token test-admin\s+ACME_INC\s+partner\.create/,
      /admin token test-admin\s+ACME_INC\s+partner\.token\.create\s+ACME_INC\s+-\s+acme-ro/,
      /partner token acme-ro\s+ACME_INC\s+GET \/api\/v1\/devices\s+\/api\/v1\/devices\s+200/,
      /admin token test-admin\s+ACME_INC\s+partner\.revoke\s+ACME_INC\s+-\s+device-data/,
      /partner token acme-ro\s+ACME_INC\s+GET \/api\/v1\/devices\s+\/api\/v1\/devices\s+403/,
      /ACME_SERVICES\s+partner\.update\s+ACME_SERVICES\s+-\s+Partner ID ACME_INC -> ACME_SERVICES/,
      /partner token acme-ro\s+ACME_SERVICES\s+GET \/api\/v1\/partners\s+\/api\/v1\/partners\s+403/,
    ]) {
      expect(audit.stdout).toMatch(line);
    }

    expect((await priscan(['partner', 'remove', 'ACME_SERVICES'])).stdout).toBe('removed partner ACME_SERVICES and its 1 token(s)\n');
    expect((await priscan(['devices', 'list'], { PRISCAN_TOKEN: token })).code).toBe(4);
    expect((await priscan(['partner', 'show', 'ACME_SERVICES'])).stderr).toMatch(/no partner with Partner ID ACME_SERVICES.*\[PARTNER_NOT_FOUND\]/);
  }, SPAWNS_TIMEOUT_MS);
});

describe('partner tokens made on the host', () => {
  it('belong to the partner named, and the audit log says the host made them', async () => {
    // A data directory no daemon holds, with a partner in it.
    const dataDir = join(t.dataDir, 'offline');
    mkdirSync(dataDir);
    const offlineConfig = join(dataDir, 'priscan.yaml');
    writeFileSync(offlineConfig, `dataDir: ${dataDir}\n`);
    const store = SqliteStore.open(join(dataDir, 'priscan.db'), systemClock);
    try {
      store.partners.create({ partnerId: 'NOC_GMBH', name: 'NOC GmbH', administrator: false, deviceData: true, scope: { kind: 'all' } });
    } finally {
      store.close();
    }
    const created = await priscan(['token', 'create', '--role', 'partner', '--partner', 'NOC_GMBH', '--name', 'noc', '--config', offlineConfig]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^psk_\S{43}\n  token \d+ "noc" \(partner of partner NOC_GMBH\): shown once/);
    const unknown = await priscan(['token', 'create', '--role', 'partner', '--partner', 'NOBODY', '--name', 'x', '--config', offlineConfig]);
    expect([unknown.code, unknown.stderr]).toEqual([1, 'priscan: no partner with Partner ID NOBODY (see priscan partner list)\n']);
    const after = SqliteStore.open(join(dataDir, 'priscan.db'), systemClock, { readOnly: true });
    try {
      expect(after.tokens.list().map((x) => [x.name, x.partner?.partnerId])).toEqual([['noc', 'NOC_GMBH']]);
      expect(after.audit.list({ after: 0, limit: 10 })).toMatchObject([{ actorKind: 'host', actorToken: null, partnerId: 'NOC_GMBH', action: 'partner.token.create', detail: 'noc' }]);
    } finally {
      after.close();
    }
  });
});

describe('registration', () => {
  let second: TestDaemon | undefined;
  afterAll(async () => {
    await second?.stop();
  });

  it('goes from request to code to a registered installation, and after a database loss to the new System ID', async () => {
    const about = await priscan(['about']);
    expect(about.code).toBe(0);
    const systemId = /System ID:\s+((?:[0-9A-Z]{4}-){3}[0-9A-Z]{4}) \(not registered\)/.exec(about.stdout)?.[1];
    expect(systemId, about.stdout).toBeTruthy();
    expect(about.stdout).toMatch(/server identity: 02:00:5e:10:20:30/);

    // The installation asks; the authority answers from its ledger, with the issuer secret.
    const request = await priscan(['registration', 'request']);
    expect(request.code).toBe(0);
    expect(request.stdout).toMatch(/-----BEGIN PRISCAN REGISTRATION REQUEST-----\n[\s\S]+\n-----END PRISCAN REGISTRATION REQUEST-----\n$/);
    const requestFile = join(t.dataDir, 'request.txt');
    writeFileSync(requestFile, `From: ops@example.com\n\n${request.stdout}\nRegards`);
    const ledger = join(t.dataDir, 'authority-ledger.db');
    const issued = await priscan(['registration', 'issue', '--request', requestFile, '--integrator', 'Acme Integration', '--owner', 'Example Hospital', '--ledger', ledger], { PRISCAN_ISSUER_SECRET: ISSUER_SECRET });
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stdout).toContain(`registration 1 for System ID ${systemId} (MAC 02:00:5e:10:20:30, 5 nodes, priscan `);
    const code = codeOf(issued);
    const again = await priscan(['registration', 'issue', '--request', requestFile, '--integrator', 'Other Integrator', '--owner', 'Example Hospital', '--ledger', ledger], { PRISCAN_ISSUER_SECRET: ISSUER_SECRET });
    expect([again.code, again.stderr]).toEqual([1, expect.stringMatching(/was registered on .* as number 1 \(integrator "Acme Integration", owner "Example Hospital"\): one integrator and one owner per registration/)]);

    // A changed character is refused with the reason; the code as sent is applied.
    const chars = code.replace(/[-\n]/g, '');
    const tampered = chars.slice(0, 30) + (chars[30] === 'A' ? 'B' : 'A') + chars.slice(31);
    const refused = await priscan(['registration', 'apply', tampered]);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/registration code \d+ does not verify: it was altered or mistyped.*\[REGISTRATION_CODE_INVALID\]/)]);
    const applied = await priscan(['registration', 'apply', ...code.split('\n')]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(new RegExp(`^applied\\. System ID ${systemId}: registration 1 \\(registration\\), issued \\d{4}-\\d\\d-\\d\\d\\n  integrator: Acme Integration\\n  end-user owner: Example Hospital\\n$`));
    expect((await priscan(['registration', 'status'])).stdout).toMatch(/registration 1 .*\n  integrator: Acme Integration\n  end-user owner: Example Hospital/);
    const key = testLicenseKey(3);
    expect((await priscan(['license', 'add', key])).code).toBe(0);

    // The database is lost: a new installation on the same server has a new System ID.
    second = await startTestDaemon();
    const env2 = { PRISCAN_URL: second.running.httpUrl, PRISCAN_TOKEN: second.adminToken };
    const newId = /System ID:\s+(\S+)/.exec((await priscan(['about'], env2)).stdout)![1];
    expect(newId).not.toBe(systemId);
    const foreign = await priscan(['registration', 'apply', code], env2);
    expect([foreign.code, foreign.stderr]).toEqual([1, expect.stringMatching(new RegExp(`was issued for System ID ${systemId}, and this installation's System ID is ${newId}: it belongs to another installation.*ask for a reassociation code`))]);
    const newRequest = join(t.dataDir, 'request-2.txt');
    writeFileSync(newRequest, (await priscan(['registration', 'request'], env2)).stdout);
    const moved = await priscan(['registration', 'issue', '--request', newRequest, '--reassociate', systemId!.toLowerCase(), '--ledger', ledger], { PRISCAN_ISSUER_SECRET: ISSUER_SECRET });
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain(`reassociation from ${systemId} 2 for System ID ${newId}`);
    const movedCode = codeOf(moved);
    const reassociated = await priscan(['registration', 'reassociate', movedCode, '--json'], env2);
    expect(reassociated.code, reassociated.stderr).toBe(0);
    expect(JSON.parse(reassociated.stdout)).toMatchObject({ systemId: newId, registration: { kind: 'reassociation', number: 2, previousSystemId: systemId, integrator: 'Acme Integration', owner: 'Example Hospital' } });
    // License keys are bound to the MAC, not the System ID: the same key installs and counts again.
    const licensed = await priscan(['license', 'add', key], env2);
    expect([licensed.code, licensed.stdout]).toEqual([0, expect.stringMatching(/installed license \w+ \(3 nodes, standard\)\nserver 02:00:5e:10:20:30: 0 of 8 nodes in use/)]);
  }, SPAWNS_TIMEOUT_MS);
});
