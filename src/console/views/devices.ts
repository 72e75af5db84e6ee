import type { Severity } from '../../alarms/model.js';
import type { ChartedReading, ConsoleDevice, DeviceChainLinks, DeviceDetail, DeviceStatus } from '../data.js';
import { ACCESS, may } from '../access.js';
import { consoleUrl, html, type Html } from '../html.js';
import type { ConsoleThreshold } from '../services.js';
import { alarmTable } from './alarms.js';
import { sparkline, withUnit } from './chart.js';
import { csrfField, deviceLink, page, scrollTable, selectOptions, severityBadge, statusBadge, time, type PageContext } from './layout.js';
import { eventTable } from './history.js';

export interface DeviceListFilter {
  status?: DeviceStatus | undefined;
  site?: string | undefined;
  /** Part of the name, any case. */
  q?: string | undefined;
  page: number;
}

export interface DeviceListRow {
  device: ConsoleDevice;
  alarms: number;
  worst: Severity | null;
}

export interface DevicesPage {
  rows: readonly DeviceListRow[];
  /** Devices matching the filter, over all pages. */
  total: number;
  pageSize: number;
  filter: DeviceListFilter;
  sites: readonly string[];
}

const STATUSES: readonly DeviceStatus[] = ['up', 'down', 'unknown', 'unlicensed'];

function registrationText(d: ConsoleDevice): Html {
  return html`<span class="reg reg-${d.registration}">${d.registration}</span>`;
}

export function devicesPage(ctx: PageContext, p: DevicesPage): Html {
  const { filter } = p;
  const site = p.sites.length > 0;
  const query = { status: filter.status, site: filter.site, q: filter.q };
  const form = html`<form class="filters" method="get" action="/console/devices">
<label>Name <input type="search" name="q" value="${filter.q ?? ''}" maxlength="64"></label>
<label>Status <select name="status">${selectOptions(STATUSES, filter.status, 'any status')}</select></label>
${site && html`<label>Site <select name="site">${selectOptions(p.sites, filter.site, 'any site')}</select></label>`}
<button type="submit">Filter</button> <a href="/console/devices">Clear</a>
</form>`;
  const head = html`<th scope="col">Device</th><th scope="col">Address</th>${site && html`<th scope="col">Site</th>`}<th scope="col">Profile</th><th scope="col">Status</th><th scope="col">Registration</th><th scope="col">Last scan</th><th scope="col">Alarms</th>`;
  const rows = p.rows.map(({ device: d, alarms, worst }) => html`<tr>
<td>${deviceLink(d.id, d.name)}</td>
<td class="address">${d.address}</td>
${site && html`<td>${d.site ?? ''}</td>`}
<td>${d.resolvedProfile ?? d.profile}</td>
<td>${statusBadge(d.status)}${d.inMaintenance && html` <span class="tag tag-maintenance">in maintenance</span>`}</td>
<td>${registrationText(d)}</td>
<td>${time(d.lastScanAt)}</td>
<td>${alarms > 0 ? html`${alarms} ${severityBadge(worst!)}` : html`<span class="none">none</span>`}</td>
</tr>`);
  const first = filter.page * p.pageSize;
  const pager = p.total > p.pageSize
    ? html`<nav class="pager" aria-label="Pages">
${filter.page > 0 && html`<a href="${consoleUrl('/console/devices', { ...query, page: filter.page - 1 || undefined })}">← Previous</a>`}
<span>${first + 1}–${Math.min(first + p.pageSize, p.total)} of ${p.total}</span>
${first + p.pageSize < p.total && html`<a href="${consoleUrl('/console/devices', { ...query, page: filter.page + 1 })}">Next →</a>`}
</nav>`
    : html`<p class="count">${p.total} device${p.total === 1 ? '' : 's'}</p>`;
  return page(ctx, 'Devices', html`${form}${pager}${scrollTable({ caption: 'Devices', head, rows, empty: 'No devices match.' })}`);
}

function fact(term: string, value: Html | string | number | null): Html {
  return html`<div><dt>${term}</dt><dd>${value === null || value === '' ? html`<span class="none">—</span>` : value}</dd></div>`;
}

function facts(d: ConsoleDevice): Html {
  return html`<dl class="facts">
${fact('Address', html`<span class="address">${d.address}</span>${d.port !== null ? html`<span class="port">port ${d.port}</span>` : ''}`)}
${fact('Status', statusBadge(d.status))}
${d.site !== null && fact('Site', d.site)}
${fact('Profile', d.resolvedProfile && d.profile === 'auto' ? `${d.resolvedProfile} (auto)` : (d.resolvedProfile ?? d.profile))}
${fact('Registration', html`${registrationText(d)}${d.priorityScanning ? '' : html` <span class="none">(priority scanning off)</span>`}`)}
${fact('Registered, last verified', time(d.registeredAt))}
${d.registrationError && fact('Registration error', html`<span class="error-text">${d.registrationError}</span>`)}
${fact('Last scan', d.lastScanAt ? html`${time(d.lastScanAt)}${d.lastScanMs !== null ? html` <span class="none">(${d.lastScanMs} ms)</span>` : ''}` : time(null))}
${d.lastError && fact('Last error', html`<span class="error-text">${d.lastError}</span>`)}
${fact('Safety-net scan', `every ${d.intervalSeconds} s`)}
${fact('Maintenance', d.inMaintenance ? html`<span class="tag tag-maintenance">in maintenance</span>` : 'no window now')}
${fact('sysDescr', d.sysDescr)}
${fact('sysObjectID', d.sysObjectId)}
${fact('Added', d.origin === 'config' ? 'from the config file' : 'through the API')}
</dl>`;
}

