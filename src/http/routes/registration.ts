import { z } from 'zod';
import { RegistrationRejectedError } from '../../app/registration-service.js';
import { displaySystemId } from '../../licensing/registration-format.js';
import { issueDate } from '../../licensing/key.js';
import type { StoredRegistration } from '../../store/registrations.js';
import type { HttpDeps } from '../app.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';

const registrationView = z.object({
  kind: z.enum(['registration', 'reassociation']).describe('reassociation: moved here from a System ID whose database was lost'),
  number: z.number().int().describe('The license authority\'s registration number'),
  integrator: z.string().describe('The one integrator associated with the registration'),
  owner: z.string().describe('The one end-user owner associated with the registration'),
  previousSystemId: z.string().nullable(),
  issuedOn: z.string(),
  appliedAt: z.string(),
});

function view(r: StoredRegistration): z.infer<typeof registrationView> {
  return {
    kind: r.kind,
    number: r.number,
    integrator: r.integrator,
    owner: r.owner,
    previousSystemId: r.previousSystemId === null ? null : displaySystemId(r.previousSystemId),
    issuedOn: issueDate(r.issueDay),
    appliedAt: new Date(r.appliedAt).toISOString(),
  };
}

/** The installation's registration: the customer's admins only. */
export function registrationRoutes(routes: RouteTable, deps: HttpDeps): void {
  const { registration } = deps;

  routes.add({
    method: 'GET',
    url: '/api/v1/registration',
    summary: 'The installation\'s System ID, its registration (integrator and end-user owner) if a code was applied, and a signed offline request to send to the license authority',
    tag: 'registration',
    access: 'admin',
    response: z.object({
      systemId: z.string(),
      keyFingerprint: z.string().describe('The installation\'s signing key, which codes are bound to'),
      registration: registrationView.nullable(),
      request: z.string().describe('The offline registration request (made now, signed by the installation\'s key)'),
    }),
    handler: () => {
      const current = registration.current();
      return { systemId: registration.systemId, keyFingerprint: registration.keyFingerprint, registration: current ? view(current) : null, request: registration.request() };
    },
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/registration',
    summary: 'Apply a registration or reassociation code (spaces, dashes, line breaks, lower case and O/I/L for 0/1/1 are accepted)',
    tag: 'registration',
    access: 'admin',
    body: z
      .object({
        code: z.string().min(1).max(2000),
        kind: z.enum(['registration', 'reassociation']).optional().describe('The kind meant; a code of the other kind is refused. Absent: either'),
      })
      .strict(),
    status: 201,
    response: z.object({ systemId: z.string(), registration: registrationView }),
    errors: ['REGISTRATION_CODE_INVALID', 'REGISTRATION_ALREADY_APPLIED'],
    handler: ({ body }) => {
      try {
        return { systemId: registration.systemId, registration: view(registration.apply(body.code, body.kind)) };
      } catch (error) {
        if (error instanceof RegistrationRejectedError) throw new ApiError(error.code, error.message);
        throw error;
      }
    },
  });
}
