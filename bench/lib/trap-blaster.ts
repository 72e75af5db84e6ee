// Child process: sends notifications from many loopback source addresses at a target rate: one
// v2c trap with `community` from every source, or each source's own pre-encoded datagram (e.g. a
// v3 trap signed and encrypted with that device's keys) from `datagramsFile`.
// argv: JSON BlastJob (intake-stream.ts). Prints one JSON line {sent, errors, elapsedMs} when done.
import dgram from 'node:dgram';
import { encodeNotification } from '../../test/helpers/notifications.js';
import { readDatagrams, type BlastJob } from './intake-stream.js';

const job = JSON.parse(process.argv[2]!) as BlastJob;

const sockets = await Promise.all(
  job.sources.map(
    (address) =>
      new Promise<dgram.Socket>((resolve, reject) => {
        const socket = dgram.createSocket('udp4');
        socket.once('error', reject);
        socket.bind(0, address, () => resolve(socket));
      }),
  ),
);
const datagrams = job.datagramsFile ? readDatagrams(job.datagramsFile) : [encodeNotification('v2c-trap', { community: job.community ?? 'public' })];
if (datagrams.length !== 1 && datagrams.length !== sockets.length) throw new Error(`${datagrams.length} datagrams for ${sockets.length} sources`);
let sent = 0;
let errors = 0;
let inFlight = 0;
const started = performance.now();
const total = Math.round((job.rate * job.durationMs) / 1000);
// Paced in 1 ms slices: each slice sends what the rate allows by then, round-robin over the sources.
while (sent < total) {
  const due = Math.min(total, Math.floor(((performance.now() - started) * job.rate) / 1000));
  while (sent < due && inFlight < 20_000) {
    const source = sent % sockets.length;
    inFlight++;
    sockets[source]!.send(datagrams.length === 1 ? datagrams[0]! : datagrams[source]!, job.port, '127.0.0.1', (error) => {
      inFlight--;
      if (error) errors++;
    });
    sent++;
  }
  await new Promise((r) => setImmediate(r));
}
while (inFlight > 0) await new Promise((r) => setTimeout(r, 1));
const elapsedMs = performance.now() - started;
for (const socket of sockets) socket.close();
process.stdout.write(`${JSON.stringify({ sent, errors, elapsedMs })}\n`);
