import { PRISCAN_SIM, SNMPV2 } from '../../src/profiles/oids.js';
import type { NotificationTarget } from '../agent/notification.js';
import { formatOid, parseOid } from '../agent/oid.js';
import { ApcTrapReceivers } from '../registration/apc-receivers.js';
import { HiddenRegistrationTable } from '../registration/hidden-table.js';
import { Rfc3413Targets } from '../registration/rfc3413.js';
import type { VarBind } from '../../src/snmp/message.js';
import { SimDevice, type DeviceSettings, type DeviceStatus, type RegistrationModel } from './device.js';
import { checkedOid, planChanges, RecordingChangeError, type ChangePlan, type ChangeSummary, type RecordingChanges, type RowInput, type ValueInput } from './recorded-values.js';
import { SnmprecError } from './snmprec.js';

/** How managers can register on a replayed device: not at all (as recorded), or one of the simulators' tables. */
export const SNMPREC_REGISTRATIONS = ['none', 'rfc3413', 'hidden-table', 'apc-receiver-table'] as const;
export type SnmprecRegistration = (typeof SNMPREC_REGISTRATIONS)[number];

/** The notification a replayed device sends after a change: its trap OID and the objects it carries. */
export interface AlertPresent {
  trapOid: string;
  /** OIDs whose current values ride along as varbinds, as a real agent's OBJECTS clause. */
  objects?: readonly string[];
}

/** A notification sent: its trap OID and how many managers it went to (before simulated loss). */
export interface SentAlert {
  trapOid: string;
  managers: number;
}

/** Asked to notify, but neither the request nor the device's options name a notification. */
export class NoNotificationError extends Error {}

export interface SnmprecOptions {
  /** Where the recording came from (shown in status). */
  source?: string;
  registration?: SnmprecRegistration;
  notification?: AlertPresent;
}

export interface SnmprecStatus extends DeviceStatus {
  recording: { source: string | null; notification: AlertPresent | null };
}

/** A recording replays read-only: nobody registers, nothing is sent. */
class NoRegistration implements RegistrationModel {
  readonly method = 'none' as const;
  install(): void {}
  targets(): NotificationTarget[] {
    return [];
  }
  clear(): void {}
}

function registrationModel(method: SnmprecRegistration, settings: DeviceSettings): RegistrationModel {
  switch (method) {
    case 'none':
      return new NoRegistration();
    case 'rfc3413':
      return new Rfc3413Targets(settings.v3?.user);
    case 'hidden-table':
      return new HiddenRegistrationTable();
    case 'apc-receiver-table':
      return new ApcTrapReceivers(settings.apcTrapPort);
  }
}

/**
 * A device replayed from a `.snmprec` recording. It answers what was recorded, plus what the
 * control API changed since; managers can register through one of the simulators' registration
 * tables when the fleet gives it one, and it sends its configured notification on request.
 */
export class SnmprecDevice extends SimDevice {
  readonly supportedAlarms: readonly string[] = [];

  constructor(
    settings: DeviceSettings,
    recording: VarBind[],
    private readonly options: SnmprecOptions = {},
  ) {
    const sysDescr = recording.find((vb) => vb.oid === SNMPV2.sysDescr)?.value;
    const sysObjectId = recording.find((vb) => vb.oid === SNMPV2.sysObjectID)?.value;
    const method = options.registration ?? 'none';
    super(settings, {
      kind: 'snmprec',
      sysDescr: Buffer.isBuffer(sysDescr) ? sysDescr.toString('utf8') : 'priscan replayed recording',
      sysObjectId: typeof sysObjectId === 'string' ? sysObjectId : PRISCAN_SIM.productSnmprec,
      registration: registrationModel(method, settings),
      systemGroup: false,
      readingsInstead: 'none, as a recording: set its values instead (PUT /devices/:id/values/:oid, setValue)',
    });
    // A recorded row inside the emulated table would be served twice and could not be SET.
    const clashes = recording.filter((vb) => this.mib.tableAt(parseOid(vb.oid)));
    if (clashes.length > 0) {
      const entry = this.mib.tableAt(parseOid(clashes[0]!.oid))!.entryOid;
      throw new SnmprecError(
        `${options.source ?? 'recording'}: ${clashes.length} recorded value(s) lie in ${entry}, the table the ${method} registration emulates ` +
          `(first: ${clashes[0]!.oid}); remove them from the recording or use registration none`,
      );
    }
    for (const vb of recording) this.mib.addScalar(vb.oid, vb.type, vb.value);
  }

