import { z } from 'zod';
import { ALARM_EVENT_KINDS, SEVERITIES } from '../alarms/model.js';
import { describeIssue } from '../config/load.js';
import { ACCESS } from './access.js';
import { ALARM_SORTS, matchesFilter, type AlarmFilter } from './alarm-order.js';
import type { DeviceStatus } from './data.js';
import type { ConsoleRouter, SignedIn } from './plugin.js';
import { ConsolePageError } from './respond.js';
import { tokensPage, licensesPage, maintenancePage } from './views/admin.js';
import { acknowledgePage, alarmRow, alarmsPage } from './views/alarms.js';
import { devicePage, devicesPage, type DeviceListRow } from './views/devices.js';
import { historyPage } from './views/history.js';
import { overviewPage } from './views/overview.js';

/** A filter left empty in a form arrives as "": the same as not filtering. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const text = (max: number) => optional(z.string().max(max));
const severity = optional(z.enum(SEVERITIES));
const id = z.string().regex(/^\d{1,15}$/, 'must be a number').transform(Number);

const alarmsQuery = z.object({
  site: text(128),
  severity,
  device: text(128),
  code: text(128),
  sort: optional(z.enum(ALARM_SORTS)),
  dir: optional(z.enum(['asc', 'desc'])),
});
const rowQuery = alarmsQuery.extend({ id, key: z.string().min(1).max(512), siteColumn: optional(z.literal('1')) });
const devicesQuery = z.object({ status: optional(z.enum(['up', 'down', 'unknown', 'unlicensed'])), site: text(128), q: text(64), page: optional(id) });
const historyQuery = z.object({ device: text(128), severity, kind: optional(z.enum(ALARM_EVENT_KINDS)), code: text(128), before: optional(id) });
const ackQuery = z.object({ device: id, key: z.string().min(1).max(512) });
const deviceParams = z.object({ id });

const DEVICE_PAGE_SIZE = 500;
const HISTORY_PAGE_SIZE = 100;

/** A query or path the page cannot take: a 400 page naming the parameter. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new ConsolePageError(400, 'Bad request', describeIssue(parsed.error.issues[0] as z.core.$ZodIssue, where));
  return parsed.data;
}

export function pageRoutes(router: ConsoleRouter): void {
  const { data } = router;

  router.page('/', ACCESS.installation, (s) => overviewPage(s.ctx, data.overview(s.viewer)));

  router.page('/alarms', ACCESS.deviceData, (s) => {
    const q = parse(alarmsQuery, s.request.query, 'query');
    const filter: AlarmFilter = { ...q, sort: q.sort ?? 'severity', dir: q.dir ?? 'desc' };
    return alarmsPage(s.ctx, { ...data.activeAlarms(s.viewer, filter), filter });
  });

  // One row of the live alarms table, for the page's script after a raise; 204 when the alarm is
  // not active any more, not visible to this viewer, or outside the page's filter.
  router.page('/alarms/row', ACCESS.deviceData, (s) => {
    const { id: deviceId, key, siteColumn, ...q } = parse(rowQuery, s.request.query, 'query');
    const filter: AlarmFilter = { ...q, sort: q.sort ?? 'severity', dir: q.dir ?? 'desc' };
    const alarm = data.activeAlarm(s.viewer, deviceId, key);
    if (!alarm || !matchesFilter(alarm, filter)) return null;
    return alarmRow(s.ctx, alarm, { device: true, site: siteColumn === '1', sorting: { filter, base: '/console/alarms' } });
  });

  router.page('/alarms/acknowledge', ACCESS.admin, (s) => {
    const q = parse(ackQuery, s.request.query, 'query');
    const alarm = data.deviceDetail(s.viewer, q.device)?.alarms.find((a) => a.key === q.key);
    if (!alarm) throw new ConsolePageError(404, 'No such alarm', 'That alarm is not active (any more): the device may have cleared it.');
    return acknowledgePage(s.ctx, alarm);
  });

  router.page('/devices', ACCESS.deviceData, (s) => devicesList(router, s));

  router.page('/devices/:id', ACCESS.deviceData, (s) => {
    const { id: deviceId } = parse(deviceParams, s.request.params, 'path');
    const detail = data.deviceDetail(s.viewer, deviceId);
    if (!detail) throw new ConsolePageError(404, 'No such device', `There is no device with id ${deviceId}.`);
    return devicePage(s.ctx, detail);
  });

  router.page('/history', ACCESS.deviceData, (s) => {
    const q = parse(historyQuery, s.request.query, 'query');
    const filter = { ...q, limit: HISTORY_PAGE_SIZE };
    return historyPage(s.ctx, filter, data.history(s.viewer, filter));
  });

  router.page('/licenses', ACCESS.installation, (s) => licensesPage(s.ctx, data.licenses()));

  router.page('/tokens', ACCESS.admin, (s) => tokensPage(s.ctx, router.deps.tokens.list(), router.deps.clock.now()));

  router.page('/maintenance', ACCESS.maintenance, (s) => maintenancePage(s.ctx, data.maintenanceWindows(), router.deps.clock.now()));
}

function devicesList(router: ConsoleRouter, s: SignedIn) {
  const q = parse(devicesQuery, s.request.query, 'query');
  const counts = router.data.alarmCounts(s.viewer);
  const needle = q.q?.toLowerCase();
  const all = router.data.devices(s.viewer);
  const devices = all
    .filter((d) => (q.status === undefined || d.status === (q.status as DeviceStatus)) && (q.site === undefined || d.site === q.site) && (needle === undefined || d.name.toLowerCase().includes(needle)))
    .sort((a, b) => a.name.localeCompare(b.name));
  const pageNumber = q.page ?? 0;
  const rows: DeviceListRow[] = devices.slice(pageNumber * DEVICE_PAGE_SIZE, (pageNumber + 1) * DEVICE_PAGE_SIZE).map((device) => {
    const found = counts.get(device.id);
    return { device, alarms: found?.count ?? 0, worst: found?.worst ?? null };
  });
  const sites = [...new Set(all.map((d) => d.site).filter((v): v is string => v !== null))].sort();
  return devicesPage(s.ctx, { rows, total: devices.length, pageSize: DEVICE_PAGE_SIZE, filter: { ...q, page: pageNumber }, sites });
}
