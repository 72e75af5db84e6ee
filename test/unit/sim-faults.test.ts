import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { FAULT_MODES, faultyAnswer, type FaultMode } from '../../simulators/agent/faults.js';
import { buildControlApp } from '../../simulators/control.js';
import { Fleet } from '../../simulators/fleet.js';
import { compareArcs, parseOid, startsWith } from '../../simulators/agent/oid.js';
import { answerRequest } from '../../simulators/agent/responder.js';
import type { DeviceSettings } from '../../simulators/devices/device.js';
import { PriscanSimDevice } from '../../simulators/devices/sim.js';
import { PRISCAN_SIM, SNMPV2 } from '../../src/profiles/oids.js';
import { decodeMessage, encodeMessage, PduType, SnmpDecodeError, VarType, type SnmpMessage, type VarBind } from '../../src/snmp/message.js';

// The tests here that need sockets use 127.0.32.240 and up (the device-faults range is 127.0.32.0/24).
const SOCKET_ADDRESS = '127.0.32.240';
const CONTROL_ADDRESS = '127.0.32.241';
const CODE_COLUMN = `${PRISCAN_SIM.alarmEntry}.${PRISCAN_SIM.alarmCol.code}`;

function settings(address = '127.0.20.1', port = 16161): DeviceSettings {
  return { address, port, readCommunity: 'public', writeCommunity: 'private', clock: { now: () => 1_700_000_000_000 }, apcTrapPort: 16162, onBatteryRepeatMs: 60_000 };
}

function request(type: typeof PduType.GetRequest | typeof PduType.GetNextRequest | typeof PduType.GetBulkRequest, oids: string[], requestId = 4242): SnmpMessage {
  return {
    version: 1,
    community: Buffer.from('public'),
    pdu: {
      type,
      requestId,
      // GETBULK: non-repeaters 0, max-repetitions 20.
      errorStatus: 0,
      errorIndex: type === PduType.GetBulkRequest ? 20 : 0,
      varbinds: oids.map((oid) => ({ oid, type: VarType.Null, value: null })),
    },
  };
}

/** A sim device with two active alarms: its priority-scanning table has rows 1 and 2. */
function deviceWithAlarms(): PriscanSimDevice {
  const device = new PriscanSimDevice(settings());
  device.raise('onBattery');
  device.raise('fanFailure');
  return device;
}

function answer(device: PriscanSimDevice, mode: FaultMode, message: SnmpMessage): SnmpMessage | undefined {
  const response = faultyAnswer(device.mib, message, 'read', mode, encodeMessage(message));
  return response && decodeMessage(response);
}

const varbindsOf = (message: SnmpMessage | undefined): VarBind[] => message?.pdu.varbinds ?? [];

