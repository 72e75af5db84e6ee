/**
 * Descriptions and codes in profile files are templates: `{name}` is filled from what the scan
 * read (a column's text, `{index}`, `{label}`, `{value}`, `{flag}`). A description may be a list:
 * the first template whose placeholders are all filled is used, so a file can say
 * ["Value too high on sensor {sensorId}", "Value too high"].
 */
export type Template = string | readonly string[];

/** Device text is free text: one value never fills more than this much of a description. */
const MAX_VALUE_CHARS = 128;

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

/** The `{name}` placeholders of a template (of every alternative of a list). */
export function placeholders(template: Template): string[] {
  const texts = typeof template === 'string' ? [template] : template;
  return texts.flatMap((text) => [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!));
}

export function fillTemplate(template: Template, vars: Readonly<Record<string, string | undefined>>): string {
  const texts = typeof template === 'string' ? [template] : template;
  const filled = (text: string) => placeholders(text).every((name) => (vars[name] ?? '') !== '');
  const chosen = texts.find(filled) ?? texts[texts.length - 1] ?? '';
  return chosen.replace(PLACEHOLDER, (_, name: string) => clip(vars[name] ?? ''));
}

/** Device text as a description shows it: on one line, control characters as '?', cut with an ellipsis. */
function clip(text: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > MAX_VALUE_CHARS ? `${printable.slice(0, MAX_VALUE_CHARS)}…` : printable;
}
