/**
 * Which devices a partner was given: all of them, or those at chosen sites. Judged on a device's
 * current site, so moving a device to another site moves it in or out of a partner's view.
 */
export type PartnerScope = { kind: 'all' } | { kind: 'sites'; sites: readonly string[] };

export const ALL_DEVICES: PartnerScope = Object.freeze({ kind: 'all' });

/** Where a device stands, as scoping reads it: one function, so the store's field is read in one place. */
export type DeviceSite = (device: object) => string | null;

/**
 * A device's site, or null when it has none. Devices get a `site` field on another branch; until
 * it is merged no device has one, and this reads whatever the record carries.
 */
export const siteOf: DeviceSite = (device) => {
  const site = (device as { site?: unknown }).site;
  return typeof site === 'string' && site !== '' ? site : null;
};

/** Whether a device at `site` is within the scope: a device without a site is only in "all devices". */
export function inScope(scope: PartnerScope, site: string | null): boolean {
  if (scope.kind === 'all') return true;
  return site !== null && scope.sites.includes(site);
}

/** "all devices" or "sites DC1, DC2": for messages and the audit log. */
export function describeScope(scope: PartnerScope): string {
  return scope.kind === 'all' ? 'all devices' : `site${scope.sites.length === 1 ? '' : 's'} ${scope.sites.join(', ')}`;
}

/** Two scopes give the same devices. */
export function sameScope(a: PartnerScope, b: PartnerScope): boolean {
  if (a.kind === 'all' || b.kind === 'all') return a.kind === b.kind;
  return a.sites.length === b.sites.length && a.sites.every((site) => b.sites.includes(site));
}
