import { SEVERITIES } from '../../alarms/model.js';
import type { Overview } from '../data.js';
import { consoleUrl, html, type Html } from '../html.js';
import { deviceLink, page, severityBadge, statusBadge, time, type PageContext } from './layout.js';

function tile(label: Html | string, count: number, href: string, className = ''): Html {
  return html`<li class="tile ${className}${count === 0 ? ' zero' : ''}"><a href="${href}"><span class="n">${count}</span><span class="label">${label}</span></a></li>`;
}

/** The wall-screen page: alarm counts by severity and state, devices, those out of contact, licenses. */
export function overviewPage(ctx: PageContext, o: Overview): Html {
  const severities = SEVERITIES.slice().reverse().map((s) => tile(severityBadge(s), o.bySeverity[s], consoleUrl('/console/alarms', { severity: s }), `tile-${s}`));
  const states = html`<h2>Alarms by state</h2><ul class="tiles">
${tile('unacknowledged', o.byState.unacknowledged, '/console/alarms')}
${tile('acknowledged', o.byState.acknowledged, '/console/alarms')}
${tile('in maintenance', o.byState.inMaintenance, '/console/alarms')}
</ul>`;
  const d = o.devices;
  const devices = html`<ul class="tiles">
${tile('devices', d.total, '/console/devices')}
${tile(statusBadge('up'), d.up, consoleUrl('/console/devices', { status: 'up' }), 'tile-up')}
${tile(statusBadge('down'), d.down, consoleUrl('/console/devices', { status: 'down' }), 'tile-down')}
${tile(statusBadge('unknown'), d.unknown, consoleUrl('/console/devices', { status: 'unknown' }))}
${tile(statusBadge('unlicensed'), d.unlicensed, consoleUrl('/console/devices', { status: 'unlicensed' }))}
</ul>
<p class="registration">Registration: ${Object.entries(o.registration).sort().map(([state, n], i) => html`${i ? ', ' : ''}${n} <span class="reg reg-${state}">${state}</span>`)}${Object.keys(o.registration).length === 0 && 'no devices'}</p>`;
  const lost = o.communicationLost.length
    ? html`<ul class="lost">${o.communicationLost.map((l) => html`<li>${deviceLink(l.device.id, l.device.name)} <span class="address">${l.device.address}</span> since ${time(l.since)}</li>`)}</ul>`
    : html`<p class="none">Every monitored device answers.</p>`;
  const l = o.license;
  const license = html`<p class="license"><strong>${l.used}</strong> of <strong>${l.licensed}</strong> licensed nodes in use${l.unlicensed > 0 ? html`; <strong class="warn">${l.unlicensed} device${l.unlicensed === 1 ? '' : 's'} unlicensed</strong> (kept, not monitored)` : ''}. <a href="/console/licenses">Licenses</a></p>`;
  // A partner without the device-data grant sees the installation's facts only, as through the API.
  const deviceParts = o.deviceData
    ? html`<h2>Active alarms</h2><ul class="tiles">${severities}</ul>
${states}
<h2>Devices</h2>${devices}
<h2>Communication lost</h2>${lost}`
    : html`<p class="flash" role="status">Your partner organisation has no device-data access: alarms and devices are not shown. The customer's administrator can grant it.</p>`;
  // Live only with device data: the event stream is device data (a partner without it is refused).
  const content = html`<section id="overview"${o.deviceData && html` data-live data-live-src="/console/"`} aria-label="Summary">
${deviceParts}
<h2>License</h2>${license}
</section>`;
  return page(ctx, 'Overview', content);
}
