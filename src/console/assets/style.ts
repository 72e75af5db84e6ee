// The console's one stylesheet, hand-written (no framework), served from the daemon. Kept in a
// module so the compiled package carries it without a copy step. Severity is shown by colour
// and by its word; text meets WCAG AA contrast in the light and the dark scheme.
export const CONSOLE_CSS = `
:root {
  --bg: #f6f7f9; --fg: #14171a; --muted: #5b6470; --panel: #fff; --line: #d5d9e0; --link: #0b57d0;
  --focus: #ff9f1a; --critical: #b3261e; --critical-fg: #fff; --warning: #f2b705; --warning-fg: #1c1500;
  --info: #1a5fb4; --info-fg: #fff; --ok: #1b7f3b; --ok-fg: #fff; --maint: #6b4fbb; --maint-fg: #fff;
  color-scheme: light dark; font-size: 16px;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #101418; --fg: #e8ebef; --muted: #a3adb9; --panel: #182028; --line: #2e3a46; --link: #8ab4f8;
    --critical: #e5484d; --critical-fg: #fff; --info: #3e7fd9; --ok: #2f9e55; --maint: #8c6fe0; }
}
/* A wall screen is read from across the room. */
@media (min-width: 1600px) { :root { font-size: 19px; } }
@media (min-width: 2400px) { :root { font-size: 24px; } }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 1rem/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--link); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--panel); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
code { font: .85em ui-monospace, SFMono-Regular, Menlo, monospace; }
td code { display: block; color: var(--muted); overflow-wrap: break-word; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .5rem 1rem; background: var(--panel); border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; font-size: 1.2rem; color: var(--fg); text-decoration: none; margin: 0; }
.top nav ul { display: flex; flex-wrap: wrap; gap: .25rem .75rem; list-style: none; margin: 0; padding: 0; }
.top nav a { display: inline-block; padding: .35rem .5rem; border-radius: 4px; text-decoration: none; }
.top nav a[aria-current="page"] { background: var(--fg); color: var(--bg); }
.who { margin-left: auto; display: flex; align-items: center; gap: .75rem; flex-wrap: wrap; }
.who form { margin: 0; }
.role { font-size: .8rem; padding: .05rem .4rem; border: 1px solid var(--line); border-radius: 3px; }
.live-status:not(:empty) { font-size: .85rem; padding: .1rem .5rem; border-radius: 3px; border: 1px solid var(--line); }
.live-status.live::before { content: "● "; color: var(--ok); }
.live-status.stopped { background: var(--critical); color: var(--critical-fg); }
main { padding: 1rem; max-width: 110rem; margin: 0 auto; }
main.narrow { max-width: 32rem; padding-top: 3rem; }
h1 { font-size: 1.6rem; margin: .25rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
button, .button { font: inherit; padding: .4rem .9rem; border-radius: 4px; border: 1px solid var(--fg); background: var(--fg); color: var(--bg); cursor: pointer; text-decoration: none; display: inline-block; }
button.small, .button.small { padding: .1rem .5rem; font-size: .85rem; }
button.link { background: none; color: var(--link); border: none; padding: 0; text-decoration: underline; }
button.danger { background: var(--critical); border-color: var(--critical); color: var(--critical-fg); }
input, select, textarea { font: inherit; padding: .35rem .5rem; border: 1px solid var(--muted); border-radius: 4px; background: var(--panel); color: var(--fg); max-width: 100%; }
.filters, form.inline { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin: 0 0 1rem; }
.filters a { padding: .4rem 0; }
.filters label, form.inline label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
form.stacked { display: flex; flex-direction: column; gap: .4rem; align-items: flex-start; max-width: 40rem; }
form.stacked textarea, form.stacked input:not([type=radio]) { width: 100%; }
fieldset { border: 1px solid var(--line); border-radius: 4px; width: 100%; display: flex; flex-direction: column; gap: .3rem; }
.actions { display: flex; gap: .5rem; margin-bottom: 1rem; }
.actions form { margin: 0; }
form.inline-action { display: inline; margin: 0 0 0 .4rem; }
.hint, .none { color: var(--muted); font-size: .9rem; }
.flash { padding: .6rem .9rem; border-radius: 4px; border-left: 6px solid var(--ok); background: var(--panel); }
.flash-error { border-left-color: var(--critical); }
.table-wrap { overflow-x: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85rem; color: var(--muted); white-space: nowrap; }
th a { color: inherit; }
tr.empty td { color: var(--muted); }
tr.row-critical td:first-child { box-shadow: inset 6px 0 0 var(--critical); }
tr.row-warning td:first-child { box-shadow: inset 6px 0 0 var(--warning); }
tr.row-info td:first-child { box-shadow: inset 6px 0 0 var(--info); }
tr.stale { opacity: .75; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td .address, .address { color: var(--muted); font-variant-numeric: tabular-nums; }
td .address { display: block; font-size: .85rem; }
.port { margin-left: .5rem; color: var(--muted); }
.description { font-weight: 500; overflow-wrap: break-word; }
.sev, .status, .tag, .kind, .reg { display: inline-block; padding: .05rem .45rem; border-radius: 3px; font-size: .85rem; font-weight: 600; white-space: nowrap; border: 1px solid var(--line); }
.sev { text-transform: uppercase; letter-spacing: .03em; }
.sev-critical { background: var(--critical); color: var(--critical-fg); border-color: var(--critical); }
.sev-critical::before { content: "▲ "; }
.sev-warning { background: var(--warning); color: var(--warning-fg); border-color: var(--warning); }
.sev-warning::before { content: "◆ "; }
.sev-info { background: var(--info); color: var(--info-fg); border-color: var(--info); }
.sev-info::before { content: "● "; }
.status-up, .reg-registered { background: var(--ok); color: var(--ok-fg); border-color: var(--ok); }
.status-down, .reg-failed { background: var(--critical); color: var(--critical-fg); border-color: var(--critical); }
.tag-maintenance { background: var(--maint); color: var(--maint-fg); border-color: var(--maint); }
.tag-ack { background: var(--panel); }
td.state > * + * { margin-left: .4rem; }
.kind-raise { border-color: var(--critical); }
.kind-clear { border-color: var(--ok); }
.kind-ack, .kind-unack { border-color: var(--muted); }
.reason { display: block; color: var(--muted); font-size: .85rem; }
.error-text, .warn { color: var(--critical); }
.count { margin: .25rem 0 .5rem; }
.pager { display: flex; gap: 1rem; align-items: center; margin: .75rem 0; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .5rem 1.5rem; margin: 0 0 1rem; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: .75rem 1rem; }
.facts dt { font-size: .8rem; color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .75rem; list-style: none; padding: 0; margin: 0 0 .5rem; }
.tile a { display: flex; flex-direction: column; gap: .25rem; padding: .75rem 1rem; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; text-decoration: none; color: var(--fg); }
.tile .n { font-size: 2.6rem; font-weight: 700; line-height: 1; font-variant-numeric: tabular-nums; }
.tile-critical:not(.zero) a { border: 3px solid var(--critical); }
.tile-warning:not(.zero) a { border: 3px solid var(--warning); }
.tile.zero .n { color: var(--muted); }
.lost { padding-left: 1.2rem; }
.chart { color: var(--link); vertical-align: middle; max-width: 100%; height: auto; }
.range { display: block; font-size: .8rem; color: var(--muted); }
.new-token { padding: .75rem 1rem; border: 2px solid var(--ok); border-radius: 6px; background: var(--panel); margin-bottom: 1rem; }
.token { font-family: ui-monospace, monospace; width: 100%; }
/* A phone: the menu scrolls sideways, forms stack, each table row becomes a card. */
@media (max-width: 40rem) {
  main { padding: .5rem; }
  .table-wrap table, .table-wrap tbody, .table-wrap tr, .table-wrap td { display: block; width: 100%; }
  .table-wrap thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .table-wrap tr { padding: .5rem .75rem; border-bottom: 1px solid var(--line); }
  .table-wrap td { border: none; padding: .1rem 0; }
  .table-wrap td:empty { display: none; }
  tr.row-critical, tr.row-warning, tr.row-info { padding-left: 1.1rem; }
  tr.row-critical { box-shadow: inset 6px 0 0 var(--critical); }
  tr.row-warning { box-shadow: inset 6px 0 0 var(--warning); }
  tr.row-info { box-shadow: inset 6px 0 0 var(--info); }
  tr.row-critical td:first-child, tr.row-warning td:first-child, tr.row-info td:first-child { box-shadow: none; }
  td.num { text-align: left; }
  .top nav { width: 100%; overflow-x: auto; }
  .top nav ul { flex-wrap: nowrap; }
  .who { margin-left: 0; }
  .filters label { flex: 1 1 45%; }
  .tile .n { font-size: 2rem; }
}
`;
