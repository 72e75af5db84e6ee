import { ALARM_EVENT_KINDS, SEVERITIES, type AlarmEvent, type AlarmEventKind } from '../../alarms/model.js';
import type { HistoryFilter, HistoryPage } from '../data.js';
import { consoleUrl, html, type Html } from '../html.js';
import { page, scrollTable, selectOptions, severityBadge, time, type PageContext } from './layout.js';

const KIND_TEXT: Record<AlarmEventKind, string> = { raise: 'raised', clear: 'cleared', ack: 'acknowledged', unack: 'acknowledgement withdrawn' };

/** Why it happened: a clear's reason, or who acknowledged (or withdrew that) and why. */
function eventNote(e: AlarmEvent): Html | false {
  if (e.kind === 'ack' || e.kind === 'unack') return html`<span class="reason">by ${e.by ?? '?'}${e.comment ? `: ${e.comment}` : ''}</span>`;
  return Boolean(e.reason) && html`<span class="reason">${e.reason}</span>`;
}

/** Events, newest first; device names link to the device's history. */
export function eventTable(events: readonly AlarmEvent[], deviceColumn: boolean): Html {
  const head = html`<th scope="col">#</th><th scope="col">When</th><th scope="col">Event</th><th scope="col">Severity</th>${deviceColumn && html`<th scope="col">Device</th>`}<th scope="col">Alarm</th>`;
  const rows = events.map((e) => html`<tr class="event-${e.kind}">
<td class="num">${e.id}</td>
<td>${time(e.at)}</td>
<td><span class="kind kind-${e.kind}">${KIND_TEXT[e.kind]}</span>${eventNote(e)}</td>
<td>${severityBadge(e.severity)}</td>
${deviceColumn && html`<td><a href="${consoleUrl('/console/history', { device: e.deviceName })}">${e.deviceName}</a></td>`}
<td><span class="description">${e.description}</span><code>${e.code}</code></td>
</tr>`);
  return scrollTable({ caption: 'Events', head, rows, empty: 'No events.' });
}

export function historyPage(ctx: PageContext, filter: HistoryFilter, result: HistoryPage): Html {
  const query = { device: filter.device, severity: filter.severity, kind: filter.kind, code: filter.code };
  const form = html`<form class="filters" method="get" action="/console/history">
<label>Device <input type="search" name="device" value="${filter.device ?? ''}" maxlength="64"></label>
<label>Severity <select name="severity">${selectOptions(SEVERITIES, filter.severity, 'any severity')}</select></label>
<label>Event <select name="kind">${selectOptions(ALARM_EVENT_KINDS, filter.kind, 'every event')}</select></label>
<label>Alarm code <input type="search" name="code" value="${filter.code ?? ''}" maxlength="128"></label>
<button type="submit">Filter</button> <a href="/console/history">Clear</a>
</form>`;
  const pager = html`<nav class="pager" aria-label="Pages">
${filter.before !== undefined && html`<a href="${consoleUrl('/console/history', query)}">Newest</a>`}
${result.older !== null && html`<a href="${consoleUrl('/console/history', { ...query, before: result.older })}">Older →</a>`}
</nav>`;
  return page(ctx, 'Alarm history', html`${form}${eventTable(result.events, true)}${pager}`);
}