  /**
   * Applies the changes as one unit, then sends the notification when `notify` asks for it
   * (true: the configured one). Anything refused throws before the MIB changes.
   */
  applyChanges(changes: RecordingChanges, notify?: true | Partial<AlertPresent>): ChangeSummary & { notified?: SentAlert } {
    const plan = planChanges(changes, this.mib);
    const alert = notify === undefined ? undefined : this.resolveAlert(notify === true ? {} : notify, plan);
    for (const oid of plan.removals) this.mib.removeScalar(oid);
    for (const vb of plan.writes) this.mib.addScalar(vb.oid, vb.type, vb.value);
    const summary = { changed: plan.removals.length + plan.writes.length > 0, written: plan.writes.length, removed: plan.removals.length };
    return alert ? { ...summary, notified: this.send(alert) } : summary;
  }

  setValue(oid: string, value: ValueInput): ChangeSummary {
    return this.applyChanges({ set: [{ ...value, oid }] });
  }

  deleteValue(oid: string): ChangeSummary {
    return this.applyChanges({ delete: [oid] });
  }

  /** Adds the row, or replaces the given cells of an existing one. */
  setRow(entry: string, index: string, columns: RowInput['columns']): ChangeSummary {
    return this.applyChanges({ setRows: [{ entry, index, columns }] });
  }

  /** Removes every cell of the row (entry.column.index for any column). */
  deleteRow(entry: string, index: string): ChangeSummary {
    return this.applyChanges({ deleteRows: [{ entry, index }] });
  }

  /**
   * Sends the configured notification (or `override`'s trap OID and objects) to every registered
   * manager, as other kinds do when an alarm changes.
   */
  sendAlertPresent(override: Partial<AlertPresent> = {}): SentAlert {
    return this.send(this.resolveAlert(override));
  }

  /** The notification to send, checked against the MIB as it will be once `plan` is applied. */
  private resolveAlert(override: Partial<AlertPresent>, plan?: ChangePlan): { trapOid: string; objects: string[] } {
    const trapOidText = override.trapOid ?? this.options.notification?.trapOid;
    if (trapOidText === undefined) {
      throw new NoNotificationError(`snmprec device ${this.id} has no notification configured: give a trapOid, or start it with one (--snmprec-notification)`);
    }
    const trapOid = formatOid(checkedOid(trapOidText, 'trapOid'));
    const objects = (override.objects ?? this.options.notification?.objects ?? []).map((text, i) => {
      const oid = formatOid(checkedOid(text, `objects[${i}]`));
      const written = plan?.writes.some((vb) => vb.oid === oid) ?? false;
      const kept = this.mib.hasScalar(oid) && !(plan?.removals.includes(oid) ?? false);
      if (!written && !kept) throw new RecordingChangeError(`objects[${i}]: ${oid} is not served by ${this.id}, so it cannot ride along`);
      return oid;
    });
    return { trapOid, objects };
  }

  private send(alert: { trapOid: string; objects: string[] }): SentAlert {
    const varbinds = alert.objects.map((oid): VarBind => ({ oid, ...this.mib.get(oid) }));
    return { trapOid: alert.trapOid, managers: this.notify({ trapOid: alert.trapOid, varbinds }) };
  }

  override status(): SnmprecStatus {
    return { ...super.status(), recording: { source: this.options.source ?? null, notification: this.options.notification ?? null } };
  }

  protected applyRaise(): void {}
  protected applyClear(): void {}
}
