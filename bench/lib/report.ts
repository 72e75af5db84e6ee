// One table over every scenario's RESULT: the figure, its baseline measured in the same run, the
// ratio, the goal, and whether the goal was met. A scenario that did not run says so, with no number.

export interface Row {
  scenario: string;
  measure: string;
  priscan: string;
  baseline: string;
  ratio: string;
  goal: string;
  /** true / false, or null when there is no goal or it could not be judged. */
  met: boolean | null;
}

export type ScenarioOutcome = { ok: true; result: any; seconds: number } | { ok: false; error: string; seconds: number };

/** A scenario's rows: from its own result, and the run's others where its baseline is another scenario's. */
type RowsOf = (result: any, outcomes: Record<string, ScenarioOutcome>) => Row[];

const ms = (n: number | undefined | null) => (n === undefined || n === null || !Number.isFinite(n) ? '-' : `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')} ms`);
const times = (n: number | undefined | null, digits = 1) => (n === undefined || n === null || !Number.isFinite(n) ? '-' : `x${n.toLocaleString('en-US', { maximumFractionDigits: digits })}`);
const num = (n: number | undefined | null) => (n === undefined || n === null || !Number.isFinite(n) ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: 2 }));

function notRun(scenario: string, measure: string, why: string): Row {
  return { scenario, measure, priscan: `not run: ${why}`, baseline: '-', ratio: '-', goal: '-', met: null };
}

function detectionRows(r: any): Row[] {
  const p = r.detection.priority;
  const q = r.detection.polling;
  const noBaseline = r.baseline?.notRun ? `not run (${r.baseline.notRun})` : undefined;
  const baselineName = `snmp_exporter + Prometheus, ${r.detection.scrapeIntervalS} s`;
  return [
    {
      scenario: `1. detection, ${r.devices} devices, ${r.detection.alarms} alarms over ${r.detection.raiseWindowS} s`,
      measure: 'raise -> detected: mean (p50 / p99 / max)',
      priscan: `${ms(p.raise.meanMs)} (${ms(p.raise.p50Ms)} / ${ms(p.raise.p99Ms)} / ${ms(p.raise.maxMs)})`,
      baseline: noBaseline ?? `${ms(q.raise.meanMs)} (${ms(q.raise.p50Ms)} / ${ms(q.raise.p99Ms)} / ${ms(q.raise.maxMs)}), ${baselineName}`,
      ratio: times(r.ratios.meanRaiseDetection, 0),
      goal: 'x500 faster (mean)',
      met: r.goals.meanDetection500xFaster,
    },
    {
      scenario: '2. SNMP traffic, same window',
      measure: `request packets per alarm (raise + clear), ${r.detection.durationS} s`,
      priscan: `${num(p.packetsPerAlarm)} (${num(p.alarmTriggeredPacketsPerAlarm)} from alarm scans, the rest safety net)`,
      baseline: noBaseline ?? `${num(q.packetsPerAlarm)} (${num(q.packets)} packets)`,
      ratio: times(r.ratios.packetsPerAlarm),
      goal: 'x100 fewer',
      met: r.goals.packetsPerAlarm100xFewer,
    },
    {
      scenario: `3. storm, ${r.storm.devices} devices x 10 notifications`,
      measure: 'all alarms stored; scans/device max; dropped',
      priscan: `${ms(r.storm.allStoredMs)}; ${r.storm.scansPerDeviceMax}; ${r.storm.notificationsDropped} of ${r.storm.notificationsSent}`,
      baseline: noBaseline ?? `${ms(q.raise.maxMs)} (a ${r.detection.scrapeIntervalS} s poll sees every alarm only after its max detection)`,
      ratio: q ? times(q.raise.maxMs / r.storm.allStoredMs) : '-',
      goal: 'under 2 s, at most 2 scans, 0 dropped',
      met: r.goals.stormUnder2s && r.goals.stormAtMostTwoScansPerDevice && r.goals.stormNoneDropped,
    },
  ];
}

