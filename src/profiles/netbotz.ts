import type { Severity } from '../alarms/model.js';
import { cellNumber, cellText } from './cells.js';
import { NETBOTZ } from './oids.js';
import type { AlarmMeaning, Profile, TableRow } from './types.js';

const E = NETBOTZ.errorCondCol;
const ES = NETBOTZ.errorStatus;

/** errorCondSeverity is on the ErrorStatus scale. */
const SEVERITY: Readonly<Record<number, Severity>> = {
  [ES.normal]: 'info',
  [ES.info]: 'info',
  [ES.warning]: 'warning',
  [ES.error]: 'critical',
  [ES.critical]: 'critical',
  [ES.failure]: 'critical',
};

/**
 * The error types a NetBotz reports in errorCondTypeId (a DisplayString of up to 127
 * characters, not an enumeration): the nbErrorType_* names BotzWare sends (nbErrorType_toohigh,
 * _toolow, _devicealarm, _errorstate, _podunpluggedsensor, _test) and those of the simulator
 * (nbErrorType_ValueTooHigh, _ValueTooLow, _ValueError), matched without case, prefix or
 * punctuation. The code is an alarm's identity in metrics labels and Alertmanager's alertname,
 * so it never comes from the device's text: a type not listed here is `netbotz.other`, and its
 * text, shortened, is kept in the description.
 */
const ERROR_TYPES: ReadonlyArray<{ names: readonly string[]; code: string; phrase: string }> = [
  { names: ['toohigh', 'valuetoohigh'], code: 'netbotz.valueTooHigh', phrase: 'Value too high' },
  { names: ['toolow', 'valuetoolow'], code: 'netbotz.valueTooLow', phrase: 'Value too low' },
  { names: ['valueerror'], code: 'netbotz.valueError', phrase: 'Value error' },
  { names: ['errorstate', 'error'], code: 'netbotz.errorState', phrase: 'Error state' },
  { names: ['devicealarm'], code: 'netbotz.deviceAlarm', phrase: 'Device alarm' },
  { names: ['unplugged', 'podunpluggedsensor', 'sensorunplugged'], code: 'netbotz.sensorUnplugged', phrase: 'Sensor unplugged' },
  { names: ['offline', 'deviceoffline'], code: 'netbotz.deviceOffline', phrase: 'Device offline' },
  { names: ['test'], code: 'netbotz.test', phrase: 'Test alert' },
];
const BY_NAME = new Map(ERROR_TYPES.flatMap((type) => type.names.map((name) => [name, type] as const)));

/** The code for error types this profile does not know. */
export const NETBOTZ_OTHER_CODE = 'netbotz.other';
/** Device text kept in a description: the MIB's 127-character limit, a little more than a sensible type or sensor name. */
const MAX_DEVICE_TEXT = 128;

/** 'nbErrorType_ValueTooHigh', 'nbErrorType_toohigh', 'TOO-HIGH' -> 'toohigh'. */
function typeKey(typeId: string): string {
  return typeId
    .replace(/^nbErrorType_/i, '')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}

/** Device text as a description may show it: printable, on one line, at most MAX_DEVICE_TEXT characters. */
function shown(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > MAX_DEVICE_TEXT ? `${printable.slice(0, MAX_DEVICE_TEXT)}…` : printable;
}

function meaningOf(row: TableRow): AlarmMeaning {
  const typeId = cellText(row, E.typeId) ?? '';
  const known = BY_NAME.get(typeKey(typeId));
  const phrase = known ? known.phrase : typeId ? `Error condition "${shown(typeId)}"` : 'Error condition';
  const sensor = cellText(row, E.sensorId);
  return {
    severity: SEVERITY[cellNumber(row, E.severity) ?? -1] ?? 'warning',
    code: known?.code ?? NETBOTZ_OTHER_CODE,
    description: sensor ? `${phrase} on sensor ${shown(sensor)}` : phrase,
  };
}

/**
 * A NetBotz appliance (netBotzV2). Alarms come from errorCondTable only, not
 * also from the temperature, humidity and door tables' ErrorStatus column:
 * the appliance opens an error condition for every sensor that leaves normal,
 * so reading both would report each condition twice, and only the condition
 * row says what went wrong (its TypeId). The table keeps resolved conditions
 * beside active ones; only rows with Resolved 0 are alarms.
 */
export const netBotzProfile: Profile = {
  name: 'netbotz',
  description: 'NetBotz environmental appliance (NETBOTZV2-MIB error conditions)',
  sysObjectIdPrefixes: [NETBOTZ.product],
  registration: 'hidden-table',
  sources: [
    {
      kind: 'alarm-table',
      id: 'errorCondTable',
      entry: NETBOTZ.errorCondEntry,
      columns: [E.severity, E.typeId, E.resolved, E.sensorId],
      active: (row) => cellNumber(row, E.resolved) === 0 && cellText(row, E.typeId) !== undefined,
      meaning: meaningOf,
    },
  ],
};
