import { SEVERITIES } from '../../alarms/model.js';
import { SEVERITY_RANK, type AlarmFilter, type AlarmSort } from '../alarm-order.js';
import type { AlarmFacets, ConsoleAlarm } from '../data.js';
import { ACCESS, may } from '../access.js';
import { consoleUrl, html, type Html } from '../html.js';
import { csrfField, deviceLink, page, scrollTable, selectOptions, severityBadge, time, type PageContext } from './layout.js';

export interface AlarmTableOptions {
  /** Show the device column (not on a device's own page). */
  device: boolean;
  /** Show the site column (only when some device has a site). */
  site: boolean;
  /** Sortable headers linking to this page with the filter kept; absent: plain headers. */
  sorting?: { filter: AlarmFilter; base: string };
}

function stateCell(ctx: PageContext, a: ConsoleAlarm): Html {
  const parts: Html[] = [];
  const admin = may(ctx.viewer, ACCESS.admin);
  if (a.inMaintenance) parts.push(html`<span class="tag tag-maintenance" title="Held back from Alertmanager and webhooks until the maintenance ends">in maintenance</span>`);
  if (a.acknowledgement) {
    const ack = a.acknowledgement;
    parts.push(html`<span class="tag tag-ack" title="${ack.comment}">acknowledged by ${ack.by}</span> ${time(ack.at)}`);
    if (admin) {
      parts.push(html`<form method="post" action="/console/alarms/unacknowledge" class="inline-action">${csrfField(ctx)}<input type="hidden" name="device" value="${a.deviceId}"><input type="hidden" name="key" value="${a.key}"><button type="submit" class="link" aria-label="Withdraw the acknowledgement of ${a.code} on ${a.device}">Withdraw</button></form>`);
    }
  } else if (admin) {
    parts.push(html`<a class="button small" href="${consoleUrl('/console/alarms/acknowledge', { device: a.deviceId, key: a.key })}">Acknowledge</a>`);
  }
  return html`<td class="state">${parts.length ? parts : html`<span class="tag">active</span>`}</td>`;
}

/** What the page's script sorts a row it inserts by (the same order as sortAlarms). */
function sortData(a: ConsoleAlarm): Html {
  return html` data-rank="${SEVERITY_RANK[a.severity]}" data-raised="${a.raisedAt}" data-device="${a.device}" data-site="${a.site ?? ''}" data-code="${a.code}" data-key="${a.key}"`;
}

export function alarmRow(ctx: PageContext, a: ConsoleAlarm, options: AlarmTableOptions): Html {
  return html`<tr class="row-${a.severity}" data-alarm="${a.deviceId}/${a.key}"${options.sorting && sortData(a)}>
<td>${severityBadge(a.severity)}</td>
${options.device && html`<td>${deviceLink(a.deviceId, a.device)}<span class="address">${a.address}</span></td>`}
${options.site && html`<td>${a.site ?? ''}</td>`}
<td><span class="description">${a.description}</span><code>${a.code}</code></td>
<td>${time(a.raisedAt)}</td>
${stateCell(ctx, a)}
</tr>`;
}

const COLUMNS: readonly { sort: AlarmSort; label: string; when: (o: AlarmTableOptions) => boolean }[] = [
  { sort: 'severity', label: 'Severity', when: () => true },
  { sort: 'device', label: 'Device', when: (o) => o.device },
  { sort: 'site', label: 'Site', when: (o) => o.site },
  { sort: 'code', label: 'Alarm', when: () => true },
  { sort: 'raised', label: 'Raised', when: () => true },
];

function header(options: AlarmTableOptions): Html {
  const cells = COLUMNS.filter((c) => c.when(options)).map((c) => {
    const sorting = options.sorting;
    if (!sorting) return html`<th scope="col">${c.label}</th>`;
    const active = sorting.filter.sort === c.sort;
    const nextDir = active && sorting.filter.dir === 'desc' ? 'asc' : 'desc';
    const href = consoleUrl(sorting.base, { ...filterQuery(sorting.filter), sort: c.sort, dir: nextDir });
    const ariaSort = active ? (sorting.filter.dir === 'asc' ? 'ascending' : 'descending') : undefined;
    return html`<th scope="col"${ariaSort ? html` aria-sort="${ariaSort}"` : ''}><a href="${href}">${c.label}${active ? (sorting.filter.dir === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`;
  });
  return html`${cells}<th scope="col">State</th>`;
}

