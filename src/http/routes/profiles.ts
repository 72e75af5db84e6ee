import { z } from 'zod';
import { ProfileFileError } from '../../profiles/load.js';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';

const profileSummary = z.object({
  name: z.string(),
  description: z.string(),
  origin: z.enum(['builtin', 'directory']).describe('Shipped with priscan, or from the configured profile directory'),
  registration: z.string().describe('How priscan registers itself on such devices (none: safety-net scans only)'),
  sysObjectIdPrefixes: z.array(z.string()),
  alarmSources: z.array(z.string()).describe('Ids of the alarm sources a scan reads'),
  readings: z.array(z.object({ id: z.string(), description: z.string(), unit: z.string() })),
  defaultThresholds: z.number().int().describe('Thresholds the profile ships with'),
});

const profileNameParams = z.object({ name: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'must be a profile name').describe('Profile name') }).strict();

export function profileRoutes(routes: RouteTable, deps: HttpDeps): void {
  const { profiles, devices } = deps;
  const summary = (name: string): z.infer<typeof profileSummary> => {
    const p = profiles.require(name);
    return {
      name: p.name,
      description: p.description,
      origin: profiles.origin(name)?.kind ?? 'builtin',
      registration: p.registration,
      sysObjectIdPrefixes: [...p.match.sysObjectId],
      alarmSources: p.alarms.map((a) => a.id),
      readings: p.readings.map((r) => ({ id: r.id, description: r.description, unit: r.unit })),
      defaultThresholds: p.thresholds.length,
    };
  };

  routes.add({
    method: 'GET',
    url: '/api/v1/profiles',
    summary: 'The device profiles loaded: built-in files and the configured directory',
    tag: 'profiles',
    access: 'read',
    // What the installation knows about kinds of devices: no device data.
    partners: 'installation',
    response: z.object({ profiles: z.array(profileSummary) }),
    handler: () => ({ profiles: profiles.names().map(summary) }),
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/profiles/:name',
    summary: 'One profile as loaded (the validated file, defaults filled in)',
    tag: 'profiles',
    access: 'read',
    partners: 'installation',
    params: profileNameParams,
    response: z.object({ profile: profileSummary, definition: z.record(z.string(), z.unknown()) }),
    errors: ['PROFILE_NOT_FOUND'],
    handler: ({ params }) => {
      if (!profiles.has(params.name)) throw new ApiError('PROFILE_NOT_FOUND', `no profile ${params.name}; list them with GET /api/v1/profiles`);
      return { profile: summary(params.name), definition: profiles.require(params.name) as unknown as Record<string, unknown> };
    },
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/profiles/reload',
    summary: 'Re-read the profile files (as SIGHUP does); devices whose profile changed are rescanned. A bad file changes nothing.',
    tag: 'profiles',
    access: 'admin',
    response: z.object({ added: z.array(z.string()), removed: z.array(z.string()), changed: z.array(z.string()), rescanned: z.array(z.string()) }),
    errors: ['PROFILE_INVALID'],
    handler: async () => {
      try {
        return await devices.reloadProfiles();
      } catch (error) {
        if (error instanceof ProfileFileError) throw new ApiError('PROFILE_INVALID', error.message);
        throw error;
      }
    },
  });
}
