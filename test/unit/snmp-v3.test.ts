// SNMPv3 USM: key derivation against RFC 3414's vectors and net-snmp's implementation, every
// auth and privacy protocol round-tripped, and each way a message is refused.
import snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { USM_STATS } from '../../src/profiles/oids.js';
import { PduType, SnmpDecodeError, VarType, type RequestPdu } from '../../src/snmp/message.js';
import {
  AUTH_PROTOCOLS,
  checkUser,
  desAvailable,
  KeyCache,
  localizeKey,
  passwordToKey,
  PRIV_PROTOCOLS,
  type AuthProtocol,
  type PrivProtocol,
  type UsmUser,
} from '../../src/snmp/usm.js';
import {
  emptyUsmStats,
  encodeResponse,
  encodeV3,
  EngineTimeWindows,
  peekV3,
  receiveAuthoritative,
  receiveNonAuthoritative,
  receiveReply,
  UsmRejection,
  type AuthoritativeContext,
  type LocalEngine,
  type SentRequest,
} from '../../src/snmp/v3.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const RFC_ENGINE = hex('000000000000000000000002');
const ENGINE = hex('80001f8880e9bd0c1e3bd3d35b');
const SYS_DESCR = '1.3.6.1.2.1.1.1.0';

const get = (requestId = 7): RequestPdu => ({ type: PduType.GetRequest, requestId, errorStatus: 0, errorIndex: 0, varbinds: [{ oid: SYS_DESCR, type: VarType.Null, value: null }] });

function engineAt(time: number, boots = 4): LocalEngine {
  return { engineId: ENGINE, boots, time: () => time };
}

function context(user: UsmUser, engine = engineAt(1000)): AuthoritativeContext<KeyCache> {
  return {
    engine,
    userFor: (name) => (name === user.name ? user : undefined),
    keys: new KeyCache(),
    stats: emptyUsmStats(),
  };
}

const keys = new KeyCache();
function request(user: UsmUser, overrides: { engineId?: Buffer; boots?: number; time?: number; level?: UsmUser['level']; signAs?: UsmUser } = {}): Buffer {
  const level = overrides.level ?? user.level;
  const engineId = overrides.engineId ?? ENGINE;
  return encodeV3({
    msgId: 99,
    reportable: true,
    level,
    userName: user.name,
    ...(level === 'noAuthNoPriv' ? {} : { keys: keys.localize(overrides.signAs ?? user, engineId) }),
    engineId,
    clock: { boots: overrides.boots ?? 4, time: overrides.time ?? 1000 },
    contextEngineId: engineId,
    pdu: get(),
  });
}

function refusal(datagram: Buffer, ctx: AuthoritativeContext): UsmRejection {
  try {
    receiveAuthoritative(datagram, ctx);
  } catch (error) {
    if (error instanceof UsmRejection) return error;
    throw error;
  }
  throw new Error('the message was accepted');
}

/** Reads a report as its receiver (a manager, not authoritative) would. */
function readReport(report: Buffer, user: UsmUser) {
  const message = receiveNonAuthoritative(report, { userFor: () => user, keys: new KeyCache(), windows: new EngineTimeWindows(() => 0) });
  expect(message.pdu.type).toBe(PduType.Report);
  return message;
}

