// HTML the console writes. Every interpolated value is escaped unless it is already markup made
// here: device names, descriptions and error texts are written by devices and operators, and a
// device that calls itself <script> must show as text.

/** Markup built by `html` (or `trusted`): interpolated as is, never escaped twice. */
export class Html {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/** What a template may interpolate: markup, text (escaped), numbers, nothing, or lists of these. */
export type Markup = Html | string | number | boolean | null | undefined | readonly Markup[];

const SPECIAL = /[&<>"']/g;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(SPECIAL, (c) => ENTITY[c]!);
}

function render(value: Markup): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || typeof value === 'boolean') return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * The console's one way to write markup: `html\`<td>${device.name}</td>\`` escapes the name.
 * `false`, null and undefined write nothing, so `${admin && html\`…\`}` works; lists are joined.
 * Attribute values must be quoted in the template (escaping covers quotes, not unquoted spaces).
 */
export function html(strings: TemplateStringsArray, ...values: readonly Markup[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup from a constant the console itself holds (never from a device, a request or the store). */
export function trusted(text: string): Html {
  return new Html(text);
}

/** A URL of the console with its query: parameters left out when empty. */
export function consoleUrl(path: string, query: Readonly<Record<string, string | number | undefined | null>> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}
