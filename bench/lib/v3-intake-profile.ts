// Where priscan's time goes per SNMPv3 notification: the steps of the intake's v3 path timed one
// by one on the benchmark's own datagrams (the same calls, in the same order, as
// NotificationIntake.receive -> receiveNotification makes them), and the whole receive() without
// a socket. The caller sets these beside the CPU time the daemon spent per message under load.
import { peekVersion } from '../../src/snmp/message.js';
import { decryptScopedPdu, verifyMessage, type KeyCache, type UsmUser } from '../../src/snmp/usm.js';
import { decodeEnvelope, decodeScoped } from '../../src/snmp/v3-message.js';
import { EngineTimeWindows } from '../../src/snmp/v3.js';
import { WorkerKeyDeriver } from '../../src/snmp/key-derivation.js';
import { UsmKeyStore } from '../../src/snmp/usm-keys.js';
import { NotificationIntake } from '../../src/traps/intake.js';
import { NotificationSources } from '../../src/traps/sources.js';

export interface V3Sender {
  address: string;
  user: UsmUser;
  datagram: Buffer;
}

/** Microseconds per message of each step, and of the whole receive(). */
export interface V3StepCosts {
  envelopeUs: number;
  lookupUs: number;
  hmacUs: number;
  timeWindowUs: number;
  decryptUs: number;
  scopedDecodeUs: number;
  receiveUs: number;
}

/**
 * Runs `step` over every sender `rounds` times (after one round to warm the JIT); CPU µs per call.
 * CPU time rather than wall time, as the daemon's figure is: on a shared machine the wall clock
 * also counts the time this process waited for a core.
 */
function timePerCall(senders: readonly V3Sender[], rounds: number, step: (s: V3Sender, i: number) => unknown): number {
  let truthy = 0;
  const run = () => {
    for (let i = 0; i < senders.length; i++) if (step(senders[i]!, i)) truthy++;
  };
  run();
  const before = process.cpuUsage();
  for (let r = 0; r < rounds; r++) run();
  const cpu = process.cpuUsage(before);
  // Every step returns something truthy for a good datagram: a falsy one means the profile measured a failure.
  if (truthy !== senders.length * (rounds + 1)) throw new Error(`a profiled step failed on ${senders.length * (rounds + 1) - truthy} datagrams`);
  return (cpu.user + cpu.system) / (rounds * senders.length);
}

/**
 * Times each step and the whole receive() `repeats` times, interleaved, and keeps each one's
 * median: a burst of load from another process then moves one sample, not the figure.
 */
export function profileV3Steps(senders: readonly V3Sender[], keys: KeyCache, options: { rounds: number; repeats: number }): V3StepCosts {
  const sources = new NotificationSources();
  senders.forEach((s, i) => sources.set(s.address, { deviceId: i + 1, community: '', usm: s.user }));
  // Every step's input, prepared by the steps before it (untimed).
  const envelopes = senders.map((s) => decodeEnvelope(s.datagram));
  const localized = senders.map((s, i) => keys.localize(s.user, envelopes[i]!.engineId));
  const plaintexts = envelopes.map((e, i) => decryptScopedPdu(localized[i]!.priv!, e, e.privParams, e.scoped));
  const windows = new EngineTimeWindows(() => 0);
  // The whole path as the socket's message handler runs it, without the socket, metrics or scheduler.
  const intake = new NotificationIntake({
    address: '127.0.0.1',
    port: 0,
    receiveBufferBytes: 0,
    now: () => 0,
    sourceFor: (address) => sources.lookup(address),
    onNotification: () => undefined,
    engine: { engineId: Buffer.from('80007ed9056265', 'hex'), boots: 1, time: () => 0 },
    // The keys the caller derived: the steps time messages, not key derivation.
    usmKeys: new UsmKeyStore({ cache: keys, deriver: new WorkerKeyDeriver() }),
  });

  const steps: Record<keyof V3StepCosts, (s: V3Sender, i: number) => unknown> = {
    envelopeUs: (s) => peekVersion(s.datagram) === 3 && decodeEnvelope(s.datagram),
    lookupUs: (s, i) => sources.lookup(s.address) && keys.localize(s.user, envelopes[i]!.engineId),
    hmacUs: (s, i) => verifyMessage(localized[i]!.auth!, s.datagram, envelopes[i]!.authAt, envelopes[i]!.authParams),
    timeWindowUs: (_s, i) => windows.accept(envelopes[i]!.engineId, envelopes[i]!.boots, envelopes[i]!.time),
    decryptUs: (_s, i) => decryptScopedPdu(localized[i]!.priv!, envelopes[i]!, envelopes[i]!.privParams, envelopes[i]!.scoped),
    scopedDecodeUs: (_s, i) => decodeScoped(plaintexts[i]!),
    receiveUs: (s) => intake.receive(s.datagram, { address: s.address, port: 40000 }) === 'accepted',
  };
  const samples = Object.fromEntries(Object.keys(steps).map((k) => [k, [] as number[]])) as Record<keyof V3StepCosts, number[]>;
  for (let r = 0; r < options.repeats; r++) {
    for (const [name, step] of Object.entries(steps) as Array<[keyof V3StepCosts, (s: V3Sender, i: number) => unknown]>) samples[name].push(timePerCall(senders, options.rounds, step));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, Math.round(median(xs) * 100) / 100])) as unknown as V3StepCosts;
}

/** Each step's share of `totalUs` (the daemon's CPU time per message under load), in percent. */
export function shares(costs: V3StepCosts, totalUs: number): Record<string, number> {
  const pct = (us: number) => Math.round((us / totalUs) * 1000) / 10;
  const steps = costs.envelopeUs + costs.lookupUs + costs.hmacUs + costs.timeWindowUs + costs.decryptUs + costs.scopedDecodeUs;
  return {
    hmac: pct(costs.hmacUs),
    decrypt: pct(costs.decryptUs),
    berDecode: pct(costs.envelopeUs + costs.scopedDecodeUs),
    userAndKeyLookup: pct(costs.lookupUs),
    timeWindow: pct(costs.timeWindowUs),
    restOfReceive: pct(Math.max(0, costs.receiveUs - steps)),
    socketEventLoopMetricsScheduler: pct(Math.max(0, totalUs - costs.receiveUs)),
  };
}