describe('simulator fault modes', () => {
  it('lists every mode, starts healthy, and rejects unknown modes and bad delays', () => {
    expect(FAULT_MODES).toEqual(['none', 'garbage', 'wrong-request-id', 'wrong-types', 'endless-walk', 'non-increasing-walk', 'slow', 'silent']);
    const device = new PriscanSimDevice(settings());
    expect(device.status().fault).toEqual({ mode: 'none', delayMs: 0 });
    expect(() => device.setFault('melt' as FaultMode)).toThrow(RangeError);
    for (const delayMs of [-1, 1.5, NaN, 10_000_000]) expect(() => device.setFault('slow', { delayMs })).toThrow(RangeError);
    expect(device.status().fault.mode).toBe('none');
    device.setFault('slow', { delayMs: 250 });
    expect(device.status().fault).toEqual({ mode: 'slow', delayMs: 250 });
    device.setFault('none');
    expect(device.status().fault.mode).toBe('none');
  });

  it('none and slow answer exactly as a healthy agent (slow only waits)', () => {
    const device = deviceWithAlarms();
    const get = request(PduType.GetBulkRequest, [CODE_COLUMN]);
    const healthy = answerRequest(device.mib, get, 'read');
    for (const mode of ['none', 'slow'] as const) expect(faultyAnswer(device.mib, get, 'read', mode, encodeMessage(get))).toEqual(healthy);
  });

  it('silent answers nothing', () => {
    expect(faultyAnswer(deviceWithAlarms().mib, request(PduType.GetRequest, [SNMPV2.sysUpTime]), 'read', 'silent', Buffer.alloc(1))).toBeUndefined();
  });

  it('garbage answers 1 to 256 bytes that are not an SNMP message, the same bytes for the same request', () => {
    const device = deviceWithAlarms();
    const sizes = new Set<number>();
    for (let id = 1; id <= 200; id++) {
      const get = request(PduType.GetRequest, [SNMPV2.sysDescr], id);
      const datagram = encodeMessage(get);
      const reply = faultyAnswer(device.mib, get, 'read', 'garbage', datagram)!;
      expect(reply.length).toBeGreaterThanOrEqual(1);
      expect(reply.length).toBeLessThanOrEqual(256);
      expect(() => decodeMessage(reply)).toThrow(SnmpDecodeError);
      expect(faultyAnswer(device.mib, get, 'read', 'garbage', datagram)).toEqual(reply);
      sizes.add(reply.length);
    }
    expect(sizes.size).toBeGreaterThan(50);
  });

  it('wrong-request-id answers correctly, but under another request-id', () => {
    const device = deviceWithAlarms();
    for (const id of [1, 4242, 0x7fffffff, -5]) {
      const get = request(PduType.GetRequest, [SNMPV2.sysDescr, PRISCAN_SIM.alarmsPresent], id);
      const reply = answer(device, 'wrong-request-id', get)!;
      const healthy = decodeMessage(answerRequest(device.mib, get, 'read')!);
      expect(reply.pdu.type).toBe(PduType.Response);
      expect('requestId' in reply.pdu && reply.pdu.requestId).not.toBe(id);
      expect(reply.pdu.varbinds).toEqual(healthy.pdu.varbinds);
    }
  });

  it('wrong-types sends numbers as OctetString text and leaves other types alone', () => {
    const device = deviceWithAlarms();
    const codes = varbindsOf(answer(device, 'wrong-types', request(PduType.GetBulkRequest, [CODE_COLUMN]))).filter((vb) => vb.oid.startsWith(`${CODE_COLUMN}.`));
    expect(codes.map((vb) => [vb.oid, vb.type, String(vb.value)])).toEqual([
      [`${CODE_COLUMN}.1`, VarType.OctetString, '2'],
      [`${CODE_COLUMN}.2`, VarType.OctetString, '16'],
    ]);
    const [objectId, upTime] = varbindsOf(answer(device, 'wrong-types', request(PduType.GetRequest, [SNMPV2.sysObjectID, SNMPV2.sysUpTime])));
    expect(objectId).toMatchObject({ type: VarType.OID, value: PRISCAN_SIM.productSim });
    expect(upTime!.type).toBe(VarType.OctetString);
  });

  it('endless-walk never leaves the subtree and always increases, by GETNEXT and by GETBULK', () => {
    const device = new PriscanSimDevice(settings()); // no alarms: a healthy walk of the column ends at once
    const root = parseOid(CODE_COLUMN);
    let oid = CODE_COLUMN;
    for (let step = 0; step < 1000; step++) {
      const [next] = varbindsOf(answer(device, 'endless-walk', request(PduType.GetNextRequest, [oid])));
      const arcs = parseOid(next!.oid);
      expect(startsWith(arcs, root)).toBe(true);
      expect(compareArcs(arcs, parseOid(oid))).toBeGreaterThan(0);
      oid = next!.oid;
    }
    const bulk = varbindsOf(answer(device, 'endless-walk', request(PduType.GetBulkRequest, [oid])));
    expect(bulk).toHaveLength(20);
    bulk.forEach((vb, i) => {
      expect(startsWith(parseOid(vb.oid), root)).toBe(true);
      expect(compareArcs(parseOid(vb.oid), parseOid(i === 0 ? oid : bulk[i - 1]!.oid))).toBeGreaterThan(0);
    });
  });

  it('non-increasing-walk enters the table, then returns the same OID again', () => {
    const device = deviceWithAlarms();
    const [first] = varbindsOf(answer(device, 'non-increasing-walk', request(PduType.GetNextRequest, [CODE_COLUMN])));
    expect(first!.oid).toBe(`${CODE_COLUMN}.1`);
    const [again] = varbindsOf(answer(device, 'non-increasing-walk', request(PduType.GetNextRequest, [first!.oid])));
    expect(again!.oid).toBe(first!.oid);
    const bulk = varbindsOf(answer(device, 'non-increasing-walk', request(PduType.GetBulkRequest, [CODE_COLUMN])));
    expect(new Set(bulk.map((vb) => vb.oid))).toEqual(new Set([`${CODE_COLUMN}.1`]));
  });

  it('a fault never breaks the other device functions: alarms and notifications still work', () => {
    const device = deviceWithAlarms();
    for (const mode of FAULT_MODES) {
      device.setFault(mode);
      device.raise('doorOpen');
      device.clear('doorOpen');
      expect(device.activeAlarms()).toEqual(['onBattery', 'fanFailure']);
    }
  });
});

