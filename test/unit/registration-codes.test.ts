import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { RegistrationRejectedError, RegistrationService } from '../../src/app/registration-service.js';
import { CROCKFORD_ALPHABET, normalizeKeyInput } from '../../src/licensing/crockford.js';
import { IssuerSecret } from '../../src/licensing/issuer-secret.js';
import { issueRegistrationCode, verifyRegistrationCode, type RegistrationCode } from '../../src/licensing/registration-code.js';
import { displaySystemId, generateSystemId, parseSystemId, RegistrationTextError } from '../../src/licensing/registration-format.js';
import { RegistrationLedger } from '../../src/licensing/registration-ledger.js';
import { InstallationKey, makeRegistrationRequest, readRegistrationRequest, type RegistrationRequest } from '../../src/licensing/registration-request.js';
import { SqliteStore } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';

const SECRET = IssuerSecret.fromText('registration test issuer secret', 'test');
const OTHER_SECRET = IssuerSecret.fromText('another authority entirely, 1234', 'test');
const MAC = '02:00:5e:10:20:30';
const key = InstallationKey.generate();
const systemId = generateSystemId();

const requestText = (overrides: { systemId?: string; key?: InstallationKey } = {}) =>
  makeRegistrationRequest({ systemId: overrides.systemId ?? systemId, mac: MAC, licensedNodes: 25, madeAt: Date.UTC(2026, 0, 2, 3, 4, 5), version: '0.1.0' }, overrides.key ?? key);
const codeFor = (request: RegistrationRequest, extra: Partial<Parameters<typeof issueRegistrationCode>[0]> = {}): RegistrationCode =>
  issueRegistrationCode({ secret: SECRET, request, number: 41, integrator: 'Acme Integration GmbH', owner: 'Example Hospital', issuedOn: new Date(Date.UTC(2026, 0, 3)), ...extra });
const verify = (code: string, extra: Partial<Parameters<typeof verifyRegistrationCode>[0]> = {}) =>
  verifyRegistrationCode({ code, secret: SECRET, systemId, keyFingerprint: key.fingerprint, ...extra });
const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof RegistrationTextError) return `${error.reason}: ${error.message}`;
    throw error;
  }
  return 'accepted';
};
/** The text with the character at `index` (counting code characters only) replaced by another of the alphabet. */
const altered = (text: string, index: number) => {
  const canonical = normalizeKeyInput(text);
  const swapped = CROCKFORD_ALPHABET[(CROCKFORD_ALPHABET.indexOf(canonical[index]!) + 1) % 32]!;
  return canonical.slice(0, index) + swapped + canonical.slice(index + 1);
};

describe('System IDs', () => {
  it('are 16 characters shown in groups of four, read back however typed', () => {
    expect(systemId).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
    const shown = displaySystemId(systemId);
    expect(shown).toMatch(/^(\w{4}-){3}\w{4}$/);
    expect(parseSystemId(shown.toLowerCase())).toBe(systemId);
    expect(parseSystemId(` ${shown.replace(/-/g, ' ')} `)).toBe(systemId);
    expect(generateSystemId()).not.toBe(systemId);
    expect(reason(() => parseSystemId('ABCD-EFGH'))).toMatch(/^MALFORMED: "ABCD-EFGH" is not a System ID: it has 16 characters/);
    expect(reason(() => parseSystemId('UUUU-UUUU-UUUU-UUUU'))).toMatch(/^MALFORMED/);
  });
});

describe('registration requests', () => {
  it('carry the System ID, server identity, licensed nodes and version, signed by the installation key', () => {
    const text = requestText();
    expect(text).toMatch(/^-----BEGIN PRISCAN REGISTRATION REQUEST-----\n[0-9A-Z-\n]+\n-----END PRISCAN REGISTRATION REQUEST-----$/);
    const request = readRegistrationRequest(`Hello, please register us:\n\n${text.toLowerCase().replace('-----begin priscan registration request-----', '-----BEGIN PRISCAN REGISTRATION REQUEST-----').replace('-----end priscan registration request-----', '-----END PRISCAN REGISTRATION REQUEST-----')}\n\nThanks`);
    expect(request).toMatchObject({ systemId, mac: MAC, licensedNodes: 25, madeAt: Date.UTC(2026, 0, 2, 3, 4, 5), version: '0.1.0', keyFingerprint: key.fingerprint });
  });

  it('refuse an altered character anywhere, and say so', () => {
    const body = requestText().split('\n').slice(1, -1).join('');
    for (const index of [5, 20, 40, 90, normalizeKeyInput(body).length - 3]) {
      expect(reason(() => readRegistrationRequest(altered(body, index))), `character ${index}`).toMatch(/^(TAMPERED: the registration request does not verify|MALFORMED: the registration request is incomplete)/);
    }
  });

  it('refuse a code pasted instead of a request, and text that is none', () => {
    const code = codeFor(readRegistrationRequest(requestText())).display;
    expect(reason(() => readRegistrationRequest(code))).toMatch(/^WRONG_KIND: this is a registration code \(the answer to a request\), not a request/);
    expect(reason(() => readRegistrationRequest('hello, world'))).toMatch(/^MALFORMED: the registration request has a character "," \(U\+002C\) at position 6/);
    expect(reason(() => readRegistrationRequest(requestText().slice(0, 120)))).toMatch(/^MALFORMED/);
  });
});

