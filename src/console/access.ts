import { partnerRefusal, type Caller } from '../http/auth.js';
import type { PartnerUse } from '../http/route.js';

/** Who may use a console page or form, in the API's terms (src/http/route.ts). */
export interface ConsoleAccess {
  /** It changes something: admins only (and partners only where `partners` says device-admin). */
  admin?: boolean;
  /** What a partner's token may do with it, as RouteSpec.partners says; absent: partners may not. */
  partners?: PartnerUse;
}

/**
 * The console's rules: each page and form may be used by whoever may call the API route that does
 * the same thing, so a token can do no more (and no less) on a page than through the API.
 */
export const ACCESS = {
  /** The overview and licenses, like GET /api/v1/licenses; the overview's device parts need device data. */
  installation: { partners: 'installation' },
  /** Alarms, devices, readings, history, like GET /api/v1/alarms and /devices. */
  deviceData: { partners: 'device-data' },
  /** Scan now and verify the registration, like POST /api/v1/devices/:id/scan and /register. */
  deviceAdmin: { admin: true, partners: 'device-admin' },
  /** Reading maintenance windows, like GET /api/v1/maintenance: the customer's own tokens. */
  maintenance: {},
  /** Acknowledgements, maintenance windows, license keys and tokens: the customer's own admins. */
  admin: { admin: true },
} as const satisfies Record<string, ConsoleAccess>;

/** Why the viewer may not use a page or form with this access (shown on its 403 page), or undefined. */
export function accessRefusal(viewer: Caller, access: ConsoleAccess): string | undefined {
  if (viewer.partner) return partnerRefusal(viewer.partner, { access: access.admin ? 'admin' : 'read', partners: access.partners }, 'page');
  if (access.admin && viewer.role !== 'admin') return `The ${viewer.role} role can look but not change anything; sign in with an admin token to do this.`;
  return undefined;
}

export function may(viewer: Caller, access: ConsoleAccess): boolean {
  return accessRefusal(viewer, access) === undefined;
}
