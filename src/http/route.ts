import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { describeIssue } from '../config/load.js';
import type { Caller } from './auth.js';
import { ApiError } from './errors.js';

/** Who may call a route: anyone, any token holder, or admins only. */
export type Access = 'public' | 'read' | 'admin';

/**
 * What a partner's token may do with a route; absent: nothing. Partners are refused every route
 * that does not say, so a route added without deciding shows partners nothing.
 *  - installation: facts about the installation with no device in them (about, licenses): every partner.
 *  - device-data: reads device data: partners with the API device-data grant. The handler shows only
 *    the devices in the partner's scope (http/visibility.ts); others are not found (404), not refused.
 *  - device-admin: changes devices: partners with the administrator and device-data grants, in scope.
 */
export type PartnerUse = 'installation' | 'device-data' | 'device-admin';

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The authenticated caller; undefined on public routes. */
  caller: Caller | undefined;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** fastify path, e.g. /api/v1/devices/:id */
  url: string;
  summary: string;
  tag: string;
  access: Access;
  partners?: PartnerUse;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Success status and body schema, for the OpenAPI document. */
  status?: number;
  response?: z.ZodType;
  /** Non-JSON responses (metrics text, event stream). */
  produces?: string;
  /** Error codes this route can answer with, for the OpenAPI document. */
  errors?: readonly string[];
  handler(ctx: RouteContext<P, Q, B>): unknown;
}

function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) {
    // A body a route does not take is refused, not ignored: the caller meant something by it.
    if (where === 'body' && value !== undefined) throw new ApiError('VALIDATION_FAILED', 'body: this request takes no body');
    return undefined as T;
  }
  const parsed = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!parsed.success) throw new ApiError('VALIDATION_FAILED', describeIssue(parsed.error.issues[0] as z.core.$ZodIssue, where));
  return parsed.data;
}

/**
 * The API's routes, declared once: registered with fastify, validated with zod, and
 * described in the OpenAPI document from the same schemas.
 */
export class RouteTable {
  readonly routes: RouteSpec[] = [];

  add<P, Q, B>(spec: RouteSpec<P, Q, B>): void {
    this.routes.push(spec as RouteSpec);
  }

  register(app: FastifyInstance, authorize: (request: FastifyRequest, route: RouteSpec) => Caller | undefined): void {
    for (const spec of this.routes) {
      app.route({
        method: spec.method,
        url: spec.url,
        handler: async (request, reply) => {
          const caller = authorize(request, spec);
          // Set first, so a handler can still answer with another status (a dry run's 200).
          if (spec.status) reply.code(spec.status);
          const ctx: RouteContext<unknown, unknown, unknown> = {
            params: parsePart(spec.params, request.params, 'path'),
            query: parsePart(spec.query, request.query, 'query'),
            body: parsePart(spec.body, request.body, 'body'),
            caller,
            request,
            reply,
          };
          const result = await spec.handler(ctx);
          if (reply.sent) return reply;
          return result;
        },
      });
    }
  }
}
