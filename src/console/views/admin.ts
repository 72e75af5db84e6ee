import { ROLES, type TokenInfo } from '../../access/tokens.js';
import type { LicenseUsage, LicenseView } from '../../app/license-service.js';
import { html, type Html } from '../html.js';
import type { ConsoleMaintenanceWindow } from '../services.js';
import { ACCESS, may } from '../access.js';
import { csrfField, page, scrollTable, time, type PageContext } from './layout.js';

export function licensesPage(ctx: PageContext, { usage, keys }: { usage: LicenseUsage; keys: readonly LicenseView[] }): Html {
  const admin = may(ctx.viewer, ACCESS.admin);
  const summary = html`<dl class="facts">
<div><dt>In use</dt><dd><strong>${usage.used}</strong> of ${usage.licensed} nodes</dd></div>
<div><dt>Included without a key</dt><dd>${usage.included}</dd></div>
<div><dt>Unlicensed devices</dt><dd>${usage.unlicensed > 0 ? html`<strong class="warn">${usage.unlicensed}</strong> (kept, not monitored)` : '0'}</dd></div>
<div><dt>Server identity (keys are bound to it)</dt><dd><code>${usage.serverId ?? 'none'}</code></dd></div>
</dl>`;
  const head = html`<th scope="col">Fingerprint</th><th scope="col">Nodes</th><th scope="col">Edition</th><th scope="col">Issued</th><th scope="col">Installed</th>${admin && html`<th scope="col"><span class="visually-hidden">Actions</span></th>`}`;
  const rows = keys.map((k) => html`<tr>
<td><code>${k.fingerprint}</code></td><td class="num">${k.nodes}</td><td>${k.edition}</td><td>${k.issuedOn}</td><td>${time(k.installedAt)}</td>
${admin && html`<td><form method="post" action="/console/licenses/${k.fingerprint}/remove">${csrfField(ctx)}<button type="submit" class="danger" aria-label="Remove key ${k.fingerprint}">Remove</button></form></td>`}
</tr>`);
  const add = admin
    ? html`<h2>Add a key</h2><form method="post" action="/console/licenses" class="stacked">${csrfField(ctx)}
<label for="key">License key (spaces, dashes, lower case and O/I/L for 0/1/1 are accepted)</label>
<textarea id="key" name="key" rows="2" maxlength="200" required autocomplete="off" spellcheck="false"></textarea>
<button type="submit">Add key</button></form>`
    : '';
  return page(ctx, 'Licenses', html`${summary}<h2>Installed keys</h2>${scrollTable({ caption: 'License keys', head, rows, empty: 'No keys installed.' })}${add}`);
}

/** `created` is shown once, right after it was made: only its hash is kept. */
export function tokensPage(ctx: PageContext, tokens: readonly TokenInfo[], now: number, created?: { token: string; name: string }): Html {
  const shown = created
    ? html`<div class="new-token" role="status"><p>Token <strong>${created.name}</strong> created. Copy it now: it is not shown again.</p>
<p><label for="new-token" class="visually-hidden">New token</label><input id="new-token" class="token" readonly value="${created.token}" size="50"></p></div>`
    : '';
  const head = html`<th scope="col">Name</th><th scope="col">Role</th><th scope="col">Starts with</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th>`;
  const rows = tokens.map((t) => {
    const expired = t.expiresAt !== null && t.expiresAt <= now;
    return html`<tr${expired ? html` class="stale"` : ''}>
<td>${t.name}${t.id === ctx.viewer.id && html` <span class="tag">this session</span>`}</td><td>${t.role}</td><td><code>${t.prefix}…</code></td>
<td>${time(t.createdAt)}</td><td>${time(t.lastUsedAt)}</td><td>${t.expiresAt === null ? 'never' : html`${time(t.expiresAt)}${expired && html` <span class="tag">expired</span>`}`}</td>
<td><form method="post" action="/console/tokens/${t.id}/revoke">${csrfField(ctx)}<button type="submit" class="danger" aria-label="Revoke token ${t.name}">Revoke</button></form></td>
</tr>`;
  });
  const form = html`<h2>Create a token</h2><form method="post" action="/console/tokens" class="inline">${csrfField(ctx)}
<label>Name <input name="name" required maxlength="64" pattern="[A-Za-z0-9][A-Za-z0-9 ._@\\-]{0,63}"></label>
<label>Role <select name="role">${ROLES.map((r) => html`<option value="${r}"${r === 'viewer' ? html` selected` : ''}>${r}</option>`)}</select></label>
<label>Expires in <input name="expiresInDays" type="number" min="1" max="3650" inputmode="numeric" size="5"> days <span class="hint">(empty: never)</span></label>
<button type="submit">Create</button></form>`;
  return page(ctx, 'API tokens', html`${shown}${scrollTable({ caption: 'Tokens', head, rows, empty: 'No tokens.' })}${form}`);
}

