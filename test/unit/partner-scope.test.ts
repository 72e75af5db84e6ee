// Which devices a caller sees, judged on the devices' sites through the one accessor (siteOf): here
// with fake devices that carry a site, as devices will once the site field is merged.
import { describe, expect, it } from 'vitest';
import { maskAddressesIn } from '../../src/access/mask.js';
import { inScope, siteOf, type PartnerScope } from '../../src/access/scope.js';
import type { PartnerAccess } from '../../src/access/tokens.js';
import type { Caller } from '../../src/http/auth.js';
import { ApiError } from '../../src/http/errors.js';
import { DeviceVisibility } from '../../src/http/visibility.js';
import type { DeviceRecord } from '../../src/store/devices.js';
import type { Store } from '../../src/store/store.js';

const device = (id: number, name: string, site: string | null) => ({ id, name, address: `10.9.${id}.${id}`, site }) as unknown as DeviceRecord;
const DEVICES = [device(1, 'ups-dc1', 'DC1'), device(2, 'pdu-dc1', 'DC1'), device(3, 'ups-dc2', 'DC2'), device(4, 'ups-nowhere', null)];
const store = {
  devices: {
    list: () => DEVICES,
    get: (id: number) => DEVICES.find((d) => d.id === id),
    getByName: (name: string) => DEVICES.find((d) => d.name === name),
  },
} as unknown as Store;

const partner = (scope: PartnerScope, administrator = false): Caller => ({
  id: 7,
  role: 'partner',
  name: 'acme',
  partner: { id: 1, partnerId: 'ACME', administrator, deviceData: true, scope } satisfies PartnerAccess,
});
const visibility = (caller: Caller | undefined) => DeviceVisibility.of(caller, { store, deviceSite: siteOf });
const names = (v: DeviceVisibility) => v.filter(DEVICES).map((d) => d.name);
const notFound = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
  }
  return 'found';
};

describe('siteOf', () => {
  it('reads the site a device record carries, and null without one', () => {
    expect(siteOf({ site: 'DC1' })).toBe('DC1');
    expect(siteOf({ site: null })).toBeNull();
    expect(siteOf({ site: '' })).toBeNull();
    expect(siteOf({})).toBeNull();
    expect(siteOf({ site: 42 })).toBeNull();
  });

  it('puts a device without a site in "all devices" only', () => {
    expect(inScope({ kind: 'all' }, null)).toBe(true);
    expect(inScope({ kind: 'sites', sites: ['DC1'] }, null)).toBe(false);
    expect(inScope({ kind: 'sites', sites: ['DC1'] }, 'dc1')).toBe(false);
  });
});

describe('device visibility', () => {
  const admin: Caller = { id: 1, role: 'admin', name: 'ops' };
  const cases: Array<[string, Caller | undefined, string[], boolean]> = [
    ['an admin token', admin, ['ups-dc1', 'pdu-dc1', 'ups-dc2', 'ups-nowhere'], false],
    ['a viewer token', { id: 2, role: 'viewer', name: 'grafana' }, ['ups-dc1', 'pdu-dc1', 'ups-dc2', 'ups-nowhere'], false],
    ['a read-only partner over all devices', partner({ kind: 'all' }), ['ups-dc1', 'pdu-dc1', 'ups-dc2', 'ups-nowhere'], true],
    ['a read-only partner at DC1', partner({ kind: 'sites', sites: ['DC1'] }), ['ups-dc1', 'pdu-dc1'], true],
    ['an administrator partner at DC2', partner({ kind: 'sites', sites: ['DC2'] }, true), ['ups-dc2'], false],
    ['a partner at both sites', partner({ kind: 'sites', sites: ['DC1', 'DC2'] }), ['ups-dc1', 'pdu-dc1', 'ups-dc2'], true],
  ];

  it.each(cases)('%s sees its devices, and masked addresses only when read-only', (_who, caller, seen, masked) => {
    const v = visibility(caller);
    expect(names(v)).toEqual(seen);
    expect(v.masked).toBe(masked);
    expect(DEVICES.filter((d) => v.seesId(d.id)).map((d) => d.name)).toEqual(seen);
    expect(v.visibleIds()).toEqual(seen.length === DEVICES.length ? undefined : DEVICES.filter((d) => seen.includes(d.name)).map((d) => d.id));
  });

  it('answers a device out of scope exactly as one that does not exist', () => {
    const v = visibility(partner({ kind: 'sites', sites: ['DC1'] }));
    expect(v.device(1).name).toBe('ups-dc1');
    expect(notFound(() => v.device(3))).toBe('DEVICE_NOT_FOUND: no device with id 3: list them with GET /api/v1/devices');
    expect(notFound(() => v.device(99))).toBe('DEVICE_NOT_FOUND: no device with id 99: list them with GET /api/v1/devices');
    expect(notFound(() => v.deviceNamed('ups-dc2'))).toBe('DEVICE_NOT_FOUND: no device named ups-dc2');
    expect(notFound(() => v.deviceNamed('nobody'))).toBe('DEVICE_NOT_FOUND: no device named nobody');
    expect(notFound(() => v.deviceNamed('ups-nowhere'))).toBe('DEVICE_NOT_FOUND: no device named ups-nowhere');
    expect(v.seesId(99)).toBe(false);
  });

  it('lets an administrator partner place devices at its sites only', () => {
    const v = visibility(partner({ kind: 'sites', sites: ['DC2'] }, true));
    expect([v.mayPlaceAt('DC2'), v.mayPlaceAt('DC1'), v.mayPlaceAt(null)]).toEqual([true, false, false]);
    const everywhere = visibility(partner({ kind: 'all' }, true));
    expect([everywhere.mayPlaceAt('DC1'), everywhere.mayPlaceAt(null)]).toEqual([true, true]);
    expect(visibility(admin).mayPlaceAt(null)).toBe(true);
  });
});

describe('maskAddressesIn', () => {
  const addresses = ['10.1.2.3', '10.1.2.33', '2001:db8::7', '2001:db8::77'];
  it.each([
    ['no answer from 10.1.2.3:161 within 100 ms', 'no answer from x.x.2.3:161 within 100 ms'],
    ['10.1.2.33 and 10.1.2.3.', 'x.x.2.33 and x.x.2.3.'],
    ['{"address":"10.1.2.3"}', '{"address":"x.x.2.3"}'],
    ['mapped ::ffff:10.1.2.3 too', 'mapped ::ffff:x.x.2.3 too'],
    ['not a device: 110.1.2.3, 10.1.2.34, 10.1.2.3.4 or OID 1.3.6.1.10.1.2.3', 'not a device: 110.1.2.3, 10.1.2.34, 10.1.2.3.4 or OID 1.3.6.1.10.1.2.3'],
    ['[2001:db8::77]:161 and 2001:db8::7', '[x:x:x:x:x:x:0:77]:161 and x:x:x:x:x:x:0:7'],
    ['nothing to mask', 'nothing to mask'],
  ])('%j', (text, masked) => {
    expect(maskAddressesIn(text, addresses)).toBe(masked);
  });
});
