import type { AuditActorKind, AuditEntry, AuditQuery, AuditRepository } from '../store/audit.js';
import type { TokenCaller } from './tokens.js';

/** Who made a change: a token's holder, or someone on the host (the command line on the database). */
export type AuditActor = TokenCaller | 'host';

/** What a request line in the log says. */
export interface AuditedRequest {
  /** When the request arrived (ms). */
  at: number;
  method: string;
  /** The route as declared, e.g. /api/v1/devices/:id. */
  route: string;
  /** The path as requested, query included (cut to TARGET_MAX characters). */
  path: string;
  status: number;
}

/** The partner an entry is about. */
export interface AuditedPartner {
  id: number;
  partnerId: string;
}

const TARGET_MAX = 512;

/**
 * The audit log: every request a partner's token makes, and every change to a partner's access
 * (by whom). Appended in the request's own process, before the answer is complete, so a crash
 * cannot lose what a partner was shown.
 */
export class AuditLog {
  constructor(private readonly deps: { repository: AuditRepository; clock: { now(): number } }) {}

  /** A partner's request, as answered. Other callers' requests are not logged. */
  partnerRequest(caller: TokenCaller, request: AuditedRequest): void {
    if (!caller.partner) return;
    this.deps.repository.append({
      at: request.at,
      actorKind: 'partner',
      actorToken: caller.name,
      partner: caller.partner.id,
      partnerId: caller.partner.partnerId,
      action: `${request.method} ${request.route}`,
      target: request.path.slice(0, TARGET_MAX),
      status: request.status,
      detail: null,
    });
  }

  /** A change to a partner (created, renamed, granted, revoked, scoped, removed, given a token). */
  partnerChange(actor: AuditActor, partner: AuditedPartner, action: string, detail: string): void {
    this.deps.repository.append({
      at: this.deps.clock.now(),
      actorKind: actorKind(actor),
      actorToken: actor === 'host' ? null : actor.name,
      partner: partner.id,
      partnerId: partner.partnerId,
      action,
      target: partner.partnerId,
      status: null,
      detail,
    });
  }

  list(query: AuditQuery): AuditEntry[] {
    return this.deps.repository.list(query);
  }
}

function actorKind(actor: AuditActor): AuditActorKind {
  if (actor === 'host') return 'host';
  return actor.partner ? 'partner' : actor.role === 'admin' ? 'admin' : 'viewer';
}