describe('key derivation', () => {
  it.each<[AuthProtocol, string, string]>([
    // RFC 3414 A.3.1 and A.3.2: password "maplesyrup", engine 00..02.
    ['md5', '9faf3283884e92834ebc9847d8edd963', '526f5eed9fcce26f8964c2930787d82b'],
    ['sha', '9fb5cc0381497b3793528939ff788d5d79145211', '6695febc9288e36282235fc7151f128497b38f3f'],
  ])('%s matches RFC 3414 appendix A.3', (protocol, ku, kul) => {
    const key = passwordToKey(protocol, 'maplesyrup');
    expect(key.toString('hex')).toBe(ku);
    expect(localizeKey(protocol, key, RFC_ENGINE).toString('hex')).toBe(kul);
  });

  it.each(AUTH_PROTOCOLS)('%s localizes as net-snmp does', (protocol) => {
    const theirs = (snmp as unknown as { Authentication: { passwordToKey(p: number, pass: string, engine: Buffer): Buffer } }).Authentication.passwordToKey(
      (snmp.AuthProtocols as unknown as Record<string, number>)[protocol]!,
      'an-auth-passw0rd',
      ENGINE,
    );
    expect(localizeKey(protocol, passwordToKey(protocol, 'an-auth-passw0rd'), ENGINE).equals(theirs)).toBe(true);
  });

  it('derives a password that does not divide 1 MiB evenly', () => {
    // 7 characters: the repeated stream does not restart on a chunk boundary.
    expect(passwordToKey('md5', 'abcdefg').equals(passwordToKey('md5', 'abcdefg'))).toBe(true);
    expect(passwordToKey('md5', 'abcdefg').equals(passwordToKey('md5', 'abcdefh'))).toBe(false);
  });

  it.each<[UsmUser, string | undefined]>([
    [{ name: 'ok', level: 'authPriv', authProtocol: 'sha', authPassword: 'auth-pass', privProtocol: 'aes128', privPassword: 'priv-pass' }, undefined],
    [{ name: 'ok', level: 'noAuthNoPriv' }, undefined],
    [{ name: 'short', level: 'authNoPriv', authProtocol: 'sha', authPassword: 'short' }, 'authPassword must be at least 8 characters'],
    [{ name: 'nokey', level: 'authNoPriv' }, 'security level authNoPriv needs authProtocol and authPassword'],
    [{ name: 'nopriv', level: 'authPriv', authProtocol: 'md5', authPassword: 'auth-pass' }, 'security level authPriv needs privProtocol and privPassword'],
    [{ name: 'x'.repeat(33), level: 'noAuthNoPriv' }, 'the user name must be 1 to 32 bytes'],
    [{ name: 'typo', level: 'authNoPriv', authProtocol: 'sha1' as AuthProtocol, authPassword: 'auth-pass' }, 'unknown auth protocol sha1; known: md5, sha, sha224, sha256, sha384, sha512'],
    [{ name: 'typo', level: 'authPriv', authProtocol: 'sha', authPassword: 'auth-pass', privProtocol: 'aes' as PrivProtocol, privPassword: 'priv-pass' }, 'unknown privacy protocol aes; known: des, aes128, aes256'],
  ])('checks user %s', (user, problem) => {
    expect(checkUser(user)).toBe(problem);
  });
});

describe('round trips', () => {
  const privs = PRIV_PROTOCOLS.filter((p) => p !== 'des' || desAvailable());
  const cases: Array<[AuthProtocol, PrivProtocol | undefined]> = AUTH_PROTOCOLS.flatMap((a) => [[a, undefined] as [AuthProtocol, undefined], ...privs.map((p) => [a, p] as [AuthProtocol, PrivProtocol])]);

  it.each(cases)('%s with privacy %s', (authProtocol, privProtocol) => {
    const user: UsmUser = privProtocol
      ? { name: 'ops', level: 'authPriv', authProtocol, authPassword: 'auth-passw0rd', privProtocol, privPassword: 'priv-passw0rd' }
      : { name: 'ops', level: 'authNoPriv', authProtocol, authPassword: 'auth-passw0rd' };
    const datagram = request(user);
    if (privProtocol) expect(datagram.includes(Buffer.from(SYS_DESCR.split('.').slice(2).map(Number)))).toBe(false);
    const message = receiveAuthoritative(datagram, context(user));
    expect(message).toMatchObject({ msgId: 99, level: user.level, userName: 'ops', reportable: true, boots: 4, time: 1000 });
    expect(message.pdu).toEqual(get());
    expect(message.contextEngineId.equals(ENGINE)).toBe(true);
  });

  it('runs DES when Node has the legacy provider (the test runner starts it so)', () => {
    expect(desAvailable()).toBe(process.execArgv.includes('--openssl-legacy-provider') || process.env.NODE_OPTIONS?.includes('--openssl-legacy-provider') === true);
  });

  it('accepts noAuthNoPriv for a user configured so', () => {
    const user: UsmUser = { name: 'public-v3', level: 'noAuthNoPriv' };
    expect(receiveAuthoritative(request(user), context(user)).pdu.requestId).toBe(7);
  });
});

