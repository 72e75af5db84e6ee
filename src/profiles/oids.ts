// Every OID priscan and its simulators use lives here, once. Values are exact
// (DESIGN.md section 4); names follow the MIB object names.

/** SNMPv2-MIB and SNMP framework objects. */
export const SNMPV2 = {
  sysDescr: '1.3.6.1.2.1.1.1.0',
  sysObjectID: '1.3.6.1.2.1.1.2.0',
  sysUpTime: '1.3.6.1.2.1.1.3.0',
  sysContact: '1.3.6.1.2.1.1.4.0',
  sysName: '1.3.6.1.2.1.1.5.0',
  sysLocation: '1.3.6.1.2.1.1.6.0',
  snmpTrapOID: '1.3.6.1.6.3.1.1.4.1.0',
  snmpTrapEnterprise: '1.3.6.1.6.3.1.1.4.3.0',
  /** snmpTraps: the generic traps, coldStart .1 to egpNeighborLoss .6 (v1 generic-trap + 1). */
  snmpTraps: '1.3.6.1.6.3.1.1.5',
  coldStart: '1.3.6.1.6.3.1.1.5.1',
  warmStart: '1.3.6.1.6.3.1.1.5.2',
} as const;

/** RFC 3414 usmStats counters: the varbind of each USM report. */
export const USM_STATS = {
  unsupportedSecLevels: '1.3.6.1.6.3.15.1.1.1.0',
  notInTimeWindows: '1.3.6.1.6.3.15.1.1.2.0',
  unknownUserNames: '1.3.6.1.6.3.15.1.1.3.0',
  unknownEngineIDs: '1.3.6.1.6.3.15.1.1.4.0',
  wrongDigests: '1.3.6.1.6.3.15.1.1.5.0',
  decryptionErrors: '1.3.6.1.6.3.15.1.1.6.0',
} as const;

/** RFC 3413 SNMP-TARGET-MIB and SNMP-NOTIFICATION-MIB. */
export const RFC3413 = {
  targetAddrEntry: '1.3.6.1.6.3.12.1.2.1',
  targetParamsEntry: '1.3.6.1.6.3.12.1.3.1',
  notifyEntry: '1.3.6.1.6.3.13.1.1.1',
  snmpUDPDomain: '1.3.6.1.6.1.1',
  targetAddrCol: { tDomain: 2, tAddress: 3, timeout: 4, retryCount: 5, tagList: 6, params: 7, storageType: 8, rowStatus: 9 },
  targetParamsCol: { mpModel: 2, securityModel: 3, securityName: 4, securityLevel: 5, storageType: 6, rowStatus: 7 },
  notifyCol: { tag: 2, type: 3, storageType: 4, rowStatus: 5 },
  mpModel: { v1: 0, v2c: 1, v3: 3 },
  securityModel: { v1: 1, v2c: 2, usm: 3 },
  securityLevel: { noAuthNoPriv: 1, authNoPriv: 2, authPriv: 3 },
  notifyType: { trap: 1, inform: 2 },
  storageType: { other: 1, volatile: 2, nonVolatile: 3, permanent: 4, readOnly: 5 },
} as const;

/** RFC 2579 RowStatus values. */
export const ROW_STATUS = {
  active: 1,
  notInService: 2,
  notReady: 3,
  createAndGo: 4,
  createAndWait: 5,
  destroy: 6,
} as const;

