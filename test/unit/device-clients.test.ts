// Device sessions hold a socket only while used: opened at the first request, closed after an
// idle spell, so a large fleet does not hold one socket per device and purpose.
import { describe, expect, it } from 'vitest';
import type { SnmpClient, SnmpClientFactory, SnmpTarget, SnmpVarbind } from '../../src/snmp/client.js';
import { DeviceClients } from '../../src/snmp/device-clients.js';
import type { DeviceRecord } from '../../src/store/devices.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** Opens one recording session per open(); a request waits until the test releases it. */
class RecordingFactory implements SnmpClientFactory {
  readonly sessions: Array<{ target: SnmpTarget; closed: boolean; requests: number }> = [];
  private releases: Array<() => void> = [];

  open(target: SnmpTarget): SnmpClient {
    const session = { target, closed: false, requests: 0 };
    this.sessions.push(session);
    const request = async <T>(value: T): Promise<T> => {
      if (session.closed) throw new Error('request on a closed session');
      session.requests++;
      await new Promise<void>((resolve) => this.releases.push(resolve));
      // As a socket closed under a request does: the answer never arrives.
      if (session.closed) throw new Error('session closed while the request was in flight');
      return value;
    };
    return {
      get: (oids) => request(oids.map((oid): SnmpVarbind => ({ oid, type: 'Integer', value: 1 }))),
      subtree: () => request([]),
      set: () => request(undefined),
      close: () => void (session.closed = true),
    };
  }

  get openCount(): number {
    return this.sessions.filter((s) => !s.closed).length;
  }

  /** Answers every waiting request. */
  async releaseAll(): Promise<void> {
    const waiting = this.releases;
    this.releases = [];
    for (const release of waiting) release();
    await new Promise((r) => setImmediate(r));
  }
}

const device = (id: number): DeviceRecord =>
  ({
    id,
    address: `192.0.2.${id}`,
    port: 161,
    snmp: { version: '2c', readCommunity: 'public', writeCommunity: 'private', notifyCommunity: null },
    timeoutMs: 3000,
    retries: 1,
  }) as DeviceRecord;

function setup() {
  const clock = new FakeClock();
  const factory = new RecordingFactory();
  const clients = new DeviceClients(factory, { clock, idleMs: 2_000 });
  return { clock, factory, clients };
}

describe('DeviceClients', () => {
  it('opens no socket until a device is asked something', () => {
    const { factory, clients } = setup();
    for (let id = 1; id <= 1000; id++) {
      clients.clientFor(device(id), 'read');
      clients.clientFor(device(id), 'write');
    }
    expect(factory.sessions).toHaveLength(0);
    expect(clients.openSessions).toBe(0);
  });

  it('uses one session for a scan’s consecutive requests and closes it after the idle spell', async () => {
    const { clock, factory, clients } = setup();
    const client = clients.clientFor(device(1), 'read');
    for (let i = 0; i < 3; i++) {
      const walk = client.subtree('1.3.6.1.4.1.32473.1.1.3.1.2');
      await factory.releaseAll();
      await walk;
      clock.advance(100);
    }
    expect(factory.sessions).toHaveLength(1);
    expect(factory.sessions[0]!.requests).toBe(3);
    expect(factory.sessions[0]!.target).toMatchObject({ address: '192.0.2.1', community: 'public' });
    clock.advance(2_000);
    expect(factory.openCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    // The next scan opens a fresh session.
    const again = client.get(['1.3.6.1.2.1.1.3.0']);
    await factory.releaseAll();
    await expect(again).resolves.toHaveLength(1);
    expect(factory.sessions).toHaveLength(2);
  });

  it('never closes a session while a request is in flight, however long it takes', async () => {
    const { clock, factory, clients } = setup();
    const client = clients.clientFor(device(1), 'write');
    const slow = client.set([]);
    clock.advance(60_000);
    expect(factory.openCount).toBe(1);
    await factory.releaseAll();
    await slow;
    clock.advance(1_999);
    expect(factory.openCount).toBe(1);
    clock.advance(1);
    expect(factory.openCount).toBe(0);
  });

  it('holds sockets only for the devices in use, not for the whole fleet', async () => {
    const { clock, factory, clients } = setup();
    const busy = [1, 2, 3].map((id) => clients.clientFor(device(id), 'read').subtree('1.3'));
    for (let id = 4; id <= 500; id++) clients.clientFor(device(id), 'read');
    expect(clients.openSessions).toBe(3);
    await factory.releaseAll();
    await Promise.all(busy);
    clock.advance(2_000);
    expect(clients.openSessions).toBe(0);
  });

  it('after forget or closeAll a request is refused as an SNMP error and leaves no socket or timer behind', async () => {
    const { clock, factory, clients } = setup();
    const client = clients.clientFor(device(7), 'read');
    const first = client.get(['1.3']);
    await factory.releaseAll();
    await first;
    clients.forget(7);
    expect(factory.openCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    await expect(client.get(['1.3'])).rejects.toMatchObject({ name: 'SnmpError', kind: 'protocol' });
    expect(factory.sessions).toHaveLength(1);

    const other = clients.clientFor(device(8), 'read');
    const pending = other.subtree('1.3');
    clients.closeAll();
    expect(factory.openCount).toBe(0);
    const refused = expect(pending).rejects.toThrow('closed');
    await factory.releaseAll();
    await refused;
    expect(clock.pendingTimers).toBe(0);
  });
});
