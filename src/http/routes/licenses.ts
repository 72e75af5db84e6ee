import { z } from 'zod';
import { LicenseRejectedError } from '../../app/license-service.js';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';

const licenseView = z.object({
  id: z.number().int(),
  fingerprint: z.string().describe('A short non-secret id of the key'),
  nodes: z.number().int(),
  edition: z.string(),
  issuedOn: z.string().describe('Issue day, YYYY-MM-DD'),
  installedAt: z.string(),
});
const usageView = z.object({
  serverId: z.string().nullable().describe('The MAC address keys must be issued for'),
  included: z.number().int().describe('Nodes included without a key'),
  licensed: z.number().int(),
  used: z.number().int(),
  unlicensed: z.number().int().describe('Devices kept but not monitored'),
});

export function licenseRoutes(routes: RouteTable, deps: HttpDeps): void {
  const { licenses } = deps;

  routes.add({
    method: 'GET',
    url: '/api/v1/licenses',
    summary: 'Installed license keys (fingerprints only) and node usage',
    tag: 'licenses',
    access: 'read',
    // Counts and fingerprints only: no device in them.
    partners: 'installation',
    response: z.object({ licenses: z.array(licenseView), usage: usageView }),
    handler: () => ({ licenses: licenses.list(), usage: licenses.usage() }),
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/licenses/usage',
    summary: 'Licensed nodes, nodes in use and devices left unlicensed',
    tag: 'licenses',
    access: 'read',
    // Counts and fingerprints only: no device in them.
    partners: 'installation',
    response: usageView,
    handler: () => licenses.usage(),
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/licenses',
    summary: 'Install a license key (spaces, dashes, lower case and O/I/L for 0/1/1 are accepted)',
    tag: 'licenses',
    access: 'admin',
    body: z.object({ key: z.string().min(1).max(200) }).strict(),
    status: 201,
    response: z.object({ license: licenseView, usage: usageView }),
    errors: ['LICENSE_KEY_INVALID', 'LICENSE_ALREADY_INSTALLED'],
    handler: ({ body }) => {
      try {
        return { license: licenses.add(body.key), usage: licenses.usage() };
      } catch (error) {
        if (error instanceof LicenseRejectedError) throw new ApiError(error.code, error.message);
        throw error;
      }
    },
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/licenses/:ref',
    summary: 'Remove a license key by id or fingerprint; the newest devices over the new count become unlicensed',
    tag: 'licenses',
    access: 'admin',
    params: z.object({ ref: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be a license id or fingerprint') }).strict(),
    response: z.object({ removed: z.string(), usage: usageView }),
    errors: ['LICENSE_NOT_FOUND'],
    handler: ({ params }) => {
      if (!licenses.remove(params.ref)) throw new ApiError('LICENSE_NOT_FOUND', `no installed license ${params.ref}: list them with GET /api/v1/licenses`);
      return { removed: params.ref, usage: licenses.usage() };
    },
  });
}
