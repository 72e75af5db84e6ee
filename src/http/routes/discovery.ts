import { DiscoveryRequestError, type Admission, type DiscoveredAddress, type DiscoveryJob, type DiscoveryRefusal } from '../../discovery/service.js';
import type { HttpDeps } from '../app.js';
import { ApiError, type ApiErrorCode } from '../errors.js';
import type { RouteTable } from '../route.js';
import { discoveryBody, discoveryIdParams, discoveryJobView, type DiscoveryJobView } from '../schemas.js';

const REFUSAL_CODE: Record<DiscoveryRefusal, ApiErrorCode> = {
  targets: 'DISCOVERY_TARGETS_INVALID',
  credentials: 'DISCOVERY_CREDENTIAL_UNKNOWN',
  busy: 'DISCOVERY_RUNNING',
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function admissionView(a: Admission | null): DiscoveryJobView['results'][number]['admission'] {
  if (!a) return null;
  return {
    outcome: a.outcome,
    deviceId: a.outcome === 'added' ? a.deviceId : null,
    device: a.outcome === 'added' || a.outcome === 'exists' ? a.name : null,
    reason: a.outcome === 'refused' ? a.reason : null,
    message: a.outcome === 'added' ? null : a.message,
  };
}

function resultView(r: DiscoveredAddress): DiscoveryJobView['results'][number] {
  const answered = r.status === 'answered';
  return {
    address: r.address,
    status: answered ? 'answered' : 'error',
    credential: answered ? r.credential : null,
    sysObjectId: answered ? r.sysObjectId : null,
    sysName: answered ? r.sysName : null,
    sysDescr: answered ? r.sysDescr : null,
    profile: r.profile,
    error: r.status === 'error' ? r.error : null,
    admission: admissionView(r.admission),
  };
}

function jobView(job: DiscoveryJob): DiscoveryJobView {
  return { ...job, startedAt: iso(job.startedAt)!, finishedAt: iso(job.finishedAt), results: job.results.map(resultView) };
}

/** Discovery runs as a job: POST starts it and answers at once, GET follows it to the end. */
export function discoveryRoutes(routes: RouteTable, deps: Pick<HttpDeps, 'discovery'>): void {
  const { discovery } = deps;

  routes.add({
    method: 'POST',
    url: '/api/v1/discovery',
    summary: 'Start probing addresses with the configured discovery credentials (one discovery at a time); follow it with GET /api/v1/discovery/:id',
    tag: 'discovery',
    access: 'admin',
    body: discoveryBody,
    status: 202,
    response: discoveryJobView,
    errors: ['DISCOVERY_TARGETS_INVALID', 'DISCOVERY_CREDENTIAL_UNKNOWN', 'DISCOVERY_RUNNING'],
    handler: ({ body }) => {
      try {
        return jobView(discovery.begin(body));
      } catch (error) {
        if (error instanceof DiscoveryRequestError) throw new ApiError(REFUSAL_CODE[error.reason], error.message);
        throw error;
      }
    },
  });

  routes.add({
    method: 'GET',
    url: '/api/v1/discovery/:id',
    summary: 'A discovery: its progress, then what answered, the profile each matches and, with add, what adding it came to',
    tag: 'discovery',
    access: 'admin',
    params: discoveryIdParams,
    response: discoveryJobView,
    errors: ['DISCOVERY_NOT_FOUND'],
    handler: ({ params }) => {
      const job = discovery.get(params.id);
      if (!job) throw new ApiError('DISCOVERY_NOT_FOUND', `no discovery ${params.id}: it ended long ago (the last 8 are kept) or before a restart`);
      return jobView(job);
    },
  });
}
