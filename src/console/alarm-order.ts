import type { Severity } from '../alarms/model.js';
import type { ConsoleAlarm } from './data.js';

// The order and the filter of the active-alarms table. The page's script inserts live rows in
// the same order (src/console/assets/client.ts): a change here is a change there.

export const ALARM_SORTS = ['severity', 'raised', 'device', 'site', 'code'] as const;
export type AlarmSort = (typeof ALARM_SORTS)[number];

export interface AlarmFilter {
  site?: string | undefined;
  severity?: Severity | undefined;
  device?: string | undefined;
  code?: string | undefined;
  sort: AlarmSort;
  dir: 'asc' | 'desc';
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function matchesFilter(a: ConsoleAlarm, filter: Omit<AlarmFilter, 'sort' | 'dir'>): boolean {
  return (
    (filter.severity === undefined || a.severity === filter.severity) &&
    (filter.site === undefined || a.site === filter.site) &&
    (filter.device === undefined || a.device === filter.device) &&
    (filter.code === undefined || a.code === filter.code)
  );
}

export function sortAlarms(alarms: ConsoleAlarm[], sort: AlarmSort, dir: 'asc' | 'desc'): ConsoleAlarm[] {
  const sign = dir === 'asc' ? 1 : -1;
  const text = (a: string | null, b: string | null) => (a ?? '').localeCompare(b ?? '');
  const primary: Record<AlarmSort, (a: ConsoleAlarm, b: ConsoleAlarm) => number> = {
    severity: (a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity],
    raised: (a, b) => a.raisedAt - b.raisedAt,
    device: (a, b) => text(a.device, b.device),
    site: (a, b) => text(a.site, b.site),
    code: (a, b) => text(a.code, b.code),
  };
  // Ties: the newest raise first, then device and key, so the order is stable between refreshes.
  return alarms.sort((a, b) => sign * primary[sort](a, b) || b.raisedAt - a.raisedAt || text(a.device, b.device) || text(a.key, b.key));
}