describe('registration codes', () => {
  const request = readRegistrationRequest(requestText());
  const code = codeFor(request);

  it('bind the System ID and key and name one integrator and one owner', () => {
    expect(verify(code.display)).toMatchObject({ kind: 'registration', systemId, keyFingerprint: key.fingerprint, number: 41, issuedOn: '2026-01-03', integrator: 'Acme Integration GmbH', owner: 'Example Hospital', previousSystemId: null });
  });

  it('are read as people paste them: lower case, spaces, line breaks, O and I for 0 and 1', () => {
    const pasted = code.display.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'i');
    expect(verify(`  ${pasted}\n`).code).toBe(code.code);
  });

  it('refuse a changed character anywhere as altered, with the reason', () => {
    for (const index of [3, 17, 30, 50, normalizeKeyInput(code.display).length - 1]) {
      // A change that carries into the header reads as another format or kind: refused all the same.
      expect(reason(() => verify(altered(code.display, index))), `character ${index}`).toMatch(
        /^(TAMPERED: registration code \d+ does not verify: it was altered or mistyped, or made by another license authority|MALFORMED|UNKNOWN_FORMAT|WRONG_KIND)/,
      );
    }
  });

  it('refuse a code made with another issuer secret', () => {
    expect(reason(() => verify(code.display, { secret: OTHER_SECRET }))).toMatch(/^TAMPERED: registration code 41 does not verify/);
  });

  it('refuse a foreign code: genuine, for another System ID', () => {
    const otherId = generateSystemId();
    const foreign = codeFor(readRegistrationRequest(requestText({ systemId: otherId })));
    expect(reason(() => verify(foreign.display))).toBe(
      `FOREIGN: registration code 41 was issued for System ID ${displaySystemId(otherId)}, and this installation's System ID is ${displaySystemId(systemId)}: ` +
        'it belongs to another installation. Send this installation\'s request (priscan registration request) to the license authority; after a database loss, ask for a reassociation code',
    );
  });

  it('refuse a code for this System ID made for another installation key', () => {
    const other = codeFor(readRegistrationRequest(requestText({ key: InstallationKey.generate() })));
    expect(reason(() => verify(other.display))).toMatch(/^OTHER_KEY: registration code 41 is for this System ID but another installation key/);
  });

  it('refuse a request, or the other kind of code, where a code is expected', () => {
    expect(reason(() => verify(requestText()))).toMatch(/^WRONG_KIND: this is a registration request/);
    expect(reason(() => verify(code.display, { expect: 'reassociation' }))).toMatch(/^WRONG_KIND: registration code 41 is a registration code, not a reassociation code/);
    const moved = codeFor(request, { previousSystemId: generateSystemId(), number: 42 });
    expect(verify(moved.display)).toMatchObject({ kind: 'reassociation', number: 42 });
    expect(reason(() => verify(moved.display, { expect: 'registration' }))).toMatch(/^WRONG_KIND: registration code 42 is a reassociation code .*priscan registration reassociate/);
  });

  it('refuse a truncated code or one with something pasted after it', () => {
    const canonical = normalizeKeyInput(code.display);
    expect(reason(() => verify(canonical.slice(0, -8)))).toMatch(/^(MALFORMED|TAMPERED)/);
    expect(reason(() => verify(`${canonical}00000000`))).toMatch(/^(MALFORMED|TAMPERED)/);
    expect(reason(() => verify(''))).toMatch(/^MALFORMED/);
  });

  it('refuse integrator and owner names a code cannot carry', () => {
    expect(() => codeFor(request, { integrator: '' })).toThrow(/integrator name must be 1 to 64 bytes/);
    expect(() => codeFor(request, { owner: 'x'.repeat(65) })).toThrow(/end-user owner name must be 1 to 64 bytes/);
  });
});