/** RFC 1628 UPS-MIB. */
export const UPS_MIB = {
  root: '1.3.6.1.2.1.33',
  upsIdentManufacturer: '1.3.6.1.2.1.33.1.1.1.0',
  upsIdentModel: '1.3.6.1.2.1.33.1.1.2.0',
  upsBatteryStatus: '1.3.6.1.2.1.33.1.2.1.0',
  upsSecondsOnBattery: '1.3.6.1.2.1.33.1.2.2.0',
  upsEstimatedMinutesRemaining: '1.3.6.1.2.1.33.1.2.3.0',
  upsEstimatedChargeRemaining: '1.3.6.1.2.1.33.1.2.4.0',
  /** Integer32, degrees Celsius. */
  upsBatteryTemperature: '1.3.6.1.2.1.33.1.2.7.0',
  upsInputNumLines: '1.3.6.1.2.1.33.1.3.2.0',
  /** upsInputTable: one row per input line, indexed by upsInputLineIndex (not-accessible). */
  upsInputEntry: '1.3.6.1.2.1.33.1.3.3.1',
  /** frequency 0.1 Hz, voltage RMS V, current 0.1 A RMS, true power W. */
  upsInputCol: { lineIndex: 1, frequency: 2, voltage: 3, current: 4, truePower: 5 },
  upsOutputSource: '1.3.6.1.2.1.33.1.4.1.0',
  /** 0.1 Hz. */
  upsOutputFrequency: '1.3.6.1.2.1.33.1.4.2.0',
  upsOutputNumLines: '1.3.6.1.2.1.33.1.4.3.0',
  /** upsOutputTable: one row per output line, indexed by upsOutputLineIndex (not-accessible). */
  upsOutputEntry: '1.3.6.1.2.1.33.1.4.4.1',
  /** voltage RMS V, current 0.1 A RMS, power W, percent load (0..200). */
  upsOutputCol: { lineIndex: 1, voltage: 2, current: 3, power: 4, percentLoad: 5 },
  upsAlarmsPresent: '1.3.6.1.2.1.33.1.6.1.0',
  upsAlarmEntry: '1.3.6.1.2.1.33.1.6.2.1',
  upsAlarmCol: { id: 1, descr: 2, time: 3 },
  wellKnownAlarms: '1.3.6.1.2.1.33.1.6.3',
  upsConfigLowBattTime: '1.3.6.1.2.1.33.1.9.7.0',
  upsTrapOnBattery: '1.3.6.1.2.1.33.2.1',
  upsTrapAlarmEntryAdded: '1.3.6.1.2.1.33.2.3',
  upsTrapAlarmEntryRemoved: '1.3.6.1.2.1.33.2.4',
  /** upsAlarmId is PositiveInteger (1..2147483647): ids wrap after this. */
  maxAlarmId: 2147483647,
  /** upsOutputSource values. */
  outputSource: { other: 1, none: 2, normal: 3, bypass: 4, battery: 5, booster: 6, reducer: 7 },
  /** upsBatteryStatus values. */
  batteryStatus: { unknown: 1, batteryNormal: 2, batteryLow: 3, batteryDepleted: 4 },
} as const;

/** RFC 1628 well-known alarms: upsWellKnownAlarms.N. */
export const UPS_WELL_KNOWN_ALARMS = [
  { n: 1, name: 'batteryBad', descr: 'UPS battery needs replacing' },
  { n: 2, name: 'onBattery', descr: 'UPS on battery' },
  { n: 3, name: 'lowBattery', descr: 'UPS battery low' },
  { n: 4, name: 'depletedBattery', descr: 'UPS battery depleted' },
  { n: 5, name: 'tempBad', descr: 'UPS temperature out of tolerance' },
  { n: 6, name: 'inputBad', descr: 'UPS input out of tolerance' },
  { n: 7, name: 'outputBad', descr: 'UPS output out of tolerance' },
  { n: 8, name: 'outputOverload', descr: 'UPS output overloaded' },
  { n: 9, name: 'onBypass', descr: 'UPS on bypass' },
  { n: 10, name: 'bypassBad', descr: 'UPS bypass out of tolerance' },
  { n: 11, name: 'outputOffAsRequested', descr: 'UPS output off as requested' },
  { n: 12, name: 'upsOffAsRequested', descr: 'UPS off as requested' },
  { n: 13, name: 'chargerFailed', descr: 'UPS charger failed' },
  { n: 14, name: 'upsOutputOff', descr: 'UPS output off' },
  { n: 15, name: 'upsSystemOff', descr: 'UPS system off' },
  { n: 16, name: 'fanFailure', descr: 'UPS fan failure' },
  { n: 17, name: 'fuseFailure', descr: 'UPS fuse failure' },
  { n: 18, name: 'generalFault', descr: 'UPS general fault' },
  { n: 19, name: 'diagnosticTestFailed', descr: 'UPS diagnostic test failed' },
  { n: 20, name: 'communicationsLost', descr: 'UPS lost communication with its agent' },
  { n: 21, name: 'awaitingPower', descr: 'UPS awaiting input power' },
  { n: 22, name: 'shutdownPending', descr: 'UPS shutdown pending' },
  { n: 23, name: 'shutdownImminent', descr: 'UPS shutdown imminent' },
  { n: 24, name: 'testInProgress', descr: 'UPS test in progress' },
] as const;