describe('the control API sets a fault mode', () => {
  let fleet: Fleet | undefined;

  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
  });

  it('PUT /devices/:id/fault sets the mode, refuses bad bodies, and status shows it', async () => {
    fleet = new Fleet({ devices: [{ kind: 'sim', count: 1 }], baseAddress: CONTROL_ADDRESS, port: 0 });
    await fleet.start();
    const app = buildControlApp(fleet);
    const put = (payload: unknown) => app.inject({ method: 'PUT', url: `/devices/${CONTROL_ADDRESS}/fault`, payload: payload as object });
    const slow = await put({ mode: 'slow', delayMs: 1200 });
    expect(slow.statusCode).toBe(200);
    expect(slow.json()).toMatchObject({ fault: { mode: 'slow', delayMs: 1200 } });
    for (const bad of [{}, { mode: 'melt' }, { mode: 'slow', delayMs: -1 }, { mode: 'slow', delayMs: 'soon' }, { mode: 'silent', extra: 1 }]) {
      const res = await put(bad);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'INVALID_BODY' } });
    }
    expect(fleet.get(CONTROL_ADDRESS)!.status().fault).toEqual({ mode: 'slow', delayMs: 1200 });
    expect((await put({ mode: 'garbage' })).json()).toMatchObject({ fault: { mode: 'garbage', delayMs: 0 } });
    expect((await app.inject({ method: 'PUT', url: '/devices/127.9.9.9/fault', payload: { mode: 'none' } })).statusCode).toBe(404);
    await app.close();
  });
});

describe('simulator fault modes on the wire', () => {
  let device: PriscanSimDevice | undefined;
  let client: dgram.Socket | undefined;

  afterEach(async () => {
    client?.close();
    client = undefined;
    await device?.stop();
    device = undefined;
  });

  /** Sends one GET and resolves with the reply's arrival time in ms, or undefined after `waitMs`. */
  async function getOnce(port: number, waitMs: number): Promise<number | undefined> {
    const socket = dgram.createSocket('udp4');
    client = socket;
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const started = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), waitMs);
      socket.once('message', () => {
        clearTimeout(timer);
        resolve(performance.now() - started);
      });
      socket.send(encodeMessage(request(PduType.GetRequest, [SNMPV2.sysUpTime])), port, SOCKET_ADDRESS);
    });
  }

  it('slow holds each answer back, silent drops it, and stop() cancels held answers', async () => {
    device = new PriscanSimDevice(settings(SOCKET_ADDRESS, 0));
    await device.start();
    const port = device.agent.port;
    expect(await getOnce(port, 1000)).toBeDefined();
    client?.close();

    device.setFault('slow', { delayMs: 300 });
    expect(await getOnce(port, 2000)).toBeGreaterThanOrEqual(290);
    client?.close();

    device.setFault('silent');
    expect(await getOnce(port, 400)).toBeUndefined();
    expect(device.status().counters.requests).toBe(3);
    client?.close();

    device.setFault('slow', { delayMs: 60_000 });
    const pending = getOnce(port, 300);
    await new Promise((r) => setTimeout(r, 50));
    await device.stop(); // must not wait for, or later send, the held answer
    device = undefined;
    expect(await pending).toBeUndefined();
  });
});