function intakeRows(r: any): Row[] {
  const at = (receiver: string, rate: number) => r.rows.find((x: any) => x.receiver === receiver && x.rate === rate);
  return r.rows
    .filter((x: any) => x.receiver === 'priscan')
    .map((p: any): Row => {
      const s = at('snmptrapd', p.rate);
      const ratio = r.ratios.find((x: any) => x.rate === p.rate)?.acceptedRatio;
      const goalRate = p.rate === 50_000;
      return {
        scenario: `4. notification intake, ${num(p.rate)}/s from ${num(r.devices)} addresses`,
        measure: 'accepted/s (lost, host RcvbufErrors)',
        priscan: `${num(p.acceptedPerS)}/s (${num(p.lost)} lost, ${num(p.hostRcvbufErrors)})`,
        baseline: s?.notRun ? `not run (${s.notRun})` : s ? `${num(s.acceptedPerS)}/s (${num(s.lost)} lost, ${num(s.hostRcvbufErrors)}), snmptrapd` : `not run (${r.baseline?.notRun ?? 'no snmptrapd row'})`,
        ratio: times(ratio, 2),
        goal: p.rate <= 50_000 ? `zero loss${goalRate ? '; x3 accepted' : ''}` : '-',
        met: p.rate > 50_000 ? null : p.lost === 0 && (!goalRate || (ratio ?? 0) >= 3),
      };
    });
}

function scaleRows(r: any): Row[] {
  const s = r.steady;
  const scenario = `5. scale, ${num(r.devices)} ${r.variant === 'readings' ? 'devices with readings' : 'devices'}, scans every ${r.intervalS} s`;
  const window = `${s.windowS} s window${s.coversFullInterval ? '' : ' (shorter than one interval)'}`;
  const noTool = 'none (absolute goal)';
  const peak = Math.max(s.peakRssMbSinceStart, r.startup.peakRssMbAfterRestart);
  return [
    { scenario, measure: `CPU share of one core, steady, ${window}`, priscan: `${num(s.cpuShareOfOneCore * 100)} %`, baseline: noTool, ratio: times(0.1 / s.cpuShareOfOneCore), goal: 'under 10 % (ratio: headroom)', met: r.goals.cpuUnder10PercentOfOneCore },
    { scenario, measure: 'RSS steady max (peak since start)', priscan: `${num(s.rssMbMax)} MB (${num(peak)} MB)`, baseline: noTool, ratio: times(300 / peak), goal: 'under 300 MB (ratio: headroom)', met: r.goals.rssUnder300Mb },
    {
      scenario,
      measure: 'start-up with every device stored: spawn -> /readyz (start() -> ready)',
      priscan: `${ms(r.startup.spawnToReadyzMs)} (${ms(r.startup.daemonStartToReadyMs)})`,
      baseline: noTool,
      ratio: times(2000 / r.startup.spawnToReadyzMs),
      goal: 'under 2 s (ratio: headroom)',
      met: r.goals.startupUnder2s,
    },
  ];
}

function scanCostRows(r: any): Row[] {
  const b = r.baseline;
  const scenario = `6. one device's full scan, ${r.alarmsActive} alarms active, median of ${r.scans}`;
  return [
    { scenario, measure: 'wall time, median (p99)', priscan: `${ms(r.priscan.wall.p50Ms)} (${ms(r.priscan.wall.p99Ms)})`, baseline: b.notRun ? `not run (${b.notRun})` : `${ms(b.wall.p50Ms)} (${ms(b.wall.p99Ms)}), snmp_exporter scrape`, ratio: times(r.ratios?.medianTime, 2), goal: '-', met: null },
    { scenario, measure: 'request packets at the device', priscan: num(r.priscan.packetsPerScan), baseline: b.notRun ? '-' : num(b.packetsPerScrape), ratio: times(r.ratios?.packets, 2), goal: '-', met: null },
  ];
}

