// The console's device page shows a chain behind one card: a lead links its shadows (with their
// places), a shadow links its lead; a device of its own shows no chain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, type ConsoleClient } from '../helpers/console.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { newDevice } from '../helpers/devices.js';

// This file's devices live on 127.0.156.0/24; they are stored, never contacted.
const CARD = '127.0.156.5';
let t: TestDaemon;
let admin: ConsoleClient;
let leadId: number;
let shadowIds: number[];
let aloneId: number;

beforeAll(async () => {
  t = await startTestDaemon();
  const { store } = t.running;
  const pdu = { address: CARD, profile: 'apc-rpdu' };
  leadId = store.devices.insert(newDevice({ ...pdu, name: 'pdu-c1', chainPosition: 1 })).id;
  shadowIds = [2, 3].map((position) => store.devices.insert(newDevice({ ...pdu, name: `pdu-c${position}`, priorityScanning: false, leadId, chainPosition: position })).id);
  aloneId = store.devices.insert(newDevice({ name: 'ups-alone', address: '127.0.156.6' })).id;
  admin = await signIn(t.running.http, t.adminToken);
});

afterAll(async () => {
  await t?.stop();
});

/** A page's text, each tag a space. */
const textOf = (body: string) => body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('device page: lead and shadows', () => {
  it('a lead links each of its shadows, with its place in the chain', async () => {
    const res = await admin.get(`/console/devices/${leadId}`);
    expect(res.statusCode).toBe(200);
    for (const id of shadowIds) expect(res.body).toContain(`<a href="/console/devices/${id}">`);
    expect(textOf(res.body)).toMatch(/Shadows \(behind this card\) pdu-c2 \(2\) ?, pdu-c3 \(3\)/);
    expect(textOf(res.body)).toContain('Place in the chain 1');
  });

  it('a shadow links its lead', async () => {
    const res = await admin.get(`/console/devices/${shadowIds[1]}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`<a href="/console/devices/${leadId}">pdu-c1</a>`);
    expect(textOf(res.body)).toContain('Place in the chain 3');
    expect(res.body).not.toContain('Shadows (behind this card)');
  });

  it('a device of its own shows no chain', async () => {
    const res = await admin.get(`/console/devices/${aloneId}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('Place in the chain');
    expect(res.body).not.toContain('Lead (reached through)');
  });
});
