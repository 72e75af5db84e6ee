import { RecordingBuilder } from './recording-builder.js';

/**
 * Eaton/Powerware XUPS-MIB ("PowerMIB", enterprise 534), as an Eaton network card on a
 * three-phase UPS answers it. Every OID below was checked against XUPS-MIB revision
 * 201909270000Z (and EATON-OIDS) with snmptranslate; see eaton-xups.md for the sources.
 */
const X = '1.3.6.1.4.1.534.1';

export const XUPS = {
  /** sysObjectID of Powerware/Eaton ConnectUPS and Network-MS cards (xupsMIB itself). */
  sysObjectId: X,
  ident: { manufacturer: `${X}.1.1.0`, model: `${X}.1.2.0`, softwareVersion: `${X}.1.3.0`, oemCode: `${X}.1.4.0`, partNumber: `${X}.1.5.0`, serialNumber: `${X}.1.6.0` },
  battery: {
    /** Integer32, seconds. */
    timeRemaining: `${X}.2.1.0`,
    /** Integer32, volts DC. */
    voltage: `${X}.2.2.0`,
    /** Integer32, amps DC (positive when discharging). */
    current: `${X}.2.3.0`,
    /** Integer32, percent. */
    capacity: `${X}.2.4.0`,
    abmStatus: `${X}.2.5.0`,
    lastReplacedDate: `${X}.2.6.0`,
    failure: `${X}.2.7.0`,
    notPresent: `${X}.2.8.0`,
    aged: `${X}.2.9.0`,
    lowCapacity: `${X}.2.10.0`,
  },
  input: { frequency: `${X}.3.1.0`, lineBads: `${X}.3.2.0`, numPhases: `${X}.3.3.0`, source: `${X}.3.5.0`, status: `${X}.3.9.0` },
  inputEntry: `${X}.3.4.1`,
  inputCol: { phase: 1, voltage: 2, current: 3, watts: 4, id: 5, name: 6, currentHighPrecision: 7 },
  output: { load: `${X}.4.1.0`, frequency: `${X}.4.2.0`, numPhases: `${X}.4.3.0`, source: `${X}.4.5.0`, status: `${X}.4.10.0` },
  outputEntry: `${X}.4.4.1`,
  outputCol: { phase: 1, voltage: 2, current: 3, watts: 4, id: 5, name: 6, currentHighPrecision: 7, percentLoad: 8, va: 9 },
  bypass: { frequency: `${X}.5.1.0`, numPhases: `${X}.5.2.0` },
  bypassEntry: `${X}.5.3.1`,
  bypassCol: { phase: 1, voltage: 2 },
  environment: { ambientTemp: `${X}.6.1.0`, ambientLowerLimit: `${X}.6.2.0`, ambientUpperLimit: `${X}.6.3.0`, ambientHumidity: `${X}.6.4.0` },
  /** Gauge32: the number of rows in xupsAlarmTable. */
  alarms: `${X}.7.1.0`,
  alarmEntry: `${X}.7.2.1`,
  alarmCol: { id: 1, descr: 2, time: 3 },
  alarmNumEvents: `${X}.7.18.0`,
  /** Well-known alarms: what xupsAlarmDescr points at (OBJECT IDENTIFIERs under xupsAlarm). */
  wellKnownAlarms: {
    onBattery: `${X}.7.3`,
    lowBattery: `${X}.7.4`,
    utilityPowerRestored: `${X}.7.5`,
    returnFromLowBattery: `${X}.7.6`,
    outputOverload: `${X}.7.7`,
    internalFailure: `${X}.7.8`,
    batteryDischarged: `${X}.7.9`,
    inverterFailure: `${X}.7.10`,
    onBypass: `${X}.7.11`,
    bypassNotAvailable: `${X}.7.12`,
    outputOff: `${X}.7.13`,
    inputFailure: `${X}.7.14`,
    buildingAlarm: `${X}.7.15`,
    shutdownImminent: `${X}.7.16`,
    onInverter: `${X}.7.17`,
    breakerOpen: `${X}.7.20`,
    alarmEntryAdded: `${X}.7.21`,
    alarmEntryRemoved: `${X}.7.22`,
    alarmBatteryBad: `${X}.7.23`,
    outputOffAsRequested: `${X}.7.24`,
    diagnosticTestFailed: `${X}.7.25`,
    communicationsLost: `${X}.7.26`,
    upsShutdownPending: `${X}.7.27`,
    alarmTestInProgress: `${X}.7.28`,
    ambientTempBad: `${X}.7.29`,
    lossOfRedundancy: `${X}.7.30`,
    alarmTempBad: `${X}.7.31`,
    alarmChargerFailed: `${X}.7.32`,
    alarmFanFailure: `${X}.7.33`,
    alarmFuseFailure: `${X}.7.34`,
    powerSwitchBad: `${X}.7.35`,
    moduleFailure: `${X}.7.36`,
    onAlternatePowerSource: `${X}.7.37`,
    altPowerNotAvailable: `${X}.7.38`,
    noticeCondition: `${X}.7.39`,
    remoteTempBad: `${X}.7.40`,
    remoteHumidityBad: `${X}.7.41`,
    alarmOutputBad: `${X}.7.42`,
    alarmAwaitingPower: `${X}.7.43`,
    onMaintenanceBypass: `${X}.7.44`,
    outputNotProtected: `${X}.7.51`,
  },
  test: { start: `${X}.8.1.0`, batteryStatus: `${X}.8.2.0` },
  config: { outputVoltage: `${X}.10.1.0`, inputVoltage: `${X}.10.2.0`, outputWatts: `${X}.10.3.0`, outputFreq: `${X}.10.4.0` },
  trapControl: { maxTrapLevel: `${X}.11.1.0`, sendTrapType: `${X}.11.2.0`, heartbeatMinsInterval: `${X}.11.5.0` },
  /**
   * xupstd notifications: xupsTrapOidDefined (xupsTrapControl.4.1.0) . N; as SNMPv1 traps,
   * enterprise xupsTrapDefined (1.3.6.1.4.1.534.1.11.4.1), specific trap N.
   */
  trapPrefix: `${X}.11.4.1.0`,
  traps: {
    onBattery: `${X}.11.4.1.0.3`,
    lowBattery: `${X}.11.4.1.0.4`,
    utilityPowerRestored: `${X}.11.4.1.0.5`,
    returnFromLowBattery: `${X}.11.4.1.0.6`,
    outputOverload: `${X}.11.4.1.0.7`,
    internalFailure: `${X}.11.4.1.0.8`,
    onBypass: `${X}.11.4.1.0.11`,
    onInverter: `${X}.11.4.1.0.17`,
    alarmEntryAdded: `${X}.11.4.1.0.21`,
    alarmEntryRemoved: `${X}.11.4.1.0.22`,
    ambientTempBad: `${X}.11.4.1.0.29`,
    heartbeat: `${X}.11.4.1.0.44`,
    testTrap: `${X}.11.4.1.0.100`,
  },
  /** Varbinds of an xupstd alarm trap: xupsAlarmID and xupsAlarmDescr of the row (xupsTrapMessage is not-accessible in practice). */
  trapObjects: (alarmId: number) => [`${X}.7.2.1.1.${alarmId}`, `${X}.7.2.1.2.${alarmId}`],
} as const;

