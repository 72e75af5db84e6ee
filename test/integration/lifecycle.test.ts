import { describe, expect, it } from 'vitest';
import { buildControlApp } from '../../simulators/control.js';
import { Fleet } from '../../simulators/fleet.js';
import { NotificationSink, openSession } from '../helpers/snmp-client.js';
import { registerRfc3413 } from '../helpers/registration.js';

// This file's devices live on 127.0.25.0/24.
const PORT = 16165;

/** Handles and requests that keep the event loop alive, by kind. */
function liveResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe('fleet lifecycle', () => {
  it('starts and stops repeatedly in-process without leaking sockets or timers', async () => {
    const sink = new NotificationSink();
    await sink.start();
    const baseline = liveResources();
    for (let round = 0; round < 5; round++) {
      const fleet = new Fleet({
        devices: [{ kind: 'ups', count: 3 }, { kind: 'sim', count: 2 }, { kind: 'netbotz', count: 1 }],
        baseAddress: '127.0.25.1',
        port: PORT,
      });
      await fleet.start();
      const app = buildControlApp(fleet);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const s = openSession('127.0.25.1', PORT, 'private');
      await registerRfc3413(s, '127.0.0.1', sink.port, 'c', 'inform');
      s.close();
      // onBattery starts a repeating timer and an inform awaiting its acknowledgement.
      sink.acknowledgeInforms = false;
      fleet.get('127.0.25.1')!.raise('onBattery');
      expect(liveResources().Timeout ?? 0).toBeGreaterThan(baseline.Timeout ?? 0);
      await app.close();
      await fleet.stop();
    }
    // Node releases a closed UDP handle shortly after its close callback; give it a bounded moment.
    // The runner's own timers come and go, so timers may only drop below the baseline.
    const settled = () => {
      const now = liveResources();
      return now.UDPWrap === baseline.UDPWrap && (now.Timeout ?? 0) <= (baseline.Timeout ?? 0);
    };
    for (let i = 0; i < 40 && !settled(); i++) await new Promise((r) => setTimeout(r, 50));
    const now = liveResources();
    expect(now.UDPWrap).toBe(baseline.UDPWrap);
    expect(now.Timeout ?? 0).toBeLessThanOrEqual(baseline.Timeout ?? 0);
    await sink.stop();
  });
});