function intakeV3Rows(r: any): Row[] {
  const scenario = `7. SNMPv3 authPriv intake (SHA-256/AES-128 traps), ${num(r.devices)} devices, each its own user and engine`;
  const reach = (receiver: 'priscan' | 'snmptrapd') => {
    const lossy = r.rows.find((x: any) => x.receiver === receiver && !x.notRun && x.lost > 0);
    return `${num(r.highestZeroLoss[receiver])}/s (${lossy ? `loses at ${num(lossy.rate)}/s: ${num(lossy.acceptedPerS)}/s accepted` : 'no loss at any step'})`;
  };
  const notRunRow = r.rows.find((x: any) => x.receiver === 'snmptrapd' && x.notRun);
  const baseline = r.baseline?.notRun ? `not run (${r.baseline.notRun})` : notRunRow ? `not run (${notRunRow.notRun})` : `${reach('snmptrapd')}, snmptrapd with the same users`;
  const p = r.profile;
  const split = `HMAC ${p.percent.hmac} %, AES ${p.percent.decrypt} %, BER ${p.percent.berDecode} %, user/key lookup ${p.percent.userAndKeyLookup} %, time window ${p.percent.timeWindow} %, socket/event loop/metrics/scheduler and the rest ${Math.round((p.percent.socketEventLoopMetricsScheduler + p.percent.restOfReceive) * 10) / 10} %`;
  return [
    { scenario, measure: 'highest rate with zero loss (first lossy step)', priscan: reach('priscan'), baseline, ratio: times(r.ratio, 2), goal: '-', met: null },
    { scenario, measure: `CPU per message at ${num(p.atRate)}/s, and where it goes`, priscan: `${num(p.perMessageUs)} µs: ${split}`, baseline: '-', ratio: '-', goal: '-', met: null },
  ];
}

function consoleRows(r: any): Row[] {
  const scenario = `11. console, ${num(r.devices)} devices, ${num(r.alarms)} active alarms`;
  const live = r.live;
  return [
    {
      scenario,
      measure: `active-alarms page rendered server-side (app.inject), median (p95) of ${r.render.count}`,
      priscan: `${ms(r.render.medianMs)} (${ms(r.render.p95Ms)}), ${num(Math.round(r.render.bytes / 1024))} KiB`,
      baseline: 'none (absolute goal)',
      ratio: times(100 / r.render.medianMs),
      goal: 'under 100 ms median (ratio: headroom)',
      met: r.goals.renderMedianUnder100ms,
    },
    {
      scenario,
      measure: live.notRun ? 'a raise: stored -> row in an open page' : `a raise: stored -> row in an open page (chromium), median (p95 / max) of ${live.count}`,
      priscan: live.notRun ? `not run: ${live.notRun}` : `${ms(live.medianMs)} (${ms(live.p95Ms)} / ${ms(live.maxMs)})`,
      baseline: 'none (absolute goal)',
      ratio: live.notRun ? '-' : times(100 / live.maxMs),
      goal: 'under 100 ms, every raise (ratio: headroom)',
      met: r.goals.liveMaxUnder100ms,
    },
  ];
}

const bytes = (n: number | undefined | null) => (n === undefined || n === null || !Number.isFinite(n) ? '-' : `${Math.round(n).toLocaleString('en-US')} B`);
const requests = (n: number) => `${num(n)} request${n === 1 ? '' : 's'}`;

function scanPacketsRows(r: any): Row[] {
  const scenario = '8. one scan on the wire, per kind: with readings (before: the same profile without them)';
  const wire = (f: any) => `${requests(f.requests)}, ${bytes(f.wire.requestBytes + f.wire.responseBytes)}`;
  return r.rows.map((k: any): Row => {
    const extra = k.idle.after.requests - k.idle.before.requests;
    return {
      scenario,
      measure: `${k.kind} (${k.profile}, ${k.idle.after.readings} values): requests, SNMP bytes both ways${k.alarms ? ' (every alarm active)' : ''}`,
      priscan: `${wire(k.idle.after)}${k.alarms ? ` (${wire(k.alarms.after)})` : ''}`,
      baseline: `${wire(k.idle.before)}${k.alarms ? ` (${wire(k.alarms.before)})` : ''}, without readings`,
      ratio: `${extra === 0 ? 'same requests' : `+${requests(extra)}`}; bytes x${num(Math.round(((k.idle.after.wire.requestBytes + k.idle.after.wire.responseBytes) / (k.idle.before.wire.requestBytes + k.idle.before.wire.responseBytes)) * 10) / 10)}`,
      goal: k.kind === 'sim' ? '1 request, before and after' : '-',
      met: k.kind === 'sim' ? r.goals.simScanOneRequest : null,
    };
  });
}

