import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';

const README = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

/** The README's metrics reference: name -> [type, labels]. */
function documented(): Map<string, [string, string[]]> {
  const section = README.slice(README.indexOf('### Metrics reference'));
  const rows = [...section.matchAll(/^\| `(priscan_[a-z_]+)` \| (\w+) \|([^|]*)\|/gm)];
  return new Map(rows.map((r) => [r[1]!, [r[2]!, r[3]!.split(',').map((l) => l.trim()).filter(Boolean)]]));
}

describe('README metrics reference', () => {
  it('lists exactly the metrics priscan exports, with their types and labels', async () => {
    const { registry } = createMetrics(() => 0);
    const exported = new Map<string, [string, string[]]>();
    for (const metric of registry.getMetricsAsArray()) {
      if (!metric.name.startsWith('priscan_')) continue;
      const { type } = await (metric as unknown as { get(): Promise<{ type: string }> }).get();
      exported.set(metric.name, [String(type), [...((metric as unknown as { labelNames?: string[] }).labelNames ?? [])]]);
    }
    expect(exported.size).toBeGreaterThan(20);
    expect(documented()).toEqual(exported);
  });
});