const SYSTEM = '1.3.6.1.2.1.1';
const PHASES = [1, 2, 3] as const;

/** A healthy Eaton 93PM (3-phase in and out) behind a Network-MS card: no active alarms. */
export function eatonXupsRecording(): RecordingBuilder {
  const r = new RecordingBuilder()
    .text(`${SYSTEM}.1.0`, 'Eaton 93PM 50kW UPS (priscan synthetic recording of an Eaton Network-MS card)')
    .add(`${SYSTEM}.2.0`, 'ObjectIdentifier', XUPS.sysObjectId)
    .add(`${SYSTEM}.3.0`, 'TimeTicks', 8_640_000)
    .text(`${SYSTEM}.4.0`, 'noc@example.com')
    .text(`${SYSTEM}.5.0`, 'ups-a1')
    .text(`${SYSTEM}.6.0`, 'DC1 room 2 row A')
    .integer(`${SYSTEM}.7.0`, 72);
  const { ident, battery, input, output, bypass, environment, test, config, trapControl } = XUPS;
  r.text(ident.manufacturer, 'EATON').text(ident.model, 'Eaton 93PM 50kW').text(ident.softwareVersion, 'INV 4.12 / NMC 2.6.5');
  r.integer(ident.oemCode, 0).text(ident.partNumber, 'SIM-93PM-50').text(ident.serialNumber, 'SIM0000001');
  r.integer(battery.timeRemaining, 1860).integer(battery.voltage, 432).integer(battery.current, 0).integer(battery.capacity, 100);
  r.integer(battery.abmStatus, 3 /* batteryFloating */).text(battery.lastReplacedDate, '04/01/2023');
  for (const flag of [battery.failure, battery.notPresent, battery.aged, battery.lowCapacity]) r.integer(flag, 2 /* no */);
  r.integer(input.frequency, 500).add(input.lineBads, 'Counter32', 2).integer(input.numPhases, 3);
  r.integer(input.source, 3 /* primaryUtility */).integer(input.status, 2 /* inputGood */);
  const inputs = { voltage: [230, 231, 229], current: [25, 26, 24], watts: [5600, 5800, 5500], tenths: [251, 262, 243] };
  for (const [i, p] of PHASES.entries()) {
    const c = (col: number) => `${XUPS.inputEntry}.${col}.${p}`;
    r.integer(c(XUPS.inputCol.phase), p).integer(c(XUPS.inputCol.voltage), inputs.voltage[i]!).integer(c(XUPS.inputCol.current), inputs.current[i]!);
    r.integer(c(XUPS.inputCol.watts), inputs.watts[i]!).integer(c(XUPS.inputCol.id), p /* phaseNtoN */).text(c(XUPS.inputCol.name), ['L1/A', 'L2/B', 'L3/C'][i]!);
    r.integer(c(XUPS.inputCol.currentHighPrecision), inputs.tenths[i]!);
  }
  r.integer(output.load, 38).integer(output.frequency, 500).integer(output.numPhases, 3);
  r.integer(output.source, 3 /* normal */).integer(output.status, 3 /* outputProtected */);
  const outputs = { current: [27, 28, 26], watts: [6000, 6200, 5900], tenths: [272, 281, 259], load: [37, 39, 36], va: [6300, 6500, 6100] };
  for (const [i, p] of PHASES.entries()) {
    const c = (col: number) => `${XUPS.outputEntry}.${col}.${p}`;
    r.integer(c(XUPS.outputCol.phase), p).integer(c(XUPS.outputCol.voltage), 230).integer(c(XUPS.outputCol.current), outputs.current[i]!);
    r.integer(c(XUPS.outputCol.watts), outputs.watts[i]!).integer(c(XUPS.outputCol.id), p).text(c(XUPS.outputCol.name), `L${p}`);
    r.integer(c(XUPS.outputCol.currentHighPrecision), outputs.tenths[i]!).integer(c(XUPS.outputCol.percentLoad), outputs.load[i]!);
    r.integer(c(XUPS.outputCol.va), outputs.va[i]!);
  }
  r.integer(bypass.frequency, 500).integer(bypass.numPhases, 3);
  for (const p of PHASES) r.integer(`${XUPS.bypassEntry}.${XUPS.bypassCol.phase}.${p}`, p).integer(`${XUPS.bypassEntry}.${XUPS.bypassCol.voltage}.${p}`, 230);
  r.integer(environment.ambientTemp, 24).integer(environment.ambientLowerLimit, 5).integer(environment.ambientUpperLimit, 40).integer(environment.ambientHumidity, 45);
  // No alarm is active: xupsAlarmTable has no rows (the control API adds them), xupsAlarms is 0.
  r.gauge(XUPS.alarms, 0).gauge(XUPS.alarmNumEvents, 0);
  r.integer(test.start, 2 /* noTestStarted */).integer(test.batteryStatus, 2 /* passed */);
  r.integer(config.outputVoltage, 230).integer(config.inputVoltage, 230).integer(config.outputWatts, 50_000).integer(config.outputFreq, 500);
  r.integer(trapControl.maxTrapLevel, 5 /* allTraps */).integer(trapControl.sendTrapType, 2 /* xups */).integer(trapControl.heartbeatMinsInterval, 0);
  return r;
}
