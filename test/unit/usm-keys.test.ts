// SNMPv3 password keys off the receive path: the worker thread and the stepped fallback derive
// what passwordToKey does; urgent jobs overtake background ones; the key cache's entries are
// named without the passwords; the key store derives each password once and says when it is done.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerKeyDeriver } from '../../src/snmp/key-derivation.js';
import { AUTH_PROTOCOLS, KeyCache, passwordToKey, passwordToKeyInSteps, type PasswordKeyJob, type UsmUser } from '../../src/snmp/usm.js';
import { UsmKeyStore } from '../../src/snmp/usm-keys.js';
import { ManualDeriver } from '../helpers/manual-deriver.js';

const ENGINE = Buffer.from('80007ed904656e67696e65', 'hex');
const USER: UsmUser = { name: 'ups-ops', level: 'authPriv', authProtocol: 'sha256', authPassword: 'auth-passw0rd-7', privProtocol: 'aes128', privPassword: 'priv-passw0rd-7' };
const job = (password: string, protocol: PasswordKeyJob['protocol'] = 'sha256'): PasswordKeyJob => ({ id: `${protocol}/${password}`, protocol, password });

const derivers: WorkerKeyDeriver[] = [];
function deriver(spawn?: () => Worker): WorkerKeyDeriver {
  const d = new WorkerKeyDeriver(spawn ? { spawn } : {});
  derivers.push(d);
  return d;
}
afterEach(async () => {
  for (const d of derivers.splice(0)) await d.stop();
});

describe('password keys derived off the event loop', () => {
  it.each(AUTH_PROTOCOLS)('the worker derives what passwordToKey does (%s)', async (protocol) => {
    const d = deriver();
    // 7 characters: the repeated password does not restart on a 64 KiB boundary.
    const [long, short] = await Promise.all([d.derive(job('an-auth-passw0rd', protocol), false), d.derive(job('abcdefg', protocol), true)]);
    expect(long.equals(passwordToKey(protocol, 'an-auth-passw0rd'))).toBe(true);
    expect(short.equals(passwordToKey(protocol, 'abcdefg'))).toBe(true);
  });

  it.each(['md5', 'sha512'] as const)('the stepped fallback derives what passwordToKey does (%s)', async (protocol) => {
    expect((await passwordToKeyInSteps(protocol, 'abcdefg')).equals(passwordToKey(protocol, 'abcdefg'))).toBe(true);
    expect((await passwordToKeyInSteps(protocol, 'x'.repeat(1000))).equals(passwordToKey(protocol, 'x'.repeat(1000)))).toBe(true);
    await expect(passwordToKeyInSteps(protocol, '')).rejects.toThrow('an empty password has no key');
  });

  it('the stepped fallback lets the event loop turn between steps', async () => {
    // A chain of immediates counts the loop's turns: it runs only when a step hands the loop
    // back (a 1 ms timer would also need each step to take 1 ms, which a fast or idle core does not).
    let turns = 0;
    let stopped = false;
    const turn = () => {
      turns++;
      if (!stopped) setImmediate(turn);
    };
    setImmediate(turn);
    try {
      await passwordToKeyInSteps('sha', 'a-passw0rd');
    } finally {
      stopped = true;
    }
    // 16 steps of 64 KiB, each followed by a turn in which other work may run.
    expect(turns).toBeGreaterThanOrEqual(15);
  });

  it('an urgent job overtakes the background jobs still waiting', async () => {
    const d = deriver();
    const order: string[] = [];
    const background = ['b1', 'b2', 'b3', 'b4', 'b5'].map((name) => d.derive(job(`${name}-passw0rd`), false).then(() => order.push(name)));
    const urgent = d.derive(job('u1-passw0rd'), true).then(() => order.push('u1'));
    await Promise.all([...background, urgent]);
    // b1 and b2 were already with the worker; u1 comes right after them.
    expect(order).toEqual(['b1', 'b2', 'u1', 'b3', 'b4', 'b5']);
  });

  it('asking again for a job already waiting raises its priority and returns the same promise', async () => {
    const d = deriver();
    const order: string[] = [];
    const jobs = ['b1', 'b2', 'b3', 'b4'].map((name) => d.derive(job(`${name}-passw0rd`), false).then(() => order.push(name)));
    const again = d.derive(job('b4-passw0rd'), true);
    expect(d.pending).toBe(4);
    await Promise.all([...jobs, again]);
    expect(order).toEqual(['b1', 'b2', 'b4', 'b3']);
  });

  it.each<[string, () => Worker]>([
    ['fails as it starts', () => new Worker('throw new Error("no worker here")', { eval: true })],
    ['cannot be created', () => {
      throw new Error('ERR_WORKER_INIT_FAILED');
    }],
    ['exits with jobs in hand', () => new Worker('require("node:worker_threads").parentPort.once("message", () => process.exit(3))', { eval: true })],
  ])('when the worker %s, the jobs are derived in the main thread, in steps', async (_name, spawn) => {
    const d = deriver(spawn);
    const keys = await Promise.all([d.derive(job('first-passw0rd', 'sha'), true), d.derive(job('second-passw0rd', 'sha'), false), d.derive(job('third-passw0rd', 'sha'), false)]);
    expect(keys.map((k) => k.toString('hex'))).toEqual(['first-passw0rd', 'second-passw0rd', 'third-passw0rd'].map((p) => passwordToKey('sha', p).toString('hex')));
  });

  it('stop() fails the jobs not done; a later job starts a new worker', async () => {
    const d = deriver();
    const jobs = ['s1', 's2', 's3'].map((name) => d.derive(job(`${name}-passw0rd`), false));
    await d.stop();
    for (const j of jobs) await expect(j).rejects.toThrow('key derivation stopped');
    expect(d.pending).toBe(0);
    expect((await d.derive(job('after-passw0rd'), true)).equals(passwordToKey('sha256', 'after-passw0rd'))).toBe(true);
  });

  it('refuses an empty password', async () => {
    await expect(deriver().derive(job(''), true)).rejects.toThrow('an empty password has no key');
  });
});