function thresholdRows(r: any): Row[] {
  const a = r.trapTriggered;
  const b = r.fastCadence;
  const net = r.safetyNet;
  const s = (x: number) => `${num(Math.round(x * 10) / 10)} s`;
  const scenario = `9. threshold violation -> stored (NetBotz temperature over its default 27 °C warning)`;
  const netText = `${s(net.fakeClock.p50S)} (p99 ${s(net.fakeClock.p99S)}): the next ${net.intervalS} s safety-net scan (scheduler on a fake clock; analytic ${s(net.analytic.p50S)} / ${s(net.analytic.p99S)})`;
  return [
    {
      scenario,
      measure: `(a) the device notifies: raise -> stored, mean (p50 / p99 / max), ${a.raise.count} violations`,
      priscan: `${ms(a.raise.meanMs)} (${ms(a.raise.p50Ms)} / ${ms(a.raise.p99Ms)} / ${ms(a.raise.maxMs)})`,
      baseline: netText,
      ratio: times((net.fakeClock.p50S * 1000) / a.raise.p50Ms, 0),
      goal: 'found by the notification\'s scan',
      met: r.goals.trapFoundByTrapScans && a.missed === 0,
    },
    {
      scenario,
      measure: `(b) no notification, a ${b.cadenceS} s cadence: raise -> stored, p50 (p99 / max), ${b.raise.count} violations`,
      priscan: `${ms(b.raise.p50Ms)} (${ms(b.raise.p99Ms)} / ${ms(b.raise.maxMs)})`,
      baseline: netText,
      ratio: times(r.ratios.safetyNetOverCadenceP50, 1),
      goal: `uniform over ${b.cadenceS} s (model p50 ${s(r.cadenceModel.fakeClock.p50S)}, p99 ${s(r.cadenceModel.fakeClock.p99S)})`,
      met: b.missed === 0 && Math.abs(r.ratios.measuredOverModel10P50 - 1) <= 0.25 && b.raise.maxMs <= (b.cadenceS + 1) * 1000,
    },
  ];
}

function scaleReadingsRows(r: any, outcomes: Record<string, ScenarioOutcome>): Row[] {
  const base = outcomes['daemon-scale'];
  const b = base?.ok && base.result.intervalS === r.intervalS ? base.result : undefined;
  const without = (text: (x: any) => string) => (b ? `${text(b)} without readings (${b.kinds?.[0]?.kind ?? 'sim'} devices, scenario 5)` : 'not run (scenario 5, same interval)');
  const s = r.steady;
  const kinds = r.kinds.map((k: any) => k.kind).join(' + ');
  const scenario = `10. scale with readings, ${num(r.devices)} devices (${kinds}), scans every ${r.intervalS} s, default thresholds`;
  const peak = Math.max(s.peakRssMbSinceStart, r.startup.peakRssMbAfterRestart);
  const d = r.database;
  const h = r.history;
  return [
    {
      scenario,
      measure: `CPU share of one core, steady, ${s.windowS} s window`,
      priscan: `${num(s.cpuShareOfOneCore * 100)} %`,
      baseline: without((x) => `${num(x.steady.cpuShareOfOneCore * 100)} %`),
      ratio: times(0.1 / s.cpuShareOfOneCore),
      goal: 'under 10 % (ratio: headroom)',
      met: r.goals.cpuUnder10PercentOfOneCore,
    },
    {
      scenario,
      measure: 'RSS steady max (peak since start)',
      priscan: `${num(s.rssMbMax)} MB (${num(peak)} MB)`,
      baseline: without((x) => `${num(x.steady.rssMbMax)} MB (${num(Math.max(x.steady.peakRssMbSinceStart, x.startup.peakRssMbAfterRestart))} MB)`),
      ratio: times(300 / peak),
      goal: 'under 300 MB (ratio: headroom)',
      met: r.goals.rssUnder300Mb,
    },
    {
      scenario,
      measure: `database growth per day at ${d.perDayAtIntervalS} s scans (held at the ${d.retentionHours} h retention)`,
      priscan: `${num(d.growthMbPerDay)} MB a day (${num(d.mbAtRetention)} MB), from ${num(d.growth.scans)} scans`,
      baseline: without((x) => `${num(x.database.growthMbPerDay)} MB a day`),
      ratio: '-',
      goal: '-',
      met: null,
    },
    {
      scenario,
      measure: 'reading history per device per day (series; points; bytes a point)',
      priscan: h ? `${num(h.kbPerDevicePerDay)} kB (${num(h.seriesPerDevice)}; ${num(h.pointsPerDevicePerDay)}; ${num(h.bytesPerPoint)} B); at most ${num(h.kbPerDevicePerDayEveryScanChanging)} kB` : 'no point written in the window',
      baseline: '-',
      ratio: '-',
      goal: '-',
      met: null,
    },
  ];
}

