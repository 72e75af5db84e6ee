// The console's hand-written browser script (kept in a module so the compiled package carries
// it). It shows times in the browser's own time zone (the UTC instant stays in the title), and
// keeps pages live from the alarm event stream:
//  - the active-alarms table takes each raise as one row the server renders (escaped, masked,
//    filtered for this viewer) and inserts it in the table's order; an acknowledgement or its
//    withdrawal replaces the row the same way; a clear removes its row;
//  - other [data-live] sections (overview, device page) fetch themselves again, at most one
//    request at a time and one more after it, so a burst of events costs two refreshes;
//  - after the stream reconnects, every live section is fetched again: nothing missed stays missed.
export const CONSOLE_JS = String.raw`(function () {
  'use strict';
  var format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

  function localize(root) {
    var times = root.querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var when = new Date(times[i].getAttribute('datetime'));
      if (!isNaN(when.getTime())) times[i].textContent = format.format(when);
    }
  }
  localize(document);
  document.body.addEventListener('htmx:load', function (event) { localize(event.detail.elt); });

  var statusText = document.querySelector('[data-live-status]');
  function setStatus(state, text) {
    if (!statusText) return;
    statusText.className = 'live-status ' + state;
    statusText.textContent = text;
  }

  // --- Whole sections -------------------------------------------------------------------------
  var inFlight = false;
  var pending = null; // null: nothing waits; false: the sections; true: the alarm table too

  function editing(section) {
    var active = document.activeElement;
    return active && section.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  function refresh(includeAlarmTable) {
    if (inFlight) { pending = pending === true || includeAlarmTable; return; }
    var sections = Array.prototype.filter.call(document.querySelectorAll('[data-live][id]'), function (s) {
      return !editing(s) && (includeAlarmTable || !s.querySelector('table[data-live-alarms]'));
    });
    if (sections.length === 0 || typeof htmx === 'undefined') return;
    inFlight = true;
    var requests = sections.map(function (section) {
      var selector = '#' + section.id;
      return htmx.ajax('GET', section.getAttribute('data-live-src'), { target: selector, select: selector, swap: 'outerHTML' });
    });
    Promise.allSettled(requests).then(function () {
      performance.mark('priscan:sections-updated');
      inFlight = false;
      var next = pending;
      pending = null;
      if (next !== null) refresh(next);
    });
  }

  // --- The active-alarms table: one row in or out per event ------------------------------------
  var latest = {};

  function liveTable() { return document.querySelector('table[data-live-alarms]'); }

  function findRow(table, alarm) {
    var rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) if (rows[i].getAttribute('data-alarm') === alarm) return rows[i];
    return null;
  }

  // The server's order (sortAlarms): the chosen column, then newest first, then device and key.
  function compare(table, a, b) {
    var sort = table.getAttribute('data-sort');
    var sign = table.getAttribute('data-dir') === 'asc' ? 1 : -1;
    function num(row, name) { return Number(row.getAttribute('data-' + name)); }
    function text(row, name) { return row.getAttribute('data-' + name) || ''; }
    var primary = sort === 'severity' ? num(a, 'rank') - num(b, 'rank')
      : sort === 'raised' ? num(a, 'raised') - num(b, 'raised')
      : text(a, sort).localeCompare(text(b, sort));
    return sign * primary || num(b, 'raised') - num(a, 'raised') || text(a, 'device').localeCompare(text(b, 'device')) || text(a, 'key').localeCompare(text(b, 'key'));
  }

  function recount(table) {
    var counts = { all: 0, critical: 0, warning: 0, info: 0 };
    var body = table.tBodies[0];
    var rows = body.querySelectorAll('tr[data-alarm]');
    for (var i = 0; i < rows.length; i++) {
      counts.all++;
      var severity = rows[i].className.replace('row-', '');
      if (severity in counts) counts[severity]++;
    }
    var section = table.closest('[data-live]') || document;
    Object.keys(counts).forEach(function (key) {
      var cell = section.querySelector('[data-count="' + key + '"]');
      if (cell) cell.textContent = String(counts[key]);
    });
    var noun = section.querySelector('[data-noun]');
    if (noun) noun.textContent = counts.all === 1 ? 'alarm' : 'alarms';
    var empty = body.querySelector('tr.empty');
    if (counts.all > 0 && empty) empty.remove();
    if (counts.all === 0 && !empty) body.insertAdjacentHTML('beforeend', '<tr class="empty"><td colspan="99">No active alarms.</td></tr>');
  }

  function insertRow(table, markup) {
    var template = document.createElement('template');
    template.innerHTML = markup.trim();
    var row = template.content.querySelector('tr[data-alarm]');
    if (!row) return;
    var old = findRow(table, row.getAttribute('data-alarm'));
    if (old) old.remove();
    var body = table.tBodies[0];
    var before = null;
    for (var i = 0; i < body.rows.length && !before; i++) {
      if (body.rows[i].hasAttribute('data-alarm') && compare(table, row, body.rows[i]) < 0) before = body.rows[i];
    }
    body.insertBefore(row, before);
    localize(row);
    if (typeof htmx !== 'undefined') htmx.process(row);
    recount(table);
  }

  function onAlarmEvent(event) {
    var table = liveTable();
    if (!table) return;
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    var alarm = data.deviceId + '/' + data.key;
    latest[alarm] = event.type;
    if (event.type === 'clear') {
      var row = findRow(table, alarm);
      if (row) { row.remove(); recount(table); }
      return;
    }
    var url = new URL(table.getAttribute('data-row-src'), location.href);
    url.searchParams.set('id', String(data.deviceId));
    url.searchParams.set('key', data.key);
    fetch(url, { headers: { 'HX-Request': 'true' }, credentials: 'same-origin' }).then(function (res) {
      var redirect = res.headers.get('HX-Redirect');
      if (redirect) { location.href = redirect; return; }
      // Cleared while the row was on its way: the clear already went by, keep it out.
      if (latest[alarm] === 'clear' || !document.contains(table)) return;
      if (res.status === 204) { var gone = findRow(table, alarm); if (gone) { gone.remove(); recount(table); } return; }
      if (!res.ok) return;
      return res.text().then(function (markup) {
        if (latest[alarm] === 'clear' || !document.contains(table)) return;
        insertRow(table, markup);
        performance.mark('priscan:row-inserted', { detail: { alarm: alarm } });
      });
    });
  }

  // --- The stream -------------------------------------------------------------------------------
  if (document.querySelector('[data-live]') && window.EventSource) {
    // The session cookie signs the stream in: an EventSource cannot send an Authorization header.
    var source = new EventSource('/api/v1/alarms/stream');
    var opened = false;
    var onEvent = function (event) {
      performance.mark('priscan:event', { detail: { id: event.lastEventId, kind: event.type } });
      onAlarmEvent(event);
      refresh(false);
    };
    source.addEventListener('open', function () {
      setStatus('live', 'live');
      if (opened) refresh(true);
      opened = true;
    });
    source.addEventListener('raise', onEvent);
    source.addEventListener('clear', onEvent);
    source.addEventListener('ack', onEvent);
    source.addEventListener('unack', onEvent);
    source.addEventListener('error', function () {
      if (source.readyState === EventSource.CLOSED) {
        // Refused: the session ended (signed out, token revoked or expired, daemon restarted).
        setStatus('stopped', 'live updates stopped: reload to sign in again');
      } else {
        setStatus('reconnecting', 'reconnecting…');
      }
    });
  }
})();
`;
