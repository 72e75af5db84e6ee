import { Registry, type Metric } from 'prom-client';

/**
 * A gauge family priscan writes out itself, for families of tens of thousands of series: a
 * prom-client Gauge holds a label object, a hash string and an entry per series (about 330 bytes
 * each), and makes half a dozen more objects per series at every scrape. The text is what
 * prom-client writes for the same series, byte for byte (escaping, number format).
 */
export interface TextGauge {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge';
  /** In the order each line gives them. */
  readonly labelNames: readonly string[];
  /** The series at scrape time: exposition lines (seriesLine), or runs of them joined by '\n'. */
  lines(): string[];
}

/** What prom-client's Gauge.get() gives, which tests and getMetricsAsJSON read. */
export interface TextGaugeValues {
  name: string;
  help: string;
  type: 'gauge';
  aggregator: 'sum';
  values: Array<{ labels: Record<string, string>; value: number }>;
}

type Registered = TextGauge & { get(): Promise<TextGaugeValues> };

const isTextGauge = (metric: unknown): metric is TextGauge => typeof (metric as Partial<TextGauge>).lines === 'function';

// prom-client's escaping and number format (lib/registry.js, lib/util.js), so the text is the same.
const escapeText = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
export const escapeLabelValue = (value: string) => escapeText(value).replace(/"/g, '\\"');
const valueText = (value: number) => (Number.isNaN(value) ? 'Nan' : !Number.isFinite(value) ? (value < 0 ? '-Inf' : '+Inf') : `${value}`);

/** One exposition line; `labels` is `name="value"` pairs joined by commas, each value escaped (escapeLabelValue). */
export const seriesLine = (name: string, labels: string, value: number) => `${name}{${labels}} ${valueText(value)}`;

const LINE = /^[^{]*\{(.*)\} (\S+)$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;
const UNESCAPE = /\\(.)/g;
const NUMBER: Readonly<Record<string, number>> = { Nan: NaN, '+Inf': Infinity, '-Inf': -Infinity };

/** A family's lines read back into prom-client's objects (the lines are priscan's own). */
function parsedValues(gauge: TextGauge): TextGaugeValues {
  const values: TextGaugeValues['values'] = [];
  for (const line of gauge.lines().flatMap((run) => run.split('\n'))) {
    const [, labelText = '', value = ''] = LINE.exec(line) ?? [];
    const labels: Record<string, string> = {};
    for (const [, name, escaped] of labelText.matchAll(LABEL)) labels[name!] = escaped!.replace(UNESCAPE, (_, c: string) => (c === 'n' ? '\n' : c));
    values.push({ labels, value: NUMBER[value] ?? Number(value) });
  }
  return { name: gauge.name, help: gauge.help, type: gauge.type, aggregator: 'sum', values };
}

/**
 * A prom-client Registry that writes TextGauges itself and every other metric as prom-client does.
 * Families keep the order they were registered in, and each is collected synchronously in that
 * order, as prom-client collects its own.
 */
export class ExpositionRegistry extends Registry {
  registerTextGauge(gauge: TextGauge): void {
    const { name, help, type, labelNames } = gauge;
    const registered: Registered = { name, help, type, labelNames, lines: () => gauge.lines(), get: async () => parsedValues(gauge) };
    this.registerMetric(registered as unknown as Metric);
  }

  // prom-client's own method (not in its typings), which metrics() calls once per family.
  async getMetricsAsString(metric: unknown): Promise<string> {
    if (!isTextGauge(metric)) return (Registry.prototype as unknown as { getMetricsAsString(m: unknown): Promise<string> }).getMetricsAsString.call(this, metric);
    const name = escapeText(metric.name);
    return [`# HELP ${name} ${escapeText(metric.help)}`, `# TYPE ${name} ${metric.type}`, ...metric.lines()].join('\n');
  }
}