describe('refusals at the authoritative engine', () => {
  const user: UsmUser = { name: 'ops', level: 'authPriv', authProtocol: 'sha256', authPassword: 'auth-passw0rd', privProtocol: 'aes128', privPassword: 'priv-passw0rd' };

  it('answers discovery (no engine id) with unknownEngineIDs and its own engine and clock', () => {
    const ctx = context(user);
    const probe = request({ name: '', level: 'noAuthNoPriv' }, { engineId: Buffer.alloc(0), boots: 0, time: 0 });
    const rejection = refusal(probe, ctx);
    expect(rejection.reason).toBe('unknownEngineIDs');
    const report = readReport(rejection.report!, { name: '', level: 'noAuthNoPriv' });
    expect(report.engineId.equals(ENGINE)).toBe(true);
    expect(report).toMatchObject({ msgId: 99, boots: 4, time: 1000 });
    expect(report.pdu.requestId).toBe(7);
    expect(report.pdu.varbinds).toEqual([{ oid: USM_STATS.unknownEngineIDs, type: VarType.Counter32, value: 1 }]);
  });

  it.each<[string, () => Buffer, keyof typeof USM_STATS]>([
    ['an unknown user', () => request({ ...user, name: 'intruder' }), 'unknownUserNames'],
    ['a lower security level than the user has', () => request({ ...user, level: 'authNoPriv' }), 'unsupportedSecLevels'],
    ['no authentication at all', () => request({ ...user, level: 'noAuthNoPriv' }), 'unsupportedSecLevels'],
    ['the wrong authentication password', () => request(user, { signAs: { ...user, authPassword: 'wrong-passw0rd' } }), 'wrongDigests'],
    ['the wrong privacy password', () => request(user, { signAs: { ...user, privPassword: 'wrong-passw0rd' } }), 'decryptionErrors'],
    ['another boot count', () => request(user, { boots: 3 }), 'notInTimeWindows'],
    ['a time 151 s behind', () => request(user, { time: 849 }), 'notInTimeWindows'],
    ['a time 151 s ahead', () => request(user, { time: 1151 }), 'notInTimeWindows'],
  ])('refuses %s', (_name, make, reason) => {
    const ctx = context(user);
    const rejection = refusal(make(), ctx);
    expect(rejection.reason).toBe(reason);
    expect(ctx.stats[reason]).toBe(1);
    expect(rejection.report).toBeInstanceOf(Buffer);
  });

  it('accepts a time 150 s away (the edge of the window)', () => {
    expect(receiveAuthoritative(request(user, { time: 850 }), context(user)).pdu.requestId).toBe(7);
  });

  it('reports notInTimeWindow authenticated, with the clock to adopt', () => {
    const rejection = refusal(request(user, { boots: 1, time: 5 }), context(user, engineAt(1234, 9)));
    const report = readReport(rejection.report!, { ...user, level: 'authNoPriv' });
    expect(report).toMatchObject({ level: 'authNoPriv', boots: 9, time: 1234 });
  });

  it('refuses a message altered after signing', () => {
    const datagram = request(user);
    datagram[datagram.length - 3]! ^= 0x01;
    expect(refusal(datagram, context(user)).reason).toBe('wrongDigests');
  });

  it('sends no report when the sender did not ask for one', () => {
    const datagram = encodeV3({ msgId: 1, reportable: false, level: 'noAuthNoPriv', userName: 'intruder', engineId: ENGINE, clock: { boots: 4, time: 1000 }, contextEngineId: ENGINE, pdu: get() });
    expect(refusal(datagram, context(user)).report).toBeUndefined();
  });
});