export const SCENARIOS: ReadonlyArray<{ key: string; script: string; args?: readonly string[]; covers: string; rows: RowsOf; label: string }> = [
  { key: 'detection', script: 'detection.js', covers: 'scenarios 1-3', rows: detectionRows, label: '1-3. detection, traffic, storm' },
  { key: 'intake-load', script: 'intake-load.js', covers: 'scenario 4', rows: intakeRows, label: '4. notification intake' },
  { key: 'daemon-scale', script: 'daemon-scale.js', covers: 'scenario 5', rows: scaleRows, label: '5. scale' },
  { key: 'scan-cost', script: 'scan-cost.js', covers: 'scenario 6', rows: scanCostRows, label: '6. scan cost' },
  { key: 'intake-v3', script: 'intake-v3.js', covers: 'scenario 7', rows: intakeV3Rows, label: '7. SNMPv3 intake' },
  { key: 'scan-packets', script: 'scan-packets.js', covers: 'scenario 8', rows: scanPacketsRows, label: '8. packets per scan, before and after readings' },
  { key: 'threshold-detection', script: 'threshold-detection.js', covers: 'scenario 9', rows: thresholdRows, label: '9. threshold violation -> stored' },
  { key: 'scale-readings', script: 'daemon-scale.js', args: ['--variant', 'readings'], covers: 'scenario 10', rows: scaleReadingsRows, label: '10. scale with readings' },
  { key: 'console', script: 'console.js', covers: 'scenario 11', rows: consoleRows, label: '11. console' },
];

export function rowsFor(outcomes: Record<string, ScenarioOutcome>): Row[] {
  return SCENARIOS.flatMap((s) => {
    const outcome = outcomes[s.key];
    if (!outcome) return [];
    if (!outcome.ok) return [notRun(s.label, '-', outcome.error)];
    try {
      return s.rows(outcome.result, outcomes);
    } catch (error) {
      return [notRun(s.label, '-', `its RESULT could not be read: ${(error as Error).message}`)];
    }
  });
}

const metText = (met: boolean | null) => (met === null ? '' : met ? 'yes' : 'NO');

export function textTable(rows: readonly Row[]): string {
  const lines: string[] = [];
  let scenario = '';
  for (const r of rows) {
    if (r.scenario !== scenario) {
      scenario = r.scenario;
      lines.push(r.scenario);
    }
    lines.push(`   ${r.measure}`);
    lines.push(`      priscan ${r.priscan}   |   baseline ${r.baseline}   |   ratio ${r.ratio}   |   goal ${r.goal} ${metText(r.met)}`);
  }
  return lines.join('\n');
}

export function markdownTable(rows: readonly Row[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| scenario | measure | priscan | baseline (same run) | ratio | goal | met |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${[r.scenario, r.measure, r.priscan, r.baseline, r.ratio, r.goal, metText(r.met)].map(cell).join(' | ')} |`);
  return lines.join('\n');
}