/** APC PowerNet-MIB subset (enterprise 318). */
export const APC = {
  enterprise: '1.3.6.1.4.1.318',
  /** Products: hardware.ups and hardware.masterSwitch. */
  productUps: '1.3.6.1.4.1.318.1.3.2',
  productMasterSwitch: '1.3.6.1.4.1.318.1.3.4',
  trapReceiverEntry: '1.3.6.1.4.1.318.2.1.2.1',
  trapReceiverCol: { index: 1, receiverAddr: 2, communityString: 3, acceptThisReceiver: 5 },
  acceptThisReceiver: { yes: 1, no: 2 },
  upsBasicBatteryStatus: '1.3.6.1.4.1.318.1.1.1.2.1.1.0',
  /** Gauge32, percent. */
  upsAdvBatteryCapacity: '1.3.6.1.4.1.318.1.1.1.2.2.1.0',
  /** Gauge32, degrees Celsius. */
  upsAdvBatteryTemperature: '1.3.6.1.4.1.318.1.1.1.2.2.2.0',
  /** TimeTicks (0.01 s). */
  upsAdvBatteryRunTimeRemaining: '1.3.6.1.4.1.318.1.1.1.2.2.3.0',
  /** Gauge32, volts. */
  upsAdvInputLineVoltage: '1.3.6.1.4.1.318.1.1.1.3.2.1.0',
  /** Gauge32, percent of capacity. */
  upsAdvOutputLoad: '1.3.6.1.4.1.318.1.1.1.4.2.3.0',
  upsBasicOutputStatus: '1.3.6.1.4.1.318.1.1.1.4.1.1.0',
  upsBasicStateAlarmStatus: '1.3.6.1.4.1.318.1.1.1.11.1.2.0',
  upsAdvStateAbnormalConditions: '1.3.6.1.4.1.318.1.1.1.11.2.1.0',
  batteryStatus: { unknown: 1, normal: 2, low: 3, inFault: 4 },
  outputStatus: {
    unknown: 1, onLine: 2, onBattery: 3, onSmartBoost: 4, timedSleeping: 5, softwareBypass: 6, off: 7,
    rebooting: 8, switchedBypass: 9, hardwareFailureBypass: 10, sleepingUntilPowerReturn: 11, onSmartTrim: 12,
    onBatteryTest: 15, emergencyStaticBypass: 16,
  },
  alarmStatus: { noAlarms: 1, info: 2, warning: 3, critical: 4 },
  /** One row per unit of a daisy chain behind one card: index, module (the unit's number), name, load state. */
  rPDU2DeviceStatusEntry: '1.3.6.1.4.1.318.1.1.26.4.3.1',
  rPDU2DeviceCol: { index: 1, module: 2, name: 3, loadState: 4 },
  /** Every unit's phases, indexed straight through; module says which unit a row is of. */
  rPDU2PhaseStatusEntry: '1.3.6.1.4.1.318.1.1.26.6.3.1',
  rPDU2PhaseCol: { index: 1, module: 2, number: 3, loadState: 4, current: 5 },
  loadState: { lowLoad: 1, normal: 2, nearOverload: 3, overload: 4 },
  /** v1 enterprise-specific trap numbers (as v2: enterprise.0.N). */
  trap: {
    communicationLost: 1,
    upsOnBattery: 5,
    communicationEstablished: 8,
    powerRestored: 9,
    apcTestTrap: 636,
    upsCriticalCondition: 734,
    upsCriticalConditionCleared: 735,
    upsWarningCondition: 736,
    upsWarningConditionCleared: 737,
    upsInformationalCondition: 738,
    upsInformationalConditionCleared: 739,
    rpduCriticalCondition: 750,
    rpduCriticalConditionCleared: 751,
    rpduWarningCondition: 752,
    rpduWarningConditionCleared: 753,
  },
} as const;

/**
 * upsAdvStateAbnormalConditions: a 32-character string of '0'/'1', flag 1 first.
 * The simulator sets these flags; the apc-ups profile reads the same table.
 */
export const APC_ABNORMAL_FLAGS = [
  { flag: 1, name: 'powerModuleFailure', descr: 'UPS power module failure', severity: 'critical' },
  { flag: 4, name: 'batteryFailure', descr: 'UPS battery failure', severity: 'critical' },
  { flag: 5, name: 'loadAlarmViolation', descr: 'UPS load above alarm threshold', severity: 'warning' },
  { flag: 6, name: 'redundancyLost', descr: 'UPS redundancy lost', severity: 'warning' },
  { flag: 15, name: 'systemFanFailure', descr: 'UPS system fan failure', severity: 'warning' },
] as const;

