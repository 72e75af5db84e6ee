import { DeviceMib } from '../../simulators/agent/mib.js';
import { SNMPV2 } from '../../src/profiles/oids.js';
import { SnmpError, type SnmpClient, type SnmpClientFactory, type SnmpTarget } from '../../src/snmp/client.js';
import { VarType } from '../../src/snmp/message.js';
import type { FakeClock } from './fake-clock.js';
import { FakeSnmpClient } from './fake-snmp.js';

/** One agent on the fake network: what it answers, and to which credentials. */
export interface FakeAgent {
  sysObjectId?: string;
  sysName?: string;
  sysDescr?: string;
  /** The community it answers (v1/v2c); other communities get no answer, as on a real agent. */
  community?: string;
  /** Its v3 user; another user name gets a refusal (usmStatsUnknownUserNames), as on a real agent. */
  v3User?: string;
  /** Answers every request with this error status instead. */
  errorStatus?: string;
}

export interface SentRequest {
  address: string;
  port: number;
  /** The community or v3 user the request carried. */
  credential: string;
  /** The fake clock's time when it was sent. */
  at: number;
  retries: number;
  timeoutMs: number;
}

/** A system group as the prober reads it. */
export function agentMib(agent: FakeAgent): DeviceMib {
  const mib = new DeviceMib();
  if (agent.sysObjectId) mib.addScalar(SNMPV2.sysObjectID, VarType.OID, agent.sysObjectId);
  if (agent.sysName !== undefined) mib.addScalar(SNMPV2.sysName, VarType.OctetString, Buffer.from(agent.sysName));
  if (agent.sysDescr !== undefined) mib.addScalar(SNMPV2.sysDescr, VarType.OctetString, Buffer.from(agent.sysDescr));
  return mib;
}

/**
 * Agents by address behind the SnmpClientFactory interface: every session it opens is a
 * FakeSnmpClient on that agent's MIB, unreachable when nothing there takes the credential.
 * It records every request sent (address, credential, time) and how many were in flight at once;
 * `answerMs` makes each answer take that long on the fake clock.
 */
export class FakeSnmpNetwork implements SnmpClientFactory {
  readonly sent: SentRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  openSessions = 0;

  constructor(
    private readonly clock: FakeClock,
    private readonly agents: ReadonlyMap<string, FakeAgent>,
    private readonly answerMs = 0,
  ) {}

  open(target: SnmpTarget): SnmpClient {
    const agent = this.agents.get(target.address);
    const client = new FakeSnmpClient(agentMib(agent ?? {}));
    const credential = target.version === '3' ? target.usm.name : target.community;
    const takes = agent !== undefined && (target.version === '3' ? agent.v3User === credential : agent.community === credential);
    client.unreachable = !takes;
    this.openSessions++;
    return {
      get: async (oids) => {
        this.sent.push({ address: target.address, port: target.port, credential, at: this.clock.now(), retries: target.retries, timeoutMs: target.timeoutMs });
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const refuses = !takes && target.version === '3' && agent?.v3User !== undefined;
        try {
          // An answer or a refusal takes `answerMs`; silence, the whole timeout.
          await new Promise<void>((resolve) => this.clock.setTimeout(resolve, takes || refuses ? this.answerMs : target.timeoutMs));
          if (refuses) throw new SnmpError('protocol', `${target.address}:${target.port}: unknown user name`);
          if (takes && agent.errorStatus) throw new SnmpError('error-status', `${target.address}:${target.port} answered ${agent.errorStatus}`, agent.errorStatus);
          return await client.get(oids);
        } finally {
          this.inFlight--;
        }
      },
      subtree: (oid) => client.subtree(oid),
      set: (varbinds) => client.set(varbinds),
      close: () => {
        if (!client.closed) this.openSessions--;
        client.close();
      },
    };
  }

  /** Addresses that were sent anything. */
  get contacted(): Set<string> {
    return new Set(this.sent.map((s) => s.address));
  }
}

/** Runs `work` to its end, moving the fake clock on in `stepMs` steps while it waits for timers. */
export async function settle<T>(clock: FakeClock, work: Promise<T>, stepMs = 10, maxSteps = 100_000): Promise<T> {
  let done = false;
  const finished = work.finally(() => {
    done = true;
  });
  for (let step = 0; !done; step++) {
    if (step > maxSteps) throw new Error(`not settled after ${maxSteps} clock steps`);
    await new Promise((resolve) => setImmediate(resolve));
    if (!done) clock.advance(stepMs);
  }
  return finished;
}