describe('KeyCache', () => {
  it('names its entries without the passwords', () => {
    const cache = new KeyCache();
    cache.localize(USER, ENGINE);
    const maps = Object.values(cache as unknown as Record<string, unknown>).filter((v): v is Map<unknown, unknown> => v instanceof Map);
    const names = maps.flatMap((m) => [...m.keys()].map(String));
    expect(names.length).toBeGreaterThanOrEqual(3);
    for (const secret of [USER.authPassword!, USER.privPassword!]) expect(names.filter((n) => n.includes(secret))).toEqual([]);
  });

  it('localizes from password keys derived elsewhere, and not before they are there', () => {
    const cache = new KeyCache();
    expect(cache.localizeDerived(USER, ENGINE)).toBeUndefined();
    const missing = cache.missingPasswordKeys(USER);
    expect(missing.map((j) => [j.protocol, j.password])).toEqual([
      ['sha256', USER.authPassword],
      ['sha256', USER.privPassword],
    ]);
    for (const j of missing) cache.addPasswordKey(j.id, passwordToKey(j.protocol, j.password));
    const reference = new KeyCache().localize(USER, ENGINE);
    const keys = cache.localizeDerived(USER, ENGINE);
    expect(keys?.auth?.key.equals(reference.auth!.key)).toBe(true);
    expect(keys?.priv?.key.equals(reference.priv!.key)).toBe(true);
    // The same credentials in another object (the device record read again) need nothing more.
    expect(cache.missingPasswordKeys({ ...USER })).toEqual([]);
    expect(cache.missingPasswordKeys({ ...USER, privPassword: 'other-passw0rd' })).toHaveLength(1);
    expect(cache.missingPasswordKeys({ name: 'plain', level: 'noAuthNoPriv' })).toEqual([]);
  });
});

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('UsmKeyStore', () => {
  it('prepares users 50 per turn of the event loop, so adding many devices at once never stalls it', async () => {
    const manual = new ManualDeriver();
    const store = new UsmKeyStore({ cache: new KeyCache(), deriver: manual });
    for (let i = 0; i < 120; i++) store.prepare({ ...USER, name: `u${i}`, authPassword: `auth-${i}-passw0rd`, privPassword: `priv-${i}-passw0rd` });
    expect(manual.asked).toHaveLength(0);
    const asked: number[] = [];
    for (let i = 0; i < 4; i++) {
      await turn();
      asked.push(manual.asked.length);
    }
    expect(asked).toEqual([100, 200, 240, 240]);
    expect(manual.asked.every((a) => !a.urgent)).toBe(true);
  });

  it('stop() forgets the users still to prepare', async () => {
    const manual = new ManualDeriver();
    const store = new UsmKeyStore({ cache: new KeyCache(), deriver: manual });
    store.prepare(USER);
    await store.stop();
    await turn();
    expect(manual.asked).toHaveLength(0);
  });

  it('derives each password once however often it is asked, and says when the keys are ready', async () => {
    const manual = new ManualDeriver();
    const store = new UsmKeyStore({ cache: new KeyCache(), deriver: manual });
    store.prepare(USER);
    await turn();
    expect(store.localize(USER, ENGINE)).toBeUndefined();
    expect(store.localize({ ...USER }, ENGINE)).toBeUndefined();
    const ready = store.whenDerived(USER);
    // Two jobs asked in the background, each raised once to urgent by the first message: no more.
    expect(manual.asked.map((a) => a.urgent)).toEqual([false, false, true, true]);
    expect(store.pending).toBe(2);
    await manual.finishAll();
    expect(await ready).toBe(true);
    expect(store.pending).toBe(0);
    expect(store.localize(USER, ENGINE)?.priv?.protocol).toBe('aes128');
    expect(await store.whenDerived(USER)).toBe(true);
    expect(manual.asked).toHaveLength(4);
  });

  it('says false when the derivation failed, and asks again at the next message', async () => {
    const manual = new ManualDeriver();
    const store = new UsmKeyStore({ cache: new KeyCache(), deriver: manual });
    const ready = store.whenDerived(USER);
    await manual.finishAll(true);
    expect(await ready).toBe(false);
    expect(store.localize(USER, ENGINE)).toBeUndefined();
    expect(manual.asked.filter((a) => a.urgent)).toHaveLength(4);
  });
});