/** NetBotz V2 MIB subset (netBotzV2 1.3.6.1.4.1.5528.100). */
export const NETBOTZ = {
  root: '1.3.6.1.4.1.5528.100',
  product: '1.3.6.1.4.1.5528.100.20.10',
  tempSensorEntry: '1.3.6.1.4.1.5528.100.4.1.1.1',
  humiSensorEntry: '1.3.6.1.4.1.5528.100.4.1.2.1',
  doorSwitchSensorEntry: '1.3.6.1.4.1.5528.100.4.2.2.1',
  sensorCol: { id: 1, value: 2, errorStatus: 3, label: 4 },
  errorCondEntry: '1.3.6.1.4.1.5528.100.5.1.1',
  errorCondCol: {
    id: 1, severity: 2, typeId: 3, startTime: 4, startTimeStr: 5, resolved: 6,
    resolvedTime: 7, resolvedTimeStr: 8, encId: 9, portId: 10, sensorId: 11,
  },
  errorStatus: { normal: 0, info: 1, warning: 2, error: 3, critical: 4, failure: 5 },
  doorValue: { open: 0, closed: 1 },
  /** Trap OID prefixes: append N (return-to-normal is N + 100). */
  tempTrapPrefix: '1.3.6.1.4.1.5528.100.10.2.1.0',
  doorTrapPrefix: '1.3.6.1.4.1.5528.100.10.2.9.0',
  trap: { error: 1, tooHigh: 2, tooLow: 3, returnToNormal: 100 },
} as const;

/** PRISCAN-SIM-MIB (mibs/PRISCAN-SIM-MIB), under the documentation enterprise 32473. */
export const PRISCAN_SIM = {
  module: '1.3.6.1.4.1.32473.1',
  alertPresent: '1.3.6.1.4.1.32473.1.0.1',
  regEntry: '1.3.6.1.4.1.32473.1.1.1.1',
  regCol: { address: 1, port: 2, community: 3, version: 4, notifyType: 5, rowStatus: 6 },
  regVersion: { v1: 1, v2c: 2 },
  regNotifyType: { trap: 1, inform: 2 },
  /** How many managers may register on one device at once. */
  regMaxRows: 8,
  alarmsPresent: '1.3.6.1.4.1.32473.1.1.2.0',
  alarmEntry: '1.3.6.1.4.1.32473.1.1.3.1',
  alarmCol: { index: 1, severity: 2, code: 3, descr: 4, raisedAt: 5 },
  severity: { info: 1, warning: 2, critical: 3 },
  products: '1.3.6.1.4.1.32473.1.3',
  productSim: '1.3.6.1.4.1.32473.1.3.1',
  productUps: '1.3.6.1.4.1.32473.1.3.2',
  productSnmprec: '1.3.6.1.4.1.32473.1.3.3',
} as const;

/** IF-MIB (RFC 2863) interface table, as every standards agent serves it. */
export const IF_MIB = {
  ifEntry: '1.3.6.1.2.1.2.2.1',
  ifCol: { index: 1, descr: 2, adminStatus: 7, operStatus: 8 },
  adminStatus: { up: 1, down: 2, testing: 3 },
  operStatus: { up: 1, down: 2, testing: 3, unknown: 4, dormant: 5, notPresent: 6, lowerLayerDown: 7 },
} as const;

/**
 * Net-SNMP's agent (snmpd): its sysObjectID arc, and the UCD-SNMP-MIB tables
 * its `proc`, `disk` and `load` directives fill (ucdavis 1.3.6.1.4.1.2021).
 */
export const NET_SNMP = {
  /** netSnmpAgentOIDs: snmpd reports netSnmpAgentOIDs.<os>, e.g. .10 on Linux. */
  agentOIDs: '1.3.6.1.4.1.8072.3.2',
  prEntry: '1.3.6.1.4.1.2021.2.1',
  dskEntry: '1.3.6.1.4.1.2021.9.1',
  laEntry: '1.3.6.1.4.1.2021.10.1',
  /** The three tables share these columns: prErrorFlag/prErrMessage, dskErrorFlag/dskErrorMsg, laErrorFlag/laErrMessage. */
  errorCol: { flag: 100, message: 101 },
  /** UCDErrorFlag. */
  errorFlag: { noError: 0, error: 1 },
} as const;
