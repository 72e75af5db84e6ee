import { createHash } from 'node:crypto';
import type { Alarm } from '../alarms/model.js';
import type { DeviceRecord } from '../store/devices.js';
import type { AlertmanagerConfig } from './config.js';

/** One element of the JSON array Alertmanager's `POST /api/v2/alerts` takes (`postableAlert`). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/** The parts of a device record an alert shows. */
export type AlertDevice = Pick<DeviceRecord, 'name' | 'address' | 'profile' | 'resolvedProfile'>;

/**
 * Everything about an alert except its end: fixed when the alarm is raised, so a clear resolves
 * the very label set that was sent (even if the device was renamed or deleted meanwhile).
 */
export interface AlertTemplate {
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  startsAt: number;
  generatorURL?: string;
}

/** An alert waiting to be sent: firing (its endsAt is set when it is sent) or resolved at a time. */
export interface AlertState {
  template: AlertTemplate;
  resolvedAt?: number;
  /** Why priscan resolved it without the device clearing it (the clear event's reason). */
  resolvedReason?: string;
}

/** One alarm on one device; the alarm key is stable across scans (source + row index + code). */
export function alarmIdentity(deviceId: number, key: string): string {
  return `${deviceId}\u0000${key}`;
}

/**
 * Longest label value sent. Codes and keys are bounded where alarms are scanned; this bounds what
 * an older database may still hold too, so no alert carries a device's long text as a label.
 */
export const MAX_LABEL_LENGTH = 128;

/** The value itself when short; else its start and a digest of the whole, so it stays one stable value. */
export function boundedLabel(value: string): string {
  if (value.length <= MAX_LABEL_LENGTH) return value;
  return `${value.slice(0, MAX_LABEL_LENGTH - 17)}#${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
}

/** 'ups.onBattery' -> 'UpsOnBattery': Prometheus' alert naming style, one name per alarm code. */
export function alertName(code: string): string {
  const words = code.split(/[^A-Za-z0-9]+/).filter((word) => word !== '');
  const name = words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
  return name === '' ? 'PriscanAlarm' : name;
}

/** The link to the device's alarms in priscan's API, when priscan's external URL is configured. */
export function alarmsLink(externalUrl: string | undefined, deviceName: string): string | undefined {
  if (externalUrl === undefined) return undefined;
  return `${externalUrl.replace(/\/+$/, '')}/api/v1/alarms?device=${encodeURIComponent(deviceName)}`;
}

export interface TemplateInput {
  alarm: Alarm;
  raisedAt: number;
  deviceName: string;
  /** Undefined when the device is gone: the alert then carries what the event knew. */
  device: AlertDevice | undefined;
}

export function alertTemplate(config: AlertmanagerConfig, input: TemplateInput): AlertTemplate {
  const { alarm, device } = input;
  const profile = device ? (device.resolvedProfile ?? device.profile) : 'unknown';
  const labels: Record<string, string> = {
    ...config.labels,
    alertname: boundedLabel(alertName(alarm.code)),
    device: input.deviceName,
    severity: alarm.severity,
    code: boundedLabel(alarm.code),
    profile,
    // Two alarms with one code on one device (e.g. two overloaded PDU phases) are two alerts.
    alarm_key: boundedLabel(alarm.key),
  };
  if (config.site !== undefined) labels.site = config.site;
  const annotations: Record<string, string> = { description: alarm.description, summary: `${input.deviceName}: ${alarm.description}` };
  if (device) annotations.device_address = device.address;
  const link = alarmsLink(config.externalUrl, input.deviceName);
  if (link !== undefined) annotations.priscan_url = link;
  return link === undefined ? { labels, annotations, startsAt: input.raisedAt } : { labels, annotations, startsAt: input.raisedAt, generatorURL: link };
}

/**
 * The alert as posted. A firing alert ends `firingValidityMs` from now unless re-sent (as
 * Prometheus does), so Alertmanager resolves it by itself if priscan stops sending.
 */
export function postableAlert(state: AlertState, now: number, firingValidityMs: number): PostableAlert {
  const { template } = state;
  // Alertmanager refuses an alert that ends before it starts.
  const endsAt = state.resolvedAt === undefined ? now + firingValidityMs : Math.max(state.resolvedAt, template.startsAt);
  const alert: PostableAlert = {
    labels: { ...template.labels },
    annotations: { ...template.annotations },
    startsAt: new Date(template.startsAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
  };
  // The resolved notification then says the condition was not seen to end (device removed, unmonitored).
  if (state.resolvedAt !== undefined && state.resolvedReason !== undefined) alert.annotations.resolved_reason = state.resolvedReason;
  if (template.generatorURL !== undefined) alert.generatorURL = template.generatorURL;
  return alert;
}