describe('timeliness at a receiver (non-authoritative)', () => {
  it('refuses replays older than the window and older boots, accepts newer ones', () => {
    let now = 0;
    const windows = new EngineTimeWindows(() => now);
    const id = hex('8000aa01');
    expect(windows.accept(id, 5, 500)).toBe(true); // first contact
    now = 60_000;
    expect(windows.accept(id, 5, 560)).toBe(true);
    expect(windows.accept(id, 5, 420)).toBe(true); // 140 s behind the estimate: in the window
    expect(windows.accept(id, 5, 400)).toBe(false); // 160 s behind
    expect(windows.accept(id, 4, 99_999)).toBe(false); // an earlier boot
    expect(windows.accept(id, 6, 1)).toBe(true); // rebooted
    expect(windows.accept(id, 5, 600)).toBe(false);
  });

  it('forgets the oldest engine when full', () => {
    const windows = new EngineTimeWindows(() => 0, 2);
    windows.accept(hex('01'), 5, 500);
    windows.accept(hex('02'), 5, 500);
    windows.accept(hex('03'), 5, 500);
    // Engine 01 was forgotten: its old time is first contact again.
    expect(windows.accept(hex('01'), 5, 1)).toBe(true);
    expect(windows.accept(hex('03'), 5, 1)).toBe(false);
  });

  it('authenticates a trap with keys localized to the sender', () => {
    const user: UsmUser = { name: 'ups', level: 'authPriv', authProtocol: 'sha', authPassword: 'auth-passw0rd', privProtocol: 'aes256', privPassword: 'priv-passw0rd' };
    const sender = hex('80001f8803aabbccddeeff');
    const trap: RequestPdu = { type: PduType.TrapV2, requestId: 3, errorStatus: 0, errorIndex: 0, varbinds: [] };
    const datagram = encodeV3({ msgId: 5, reportable: false, level: 'authPriv', userName: 'ups', keys: keys.localize(user, sender), engineId: sender, clock: { boots: 1, time: 77 }, contextEngineId: sender, pdu: trap });
    const ctx = { userFor: (name: string) => (name === 'ups' ? user : undefined), keys: new KeyCache(), windows: new EngineTimeWindows(() => 0) };
    expect(receiveNonAuthoritative(datagram, ctx).pdu).toEqual(trap);
    const other = { ...ctx, userFor: () => ({ ...user, authPassword: 'not-the-passw0rd' }) };
    expect(() => receiveNonAuthoritative(datagram, other)).toThrow(/wrongDigests/);
  });
});

describe('responses', () => {
  it("echo the request's msgID, user, level and context (an inform names its sender's engine as context)", () => {
    const user: UsmUser = { name: 'ops', level: 'authNoPriv', authProtocol: 'md5', authPassword: 'auth-passw0rd' };
    const senderEngine = hex('80001f88801e6d4e48');
    const inform = encodeV3({
      msgId: 31,
      reportable: true,
      level: 'authNoPriv',
      userName: 'ops',
      keys: keys.localize(user, ENGINE),
      engineId: ENGINE,
      clock: { boots: 4, time: 1000 },
      contextEngineId: senderEngine,
      contextName: Buffer.from('ctx'),
      pdu: { ...get(12), type: PduType.InformRequest },
    });
    const ctx = context(user);
    const request = receiveAuthoritative(inform, ctx);
    const ack = encodeResponse(request, ctx.engine, ctx.keys.localize(user, ENGINE), { ...request.pdu, type: PduType.Response });
    const read = receiveNonAuthoritative(ack, { userFor: () => user, keys: new KeyCache(), windows: new EngineTimeWindows(() => 0) });
    expect(read).toMatchObject({ msgId: 31, level: 'authNoPriv', userName: 'ops', reportable: false });
    expect(read.contextEngineId.equals(senderEngine)).toBe(true);
    expect(read.contextName.toString()).toBe('ctx');
    expect(read.engineId.equals(ENGINE)).toBe(true);
    expect(read.pdu).toMatchObject({ type: PduType.Response, requestId: 12 });
  });
});