function scopeText(scope: ConsoleMaintenanceWindow['scope']): string {
  if ('devices' in scope) return `devices ${scope.devices.join(', ')}`;
  if ('site' in scope) return `site ${scope.site}`;
  return `profile ${scope.profile}`;
}

function windowState(w: ConsoleMaintenanceWindow, now: number): string {
  if (w.endedAt !== null || w.endsAt <= now) return 'ended';
  return w.startsAt <= now ? 'active' : 'scheduled';
}

export function maintenancePage(ctx: PageContext, windows: readonly ConsoleMaintenanceWindow[], now: number): Html {
  const admin = may(ctx.viewer, ACCESS.admin);
  const head = html`<th scope="col">State</th><th scope="col">Covers</th><th scope="col">From</th><th scope="col">Until</th><th scope="col">Reason</th><th scope="col">By</th>${admin && html`<th scope="col"><span class="visually-hidden">Actions</span></th>`}`;
  const rows = windows.map((w) => {
    const state = windowState(w, now);
    return html`<tr class="window-${state}">
<td><span class="tag tag-${state === 'active' ? 'maintenance' : state}">${state}</span></td><td>${scopeText(w.scope)}</td><td>${time(w.startsAt)}</td><td>${time(w.endedAt ?? w.endsAt)}</td><td>${w.reason}</td><td>${w.createdBy}</td>
${admin && html`<td>${state !== 'ended' && html`<form method="post" action="/console/maintenance/${w.id}/end">${csrfField(ctx)}<button type="submit">End now</button></form>`}</td>`}
</tr>`;
  });
  const form = admin
    ? html`<h2>Start a maintenance window</h2>
<p class="hint">Alarms of the devices it covers are still stored and shown, marked in maintenance, but not sent as firing to Alertmanager or any channel; those still active when it ends are sent then.</p>
<form method="post" action="/console/maintenance" class="stacked">${csrfField(ctx)}
<fieldset><legend>Covers</legend>
<label><input type="radio" name="scope" value="devices" checked> devices (names, comma separated)</label>
<label><input type="radio" name="scope" value="site"> a site</label>
<label><input type="radio" name="scope" value="profile"> a profile</label>
<label for="target">Which</label><input id="target" name="target" required maxlength="1000">
</fieldset>
<label for="starts">Starts in (minutes; 0 is now)</label><input id="starts" name="startsInMinutes" type="number" min="0" max="525600" value="0" required>
<label for="duration">Lasts (minutes)</label><input id="duration" name="durationMinutes" type="number" min="1" max="525600" value="60" required>
<label for="reason">Reason</label><input id="reason" name="reason" required maxlength="500">
<button type="submit">Start window</button></form>`
    : '';
  return page(ctx, 'Maintenance windows', html`${scrollTable({ caption: 'Maintenance windows', head, rows, empty: 'No maintenance windows.' })}${form}`);
}
