// One cluster coordinator in its own process, for benches that SIGKILL or SIGSTOP it.
// Usage: node dist/bench/lib/cluster-collector.js '{"id":"c1","database":{...},"settings":{...}}'
// Prints one JSON line per event: {"event":"acquired"|"lost"|"health"|"ready", "at": epoch ms, ...}.
import pino from 'pino';
import { systemClock } from '../../src/clock.js';
import { ClusterCoordinator } from '../../src/cluster/coordinator.js';
import { clusterSettings } from '../../src/cluster/settings.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as { id: string; database: Record<string, unknown>; settings?: Record<string, number> };
const say = (event: string, detail: Record<string, unknown> = {}): void => void process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...detail })}\n`);
const coordinator = new ClusterCoordinator({
  database: spec.database,
  settings: clusterSettings({ collectorId: spec.id, notifyAddr: `${spec.id}.bench:162`, apiAddr: `${spec.id}.bench:8080`, ...spec.settings }),
  clock: systemClock,
  log: pino({ level: 'warn' }, pino.destination(2)),
});
coordinator.on('acquired', (claims) => say('acquired', { shards: claims.length }));
coordinator.on('lost', (shards) => say('lost', { shards: shards.length }));
coordinator.on('health', (health) => say('health', { health }));
await coordinator.start();
say('ready');
process.once('SIGTERM', () => {
  void coordinator.stop().then(() => process.exit(0));
});