/** A lead's shadows, or a shadow's lead: the units behind one card, each a link to its page. */
function chainFacts(chain: DeviceChainLinks): Html | '' {
  if (chain.lead === null && chain.shadows.length === 0 && chain.position === null) return '';
  const link = (u: { id: number; name: string }) => html`<a href="/console/devices/${u.id}">${u.name}</a>`;
  return html`<dl class="facts chain">
${chain.position !== null && fact('Place in the chain', chain.position)}
${chain.lead !== null && fact('Lead (reached through)', link(chain.lead))}
${chain.shadows.length > 0 && fact('Shadows (behind this card)', html`${chain.shadows.map((s, i) => html`${i ? ', ' : ''}${link(s)}${s.position !== null ? html` <span class="none">(${s.position})</span>` : ''}`)}`)}
</dl>`;
}

function readingsSection(readings: readonly ChartedReading[]): Html {
  const head = html`<th scope="col">Reading</th><th scope="col">Row</th><th scope="col">Value</th><th scope="col">Last day</th><th scope="col">Read</th>`;
  const rows = readings.map((r) => {
    const name = r.description ?? r.reading;
    const value = r.state !== null ? r.state : withUnit(r.value, r.unit);
    return html`<tr${r.stale ? html` class="stale"` : ''}>
<td>${name}<code>${r.reading}</code></td>
<td>${r.label || r.instance}</td>
<td class="value">${value}${r.stale && html` <span class="tag">not read by the last scan</span>`}</td>
<td class="chart-cell">${r.points ? sparkline(r.points, r.unit, `${name} ${r.label}`.trim()) : ''}</td>
<td>${time(r.at)}</td>
</tr>`;
  });
  return html`<section aria-labelledby="readings"><h2 id="readings">Readings</h2>${scrollTable({ caption: 'Readings', head, rows, empty: 'No readings stored yet (they come with the next scan).' })}</section>`;
}

function limitText(t: ConsoleThreshold): string {
  if (t.disabled) return 'disabled';
  if (t.outside) return `outside ${t.outside[0]} … ${t.outside[1]}`;
  if (t.above !== undefined) return `above ${t.above}`;
  if (t.below !== undefined) return `below ${t.below}`;
  return '';
}

function thresholdsSection(thresholds: readonly ConsoleThreshold[]): Html {
  const head = html`<th scope="col">Reading</th><th scope="col">Row</th><th scope="col">Level</th><th scope="col">Limit</th><th scope="col">Hysteresis</th><th scope="col">For</th><th scope="col">From</th>`;
  const rows = thresholds.map((t) => html`<tr>
<td><code>${t.reading}</code></td><td>${t.instance ?? 'every row'}</td><td>${t.level}</td><td>${limitText(t)}</td><td>${t.hysteresis}</td><td>${t.forSeconds} s</td><td>${t.scope}</td>
</tr>`);
  return html`<section aria-labelledby="thresholds"><h2 id="thresholds">Thresholds</h2>${scrollTable({ caption: 'Thresholds', head, rows, empty: 'No thresholds apply to this device.' })}</section>`;
}

export function devicePage(ctx: PageContext, detail: DeviceDetail): Html {
  const d = detail.device;
  const admin = may(ctx.viewer, ACCESS.deviceAdmin);
  const actions = admin && d.status !== 'unlicensed'
    ? html`<div class="actions">
<form method="post" action="/console/devices/${d.id}/scan">${csrfField(ctx)}<button type="submit">Scan now</button></form>
${d.priorityScanning && html`<form method="post" action="/console/devices/${d.id}/register">${csrfField(ctx)}<button type="submit">Verify registration</button></form>`}
</div>`
    : '';
  const content = html`${actions}${facts(d)}${chainFacts(detail.chain)}
<section id="device-alarms" data-live data-live-src="/console/devices/${d.id}" aria-labelledby="alarms-heading">
<h2 id="alarms-heading">Active alarms</h2>
${alarmTable(ctx, detail.alarms, { device: false, site: false })}
</section>
${readingsSection(detail.readings)}
${thresholdsSection(detail.thresholds)}
<section aria-labelledby="events-heading"><h2 id="events-heading">Recent events</h2>
${eventTable(detail.events, false)}
<p><a href="${consoleUrl('/console/history', { device: d.name })}">All events of ${d.name}</a></p>
</section>`;
  return page(ctx, d.name, content);
}
