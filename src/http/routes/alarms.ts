import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AlarmEvent } from '../../alarms/model.js';
import type { HttpDeps } from '../app.js';
import type { Caller } from '../auth.js';
import { ApiError } from '../errors.js';
import type { RouteTable } from '../route.js';
import type { EventStreams } from '../streams.js';
import { alarmsQuery, alarmView as alarmViewSchema, eventView as eventViewSchema, historyQuery, streamQuery } from '../schemas.js';
import { alarmView, eventView } from '../views.js';
import { DeviceVisibility } from '../visibility.js';
import { maskAddressesIn } from '../../access/mask.js';

/** Comment lines keep proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** A client that cannot keep up is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** `streams` holds every open stream, so shutdown and token revocation can end them. */
export function alarmRoutes(routes: RouteTable, deps: HttpDeps, streams: EventStreams): void {
  const { store } = deps;
  const deviceIdByName = (visibility: DeviceVisibility, name: string | undefined): number | undefined =>
    name === undefined ? undefined : visibility.deviceNamed(name).id;

  routes.add({
    method: 'GET',
    url: '/api/v1/alarms',
    summary: 'Active alarms, oldest first, optionally filtered by severity, device or raise time; each with its acknowledgement and whether maintenance holds it back',
    tag: 'alarms',
    access: 'read',
    partners: 'device-data',
    query: alarmsQuery,
    response: z.object({ alarms: z.array(alarmViewSchema) }),
    errors: ['DEVICE_NOT_FOUND'],
    handler: ({ query, caller }) => {
      const visibility = DeviceVisibility.of(caller, deps);
      const names = new Map(visibility.filter(store.devices.list()).map((d) => [d.id, d.name]));
      const alarms = store.alarms.active({
        deviceId: deviceIdByName(visibility, query.device),
        severity: query.severity,
        since: query.since ? Date.parse(query.since) : undefined,
      });
      // names holds the visible devices only: an alarm of any other is not shown.
      return {
        alarms: alarms
          .filter((a) => visibility.everything || names.has(a.deviceId))
          .map((a) => alarmView(a, names.get(a.deviceId), deps.maintenanceHolds.holdOf(a))),
      };
    },
  });

  const history = {
    summary: 'The event log of raises, clears and acknowledgements, oldest first; page with after=<lastId>',
    tag: 'alarms',
    access: 'read' as const,
    partners: 'device-data' as const,
    query: historyQuery,
    response: z.object({ events: z.array(eventViewSchema), lastId: z.number().int().describe('Pass as after= for the next page') }),
    errors: ['DEVICE_NOT_FOUND'],
    handler: ({ query, caller }: { query: z.infer<typeof historyQuery>; caller: Caller | undefined }) => {
      const visibility = DeviceVisibility.of(caller, deps);
      const deviceId = deviceIdByName(visibility, query.device);
      const visibleIds = deviceId === undefined ? visibility.visibleIds() : undefined;
      const events = visibleIds ? store.alarms.eventsOf(query.after, query.limit, visibleIds) : store.alarms.events(query.after, query.limit, deviceId);
      return { events: events.map(eventView), lastId: events.at(-1)?.id ?? query.after };
    },
  };
  routes.add({ method: 'GET', url: '/api/v1/alarms/history', ...history });
  // The minimal API's name for the same log, kept for scripts written against it.
  routes.add({ method: 'GET', url: '/api/v1/events', ...history, summary: `${history.summary} (same as /api/v1/alarms/history)` });

  routes.add({
    method: 'GET',
    url: '/api/v1/alarms/stream',
    summary: 'Live events as Server-Sent Events (event: raise|clear|ack|unack, id: event id); resumes after Last-Event-ID',
    tag: 'alarms',
    access: 'read',
    partners: 'device-data',
    query: streamQuery,
    produces: 'text/event-stream',
    handler: ({ query, request, reply, caller }) => {
      const header = request.headers['last-event-id'];
      const resumeFrom = query.after ?? (typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : undefined);
      reply.hijack();
      // Written when the stream opens, not when it ends (which may be days later).
      const seen = deps.callers.get(request);
      if (seen?.caller.partner) {
        deps.audit.partnerRequest(seen.caller, { at: seen.at, method: 'GET', route: '/api/v1/alarms/stream', path: request.url, status: 200 });
        deps.callers.markAudited(request);
      }
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      streamEvents(res, { deps, streams, caller: caller! }, resumeFrom);
    },
  });
}

interface StreamContext {
  deps: HttpDeps;
  streams: EventStreams;
  /** Whose token opened it: the stream ends when that token stops working. */
  caller: Caller;
}

function streamEvents(res: ServerResponse, { deps, streams, caller }: StreamContext, resumeFrom: number | undefined): void {
  // An id beyond the log (a client of a database since replaced) would silence the stream until ids caught up.
  const latest = deps.store.alarms.lastEventId();
  let lastSent = resumeFrom === undefined ? latest : Math.min(resumeFrom, latest);
  let closed = false;
  // The caller's view when the stream opened: any change to it (a partner's grant or scope) ends the stream.
  const visibility = DeviceVisibility.of(caller, deps);
  const send = (event: AlarmEvent) => {
    if (closed || event.id <= lastSent || !visibility.seesId(event.deviceId)) return;
    if (res.writableLength > MAX_BUFFERED_BYTES) return close();
    lastSent = event.id;
    const data = JSON.stringify(eventView(event));
    const shown = visibility.masked ? maskAddressesIn(data, deps.store.devices.list().map((d) => d.address)) : data;
    res.write(`id: ${event.id}\nevent: ${event.kind}\ndata: ${shown}\n\n`);
  };
  // Subscribe before replaying so nothing stored in between is missed; ids drop duplicates.
  const unsubscribe = deps.bus.subscribe((events) => events.forEach(send));
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const stream = {
    // A console session's stream also ends when it signs out or expires.
    refusal: () => streamRefusal(deps, caller) ?? (caller.signedIn && !caller.signedIn() ? 'the console session ended' : null),
    close: (reason?: string) => {
      if (closed) return;
      closed = true;
      streams.delete(stream);
      unsubscribe();
      clearInterval(heartbeat);
      // A comment line: every SSE parser skips it, and a person reading the stream sees why it ended.
      if (reason) res.write(`: closed: ${reason}\n\n`);
      res.end();
    },
  };
  const close = () => stream.close();
  res.on('close', close);
  streams.add(stream);
  // The id with no data tells a client where the stream starts, so a reconnect before the first
  // event still resumes from here (Last-Event-ID) and misses nothing.
  res.write(`: priscan alarm stream\nid: ${lastSent}\n\n`);
  if (resumeFrom !== undefined) {
    for (let page = deps.store.alarms.events(resumeFrom, 1000); page.length > 0 && !closed; page = deps.store.alarms.events(page.at(-1)!.id, 1000)) {
      page.forEach(send);
    }
  }
}

/** Why a stream may no longer run (its token revoked or expired, its partner's access changed), or null. */
function streamRefusal(deps: HttpDeps, opened: Caller): string | null {
  const now = deps.tokens.current(opened.id);
  if (!now) return 'the API token was revoked or has expired';
  if (JSON.stringify(now.partner) !== JSON.stringify(opened.partner)) return `partner ${opened.partner!.partnerId}'s access changed: reconnect (with Last-Event-ID) to read with the new access`;
  return null;
}
