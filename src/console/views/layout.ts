import type { Severity } from '../../alarms/model.js';
import type { Viewer, DeviceStatus } from '../data.js';
import { html, type Html, type Markup } from '../html.js';
import type { Flash } from '../session.js';
import { ACCESS, may, type ConsoleAccess } from '../access.js';

/** Where the page's stylesheet and scripts are (versioned URLs, cached for long). */
export interface AssetUrls {
  css: string;
  htmx: string;
  client: string;
}

/** What every signed-in page knows besides its own data. */
export interface PageContext {
  viewer: Viewer;
  /** The session's CSRF token, for the forms on the page. */
  csrf: string;
  flash: Flash | undefined;
  assets: AssetUrls;
  /** The request's path, to mark the current section in the menu. */
  path: string;
}

// htmx must not keep pages (a new token is on one) in localStorage, nor evaluate code from pages.
const HTMX_CONFIG = '{"historyCacheSize":0,"refreshOnHistoryMiss":true,"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,"selfRequestsOnly":true}';

function head(title: string, assets: AssetUrls): Html {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${title} · priscan</title>
<link rel="stylesheet" href="${assets.css}">
<script src="${assets.htmx}" defer></script>
<script src="${assets.client}" defer></script>
</head>`;
}

interface Section {
  path: string;
  label: string;
  /** The page's own access: the menu offers only what the viewer may open. */
  access: ConsoleAccess;
}

const SECTIONS: readonly Section[] = [
  { path: '/console/', label: 'Overview', access: ACCESS.installation },
  { path: '/console/alarms', label: 'Alarms', access: ACCESS.deviceData },
  { path: '/console/devices', label: 'Devices', access: ACCESS.deviceData },
  { path: '/console/history', label: 'History', access: ACCESS.deviceData },
  { path: '/console/maintenance', label: 'Maintenance', access: ACCESS.maintenance },
  { path: '/console/licenses', label: 'Licenses', access: ACCESS.installation },
  { path: '/console/tokens', label: 'Tokens', access: ACCESS.admin },
];

function current(section: Section, path: string): boolean {
  return section.path === '/console/' ? path === '/console/' || path === '/console' : path.startsWith(section.path);
}

/** A signed-in page: menu, who is signed in, the one-time message, then the content. */
export function page(ctx: PageContext, title: string, content: Markup): Html {
  const { viewer } = ctx;
  const menu = SECTIONS.filter((s) => may(viewer, s.access)).map(
    (s) => html`<li><a href="${s.path}"${current(s, ctx.path) ? html` aria-current="page"` : ''}>${s.label}</a></li>`,
  );
  return html`<!doctype html>
<html lang="en">
${head(title, ctx.assets)}
<body data-role="${viewer.role}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/console/">priscan</a>
<nav aria-label="Sections"><ul>${menu}</ul></nav>
<div class="who">
<span class="live-status" data-live-status role="status" aria-live="polite"></span>
<span class="signed-in">${viewer.name} <span class="role">${viewer.partner ? `partner ${viewer.partner.partnerId}` : viewer.role}</span></span>
<form method="post" action="/console/sign-out">${csrfField(ctx)}<button type="submit" class="link">Sign out</button></form>
</div>
</header>
<main id="main" tabindex="-1">
${ctx.flash && html`<p class="flash flash-${ctx.flash.kind}" role="${ctx.flash.kind === 'error' ? 'alert' : 'status'}">${ctx.flash.text}</p>`}
<h1>${title}</h1>
${content}
</main>
</body>
</html>`;
}

/** A page without the menu: sign-in, and errors before anyone signed in. */
export function barePage(title: string, assets: AssetUrls, content: Markup): Html {
  return html`<!doctype html>
<html lang="en">
${head(title, assets)}
<body class="bare">
<main id="main" class="narrow">
<p class="brand">priscan</p>
<h1>${title}</h1>
${content}
</main>
</body>
</html>`;
}

export function csrfField(ctx: Pick<PageContext, 'csrf'>): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

/**
 * A time as UTC text in a <time> element; the page's script shows it in the browser's time zone
 * and keeps the UTC instant in the title (hover). Without script the UTC text stays.
 */
export function time(at: number | string | null | undefined, none = 'never'): Html {
  if (at === null || at === undefined) return html`<span class="none">${none}</span>`;
  const iso = typeof at === 'number' ? new Date(at).toISOString() : at;
  const utc = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  return html`<time datetime="${iso}" title="${utc}">${utc}</time>`;
}

/** Severity by colour and by word (never colour alone). */
export function severityBadge(severity: Severity): Html {
  return html`<span class="sev sev-${severity}">${severity}</span>`;
}

const STATUS_TEXT: Record<DeviceStatus, string> = { up: 'up', down: 'down', unknown: 'not scanned yet', unlicensed: 'unlicensed' };

export function statusBadge(status: DeviceStatus): Html {
  return html`<span class="status status-${status}">${STATUS_TEXT[status]}</span>`;
}

export function deviceLink(id: number, name: string): Html {
  return html`<a href="/console/devices/${id}">${name}</a>`;
}

/** A table that scrolls sideways on a narrow screen instead of squeezing its columns. */
export function scrollTable(table: { caption: string; head: Markup; rows: Markup; empty: string; attributes?: Html }): Html {
  const { caption, head, rows, empty, attributes } = table;
  const body = Array.isArray(rows) && rows.length === 0 ? html`<tr class="empty"><td colspan="99">${empty}</td></tr>` : rows;
  return html`<div class="table-wrap"><table${attributes ?? ''}><caption class="visually-hidden">${caption}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

export function selectOptions(values: readonly string[], selected: string | undefined, anyLabel: string): Html {
  return html`<option value="">${anyLabel}</option>${values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${v}</option>`)}`;
}
