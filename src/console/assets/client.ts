// The console's hand-written browser script (kept in a module so the compiled package carries
// it). Two jobs: show times in the browser's own time zone (the UTC instant stays in the title),
// and keep the live sections current: every raise or clear on the alarm event stream makes each
// [data-live] section fetch itself again, at most one request at a time and one more after it,
// so a burst of events costs two refreshes and misses nothing.
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

  var inFlight = false;
  var again = false;

  function editing(section) {
    var active = document.activeElement;
    return active && section.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  function refresh() {
    if (inFlight) { again = true; return; }
    var sections = Array.prototype.filter.call(document.querySelectorAll('[data-live][id]'), function (s) { return !editing(s); });
    if (sections.length === 0 || typeof htmx === 'undefined') return;
    inFlight = true;
    var requests = sections.map(function (section) {
      var selector = '#' + section.id;
      return htmx.ajax('GET', section.getAttribute('data-live-src'), { target: selector, select: selector, swap: 'outerHTML' });
    });
    Promise.allSettled(requests).then(function () {
      performance.mark('priscan:live-updated');
      inFlight = false;
      if (again) { again = false; refresh(); }
    });
  }

  if (document.querySelector('[data-live]') && window.EventSource) {
    // The session cookie signs the stream in: an EventSource cannot send an Authorization header.
    var source = new EventSource('/api/v1/alarms/stream');
    var onEvent = function (event) {
      performance.mark('priscan:event', { detail: { id: event.lastEventId, kind: event.type } });
      refresh();
    };
    source.addEventListener('open', function () { setStatus('live', 'live'); });
    source.addEventListener('raise', onEvent);
    source.addEventListener('clear', onEvent);
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
