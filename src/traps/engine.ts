import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { LocalEngine } from '../snmp/v3.js';
import type { SettingsRepository } from '../store/settings.js';

/** Settings keys of priscan's SNMPv3 engine. */
const ENGINE_ID_SETTING = 'snmp-engine-id';
const ENGINE_BOOTS_SETTING = 'snmp-engine-boots';
/** RFC 3411 SnmpEngineID: enterprise 32473 (RFC 5612) with the high bit set, then format 5 (octets). */
const ENGINE_ID_PREFIX = Buffer.from('80007ed905', 'hex');
/** RFC 3414 2.2: boots stop at 2^31-1, after which the engine must be given a new ID. */
const MAX_BOOTS = 0x7fffffff;

/**
 * priscan's own SNMPv3 engine. Its ID is generated once per installation and kept, so devices
 * configured with it (and informs already discovered) keep working across restarts; its boot
 * count goes up at each start and its time counts seconds since this start (RFC 3414 2.2).
 */
export function installationEngine(settings: SettingsRepository, clock: Clock, configuredId?: string): LocalEngine {
  const engineId = Buffer.from(configuredId ?? settings.getOrCreate(ENGINE_ID_SETTING, () => Buffer.concat([ENGINE_ID_PREFIX, randomBytes(12)]).toString('hex')), 'hex');
  const previous = Number(settings.get(ENGINE_BOOTS_SETTING) ?? '0');
  const boots = Math.min(Number.isInteger(previous) && previous >= 0 ? previous + 1 : 1, MAX_BOOTS);
  settings.set(ENGINE_BOOTS_SETTING, String(boots));
  const startedAt = clock.now();
  return { engineId, boots, time: () => Math.floor((clock.now() - startedAt) / 1000) };
}
