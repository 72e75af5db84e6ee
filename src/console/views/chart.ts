import { html, type Html } from '../html.js';

const WIDTH = 240;
const HEIGHT = 48;
const PAD = 2;

const UNIT_TEXT: Record<string, string> = {
  percent: '%',
  volts: 'V',
  amperes: 'A',
  watts: 'W',
  volt_amperes: 'VA',
  hertz: 'Hz',
  celsius: '°C',
  seconds: 's',
  minutes: 'min',
};

/** A value with its unit as an operator writes it (12.5 °C, 98 %). */
export function withUnit(value: number, unit: string): string {
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 2 : 1);
  const text = UNIT_TEXT[unit] ?? (unit === 'state' || unit === 'count' ? '' : unit);
  return text ? `${shown} ${text}` : shown;
}

/**
 * A reading's recent history as an inline SVG line, drawn on the server: no chart library, no
 * script. Its text alternative says the range, for screen readers and for a glance.
 */
export function sparkline(points: readonly { at: number; value: number }[], unit: string, label: string): Html {
  if (points.length < 2) return html`<span class="none">${points.length === 1 ? 'one point so far' : 'no history yet'}</span>`;
  const values = points.map((p) => p.value);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const first = points[0]!.at;
  const span = Math.max(1, points.at(-1)!.at - first);
  const range = max - min || 1;
  const x = (at: number) => PAD + ((at - first) / span) * (WIDTH - 2 * PAD);
  const y = (v: number) => (max === min ? HEIGHT / 2 : PAD + (1 - (v - min) / range) * (HEIGHT - 2 * PAD));
  const line = points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const summary = `${label}: ${points.length} points, from ${withUnit(min, unit)} to ${withUnit(max, unit)}`;
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${summary}"><title>${summary}</title><polyline points="${line}" fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke"/></svg><span class="range">${withUnit(min, unit)} – ${withUnit(max, unit)}</span>`;
}