export function alarmTable(ctx: PageContext, alarms: readonly ConsoleAlarm[], options: AlarmTableOptions): Html {
  // A sortable table is the live one: its script inserts raised rows in this order and removes cleared ones.
  const sorting = options.sorting;
  const rowUrl = sorting && consoleUrl('/console/alarms/row', { ...filterQuery(sorting.filter), siteColumn: options.site ? 1 : undefined });
  const attributes = sorting && html` data-live-alarms data-sort="${sorting.filter.sort}" data-dir="${sorting.filter.dir}" data-row-src="${rowUrl}"`;
  return scrollTable({ caption: 'Active alarms', head: header(options), rows: alarms.map((a) => alarmRow(ctx, a, options)), empty: 'No active alarms.', attributes });
}

export function filterQuery(f: AlarmFilter): Record<string, string | undefined> {
  return { site: f.site, severity: f.severity, device: f.device, code: f.code, sort: f.sort === 'severity' ? undefined : f.sort, dir: f.dir === 'desc' ? undefined : f.dir };
}

/** The count line; the page's script keeps its numbers current as rows come and go. */
function counts(alarms: readonly ConsoleAlarm[]): Html {
  const n = (severity: string) => alarms.filter((a) => a.severity === severity).length;
  return html`<p class="count" data-counts><strong data-count="all">${alarms.length}</strong> active <span data-noun>${alarms.length === 1 ? 'alarm' : 'alarms'}</span>: ${SEVERITIES.slice().reverse().map((s, i) => html`${i ? ', ' : ''}<span data-count="${s}">${n(s)}</span> ${s}`)}</p>`;
}

export interface AlarmsPage {
  alarms: readonly ConsoleAlarm[];
  filter: AlarmFilter;
  facets: AlarmFacets;
}

/**
 * Active alarms with filters and sortable columns. The table is live: on each raise the event
 * stream announces, the page's script asks for that one row (rendered here, escaped and masked
 * like the rest) and inserts it in order; a clear removes its row. After the stream reconnects,
 * the whole section is fetched again (anything missed meanwhile).
 */
export function alarmsPage(ctx: PageContext, { alarms, filter, facets }: AlarmsPage): Html {
  const self = consoleUrl('/console/alarms', filterQuery(filter));
  const site = facets.sites.length > 0 || filter.site !== undefined;
  const swap = html`hx-get="/console/alarms" hx-target="#alarm-table" hx-select="#alarm-table" hx-swap="outerHTML" hx-push-url="true"`;
  const form = html`<form class="filters" method="get" action="/console/alarms" ${swap} hx-trigger="change, submit">
${site && html`<label>Site <select name="site">${selectOptions(facets.sites, filter.site, 'any site')}</select></label>`}
<label>Severity <select name="severity">${selectOptions(SEVERITIES, filter.severity, 'any severity')}</select></label>
<label>Device <select name="device">${selectOptions(facets.devices, filter.device, 'any device')}</select></label>
<label>Alarm <select name="code">${selectOptions(facets.codes, filter.code, 'any alarm')}</select></label>
${filter.sort !== 'severity' && html`<input type="hidden" name="sort" value="${filter.sort}">`}
${filter.dir !== 'desc' && html`<input type="hidden" name="dir" value="${filter.dir}">`}
<button type="submit">Filter</button> <a href="/console/alarms">Clear</a>
</form>`;
  const table = html`<section id="alarm-table" data-live data-live-src="${self}" aria-label="Active alarms">
${counts(alarms)}
${alarmTable(ctx, alarms, { device: true, site, sorting: { filter, base: '/console/alarms' } })}
</section>`;
  return page(ctx, 'Active alarms', html`${form}${table}`);
}

/** The form to acknowledge one active alarm (the customer's admins, as POST /api/v1/alarms/ack). */
export function acknowledgePage(ctx: PageContext, alarm: ConsoleAlarm): Html {
  const content = html`${alarmTable(ctx, [alarm], { device: true, site: false })}
<form method="post" action="/console/alarms/acknowledge" class="stacked">
${csrfField(ctx)}
<input type="hidden" name="device" value="${alarm.deviceId}">
<input type="hidden" name="key" value="${alarm.key}">
<label for="comment">Comment (what you know, what is being done)</label>
<textarea id="comment" name="comment" rows="3" maxlength="500" required></textarea>
<p class="hint">The alarm stays active until the device clears it; a new raise after a clear is unacknowledged again.</p>
<button type="submit">Acknowledge</button> <a href="/console/alarms">Cancel</a>
</form>`;
  return page(ctx, 'Acknowledge an alarm', content);
}
