// The installation's System ID and registration over the API: GET shows the System ID and a signed
// request the license authority can read; POST applies a code and refuses bad, foreign and
// wrong-kind codes with the reason, changing nothing; license keys are untouched by it all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueRegistrationCode } from '../../src/licensing/registration-code.js';
import { InstallationKey, makeRegistrationRequest, readRegistrationRequest } from '../../src/licensing/registration-request.js';
import { generateSystemId } from '../../src/licensing/registration-format.js';
import { startTestDaemon, TEST_ISSUER_SECRET, TEST_MAC, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;

beforeAll(async () => {
  t = await startTestDaemon({}, { licensedNodes: 7 });
});

afterAll(async () => {
  await t?.stop();
});

const issue = (requestText: string, number: number, previousSystemId?: string) =>
  issueRegistrationCode({
    secret: TEST_ISSUER_SECRET,
    request: readRegistrationRequest(requestText),
    number,
    integrator: 'Acme Integration',
    owner: 'Example Hospital',
    issuedOn: new Date(),
    ...(previousSystemId ? { previousSystemId } : {}),
  }).display;

describe('the registration API', () => {
  it('shows the System ID everywhere alike, and a request signed with what the installation is', async () => {
    const state = (await t.api('GET', '/api/v1/registration')).body;
    expect(state).toMatchObject({ systemId: expect.stringMatching(/^([0-9A-Z]{4}-){3}[0-9A-Z]{4}$/), registration: null });
    expect((await t.api('GET', '/api/v1/about')).body).toMatchObject({ systemId: state.systemId, registered: false, serverId: TEST_MAC });
    const request = readRegistrationRequest(state.request as string);
    expect(request).toMatchObject({ mac: TEST_MAC, licensedNodes: 12, keyFingerprint: state.keyFingerprint });
    expect(request.systemId).toBe((state.systemId as string).replace(/-/g, ''));
  });

  it('refuses a foreign code and a code of the wrong kind, saying why, and applies its own once', async () => {
    const licensesBefore = JSON.stringify(t.running.licenses.list());
    const foreignRequest = makeRegistrationRequest({ systemId: generateSystemId(), mac: TEST_MAC, licensedNodes: 5, madeAt: Date.now(), version: '0.1.0' }, InstallationKey.generate());
    const foreign = await t.api('POST', '/api/v1/registration', { code: issue(foreignRequest, 1) });
    expect(foreign).toMatchObject({ status: 400, body: { error: { code: 'REGISTRATION_CODE_INVALID', message: expect.stringMatching(/^registration code 1 was issued for System ID .* it belongs to another installation/) } } });

    const own = (await t.api('GET', '/api/v1/registration')).body.request as string;
    const moved = await t.api('POST', '/api/v1/registration', { code: issue(own, 2, generateSystemId()), kind: 'registration' });
    expect(moved.body).toMatchObject({ error: { code: 'REGISTRATION_CODE_INVALID', message: expect.stringMatching(/is a reassociation code/) } });
    expect((await t.api('GET', '/api/v1/registration')).body.registration).toBeNull();

    const code = issue(own, 3);
    const applied = await t.api('POST', '/api/v1/registration', { code: code.replace(/\n/g, ' '), kind: 'registration' });
    expect(applied.status).toBe(201);
    expect(applied.body.registration).toMatchObject({ kind: 'registration', number: 3, integrator: 'Acme Integration', owner: 'Example Hospital', previousSystemId: null });
    expect((await t.api('GET', '/api/v1/registration')).body.registration).toMatchObject({ number: 3 });
    expect((await t.api('GET', '/api/v1/about')).body.registered).toBe(true);
    expect((await t.api('POST', '/api/v1/registration', { code })).body).toMatchObject({ error: { code: 'REGISTRATION_ALREADY_APPLIED' } });
    // License keys are bound to the MAC: registering changes none of them.
    expect(JSON.stringify(t.running.licenses.list())).toBe(licensesBefore);
    expect(t.running.licenses.licensedNodes()).toBe(12);
  });

  it('refuses every code when no issuer secret is configured, saying what to configure', async () => {
    const bare = await startTestDaemon({}, { issuerSecret: undefined });
    try {
      const request = (await bare.api('GET', '/api/v1/registration')).body.request as string;
      const res = await bare.api('POST', '/api/v1/registration', { code: issue(request, 1) });
      expect(res.body).toMatchObject({ error: { code: 'REGISTRATION_CODE_INVALID', message: expect.stringMatching(/cannot verify registration codes: configure licensing.issuerSecretFile/) } });
    } finally {
      await bare.stop();
    }
  });
});