describe('replies at a non-authoritative sender (an inform originator)', () => {
  const user: UsmUser = { name: 'ups', level: 'authPriv', authProtocol: 'sha', authPassword: 'auth-passw0rd', privProtocol: 'aes128', privPassword: 'priv-passw0rd' };
  const sent: SentRequest = { user, level: 'authPriv', keys: new KeyCache() };
  const inform = (overrides: { engineId?: Buffer; boots?: number; time?: number; level?: UsmUser['level'] } = {}): Buffer => {
    const engineId = overrides.engineId ?? ENGINE;
    const level = overrides.level ?? 'authPriv';
    return encodeV3({
      msgId: 41,
      reportable: true,
      level,
      userName: 'ups',
      ...(level === 'noAuthNoPriv' ? {} : { keys: keys.localize(user, engineId) }),
      engineId,
      clock: { boots: overrides.boots ?? 4, time: overrides.time ?? 1000 },
      contextEngineId: hex('80007ed9017f000001'),
      pdu: { ...get(5), type: PduType.InformRequest },
    });
  };
  const rejection = (datagram: Buffer, request = sent): UsmRejection => {
    try {
      receiveReply(datagram, request);
    } catch (error) {
      if (error instanceof UsmRejection) return error;
      throw error;
    }
    throw new Error('the reply was accepted');
  };

  it('peeks at the header without checking anything', () => {
    expect(peekV3(inform())).toMatchObject({ msgId: 41, userName: 'ups', level: 'authPriv', reportable: true });
    expect(peekV3(inform()).engineId.equals(ENGINE)).toBe(true);
    expect(() => peekV3(Buffer.from('30030201', 'hex'))).toThrow(SnmpDecodeError);
  });

  it('reads the discovery report: the receiver\'s engine id and clock, unauthenticated', () => {
    const ctx = context(user, engineAt(777, 12));
    const probe = encodeV3({ msgId: 40, reportable: true, level: 'noAuthNoPriv', userName: '', engineId: Buffer.alloc(0), clock: { boots: 0, time: 0 }, contextEngineId: Buffer.alloc(0), pdu: { ...get(0), varbinds: [] } });
    const report = refusal(probe, ctx).report!;
    expect(peekV3(report).msgId).toBe(40);
    const read = receiveReply(report, { user: { name: '', level: 'noAuthNoPriv' }, level: 'noAuthNoPriv', keys: new KeyCache() });
    expect(read).toMatchObject({ msgId: 40, level: 'noAuthNoPriv', boots: 12, time: 777 });
    expect(read.engineId.equals(ENGINE)).toBe(true);
    expect(read.pdu.varbinds[0]?.oid).toBe(USM_STATS.unknownEngineIDs);
    // A report may be below the request's level.
    expect(receiveReply(report, sent).pdu.type).toBe(PduType.Report);
  });

  it('reads the authNoPriv notInTimeWindow report to an authPriv request, with the clock to adopt', () => {
    const report = refusal(inform({ boots: 1, time: 3 }), context(user, engineAt(2000, 9))).report!;
    expect(receiveReply(report, sent)).toMatchObject({ level: 'authNoPriv', boots: 9, time: 2000, pdu: { type: PduType.Report, varbinds: [{ oid: USM_STATS.notInTimeWindows }] } });
  });

  /** The receiver's acknowledgement of an inform sent at `level`. */
  const ack = (level: UsmUser['level'] = 'authPriv'): Buffer => {
    const ctx = context({ ...user, level });
    const request = receiveAuthoritative(inform({ level }), ctx);
    return encodeResponse(request, ctx.engine, ctx.keys.localize({ ...user, level }, ENGINE), { ...request.pdu, type: PduType.Response });
  };

  it('reads the encrypted acknowledgement of an inform', () => {
    expect(receiveReply(ack(), sent)).toMatchObject({ msgId: 41, level: 'authPriv', pdu: { type: PduType.Response, requestId: 5 } });
  });

  it.each<[string, () => Buffer, SentRequest, keyof typeof USM_STATS]>([
    ['a reply signed with another password', () => ack(), { ...sent, user: { ...user, authPassword: 'not-the-passw0rd' } }, 'wrongDigests'],
    ['a reply encrypted with another password', () => ack(), { ...sent, user: { ...user, privPassword: 'not-the-passw0rd' } }, 'decryptionErrors'],
    ['a reply naming another user', () => ack(), { ...sent, user: { ...user, name: 'other' } }, 'unknownUserNames'],
    ['a reply above the request\'s level', () => ack(), { ...sent, level: 'authNoPriv' }, 'unsupportedSecLevels'],
    ['a Response below the request\'s level', () => ack('authNoPriv'), sent, 'unsupportedSecLevels'],
  ])('refuses %s', (_name, make, request, reason) => {
    expect(rejection(make(), request).reason).toBe(reason);
  });

  it('refuses a message that is neither a Response nor a Report', () => {
    expect(() => receiveReply(inform(), sent)).toThrow(SnmpDecodeError);
  });
});