describe("the license authority's registration ledger", () => {
  let clock: FakeClock;
  let ledger: RegistrationLedger;
  beforeEach(() => {
    clock = new FakeClock(Date.UTC(2026, 0, 3));
    ledger = RegistrationLedger.open(':memory:', clock);
  });
  afterEach(() => ledger.close());

  it('registers a System ID once, with one integrator and one owner', () => {
    const request = readRegistrationRequest(requestText());
    const first = ledger.register({ secret: SECRET, request, integrator: 'Acme', owner: 'Hospital', issuedOn: new Date(clock.now()) });
    expect(first).toMatchObject({ number: 1, integrator: 'Acme', owner: 'Hospital' });
    expect(verify(first.display).number).toBe(1);
    expect(() => ledger.register({ secret: SECRET, request, integrator: 'Other Integrator', owner: 'Hospital', issuedOn: new Date() })).toThrow(
      /was registered on 2026-01-03 as number 1 \(integrator "Acme", owner "Hospital"\): one integrator and one owner per registration/,
    );
    expect(ledger.list()).toHaveLength(1);
  });

  it('moves a registration to the new System ID of an installation that lost its database, once', () => {
    const old = readRegistrationRequest(requestText());
    ledger.register({ secret: SECRET, request: old, integrator: 'Acme', owner: 'Hospital', issuedOn: new Date() });
    const newKey = InstallationKey.generate();
    const newId = generateSystemId();
    const fresh = readRegistrationRequest(requestText({ systemId: newId, key: newKey }));
    const moved = ledger.reassociate(systemId, { secret: SECRET, request: fresh, issuedOn: new Date() });
    expect(moved).toMatchObject({ kind: 'reassociation', number: 2, systemId: newId, previousSystemId: systemId, integrator: 'Acme', owner: 'Hospital' });
    expect(verifyRegistrationCode({ code: moved.display, secret: SECRET, systemId: newId, keyFingerprint: newKey.fingerprint, expect: 'reassociation' }).number).toBe(2);
    expect(ledger.find(systemId)?.supersededBy).toBe(newId);
    const again = readRegistrationRequest(requestText({ systemId: generateSystemId(), key: InstallationKey.generate() }));
    expect(() => ledger.reassociate(systemId, { secret: SECRET, request: again, issuedOn: new Date() })).toThrow(/was already moved to System ID .*: reassociate from that one/);
    expect(() => ledger.reassociate(generateSystemId(), { secret: SECRET, request: again, issuedOn: new Date() })).toThrow(/has no registration in this ledger/);
    expect(() => ledger.reassociate(newId, { secret: SECRET, request: fresh, issuedOn: new Date() })).toThrow(/nothing to reassociate/);
    expect(ledger.list().map((r) => r.number)).toEqual([1, 2]);
  });
});

describe('the installation side', () => {
  let clock: FakeClock;
  let store: SqliteStore;
  let service: RegistrationService;
  const serviceOn = (s: SqliteStore, secret: IssuerSecret | null = SECRET) =>
    new RegistrationService({ store: s, clock, log: pino({ level: 'silent' }), secret: secret ?? undefined, version: '0.1.0', serverId: () => MAC, licensedNodes: () => 10 });
  beforeEach(() => {
    clock = new FakeClock(Date.UTC(2026, 0, 3));
    store = SqliteStore.open(':memory:', clock);
    service = serviceOn(store);
    service.start();
  });
  afterEach(() => store.close());

  it('makes its System ID once, and signs its requests with its own key', () => {
    const id = service.systemId;
    expect(serviceOn(store).systemId).toBe(id);
    const request = readRegistrationRequest(service.request());
    expect(request).toMatchObject({ systemId: parseSystemId(id), mac: MAC, licensedNodes: 10, version: '0.1.0', keyFingerprint: service.keyFingerprint });
  });

  it('applies a code once and keeps integrator and owner; refuses it again, and refuses without the issuer secret', () => {
    expect(service.current()).toBeUndefined();
    const code = codeFor(readRegistrationRequest(service.request()));
    expect(service.apply(code.display, 'registration')).toMatchObject({ kind: 'registration', number: 41, integrator: 'Acme Integration GmbH', owner: 'Example Hospital' });
    expect(service.current()?.number).toBe(41);
    expect(() => service.apply(code.display.toLowerCase())).toThrow(RegistrationRejectedError);
    expect(() => service.apply(code.display.toLowerCase())).toThrow(/already applied/);
    expect(() => serviceOn(store, null).apply(code.display)).toThrow(/cannot verify registration codes: configure licensing.issuerSecretFile/);
    expect(service.history()).toHaveLength(1);
  });

  it('after a database loss, takes a reassociation code for its new System ID and not the old code', () => {
    const oldCode = codeFor(readRegistrationRequest(service.request()));
    service.apply(oldCode.display);
    const oldId = parseSystemId(service.systemId);
    const lost = SqliteStore.open(':memory:', clock);
    try {
      const fresh = serviceOn(lost);
      fresh.start();
      expect(fresh.systemId).not.toBe(service.systemId);
      expect(() => fresh.apply(oldCode.display)).toThrow(/was issued for System ID .*belongs to another installation.*ask for a reassociation code/);
      const moved = codeFor(readRegistrationRequest(fresh.request()), { previousSystemId: oldId, number: 42 });
      expect(fresh.apply(moved.display, 'reassociation')).toMatchObject({ kind: 'reassociation', previousSystemId: oldId, integrator: 'Acme Integration GmbH', owner: 'Example Hospital' });
      expect(fresh.current()?.number).toBe(42);
    } finally {
      lost.close();
    }
  });
});
