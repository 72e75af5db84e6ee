import type Database from 'better-sqlite3';
import { addressKey } from '../snmp/address.js';

interface StoredDevice {
  id: number;
  name: string;
  address: string;
}

/**
 * A data migration (issue 12): every device address in its canonical spelling, so the UNIQUE
 * address column refuses a second device at another spelling of an address already taken.
 *
 * Devices that were two spellings of one address (`10.0.0.5` and `::ffff:10.0.0.5`) were one
 * device admitted twice; they become one. The oldest is kept. Each newer one's events move to
 * it, rows as written; its active alarms join the kept device's, merged by key (a key both hold
 * keeps the kept device's row, raised at the earlier of the two times); then it is deleted.
 * The start-up scans reconcile the merged set with the device. Returns one line per merged
 * device, for the start-up log.
 */
export function canonicaliseDeviceAddresses(db: Database.Database): string[] {
  const devices = db.prepare<[], StoredDevice>('SELECT id, name, address FROM devices ORDER BY created_at, id').all();
  const sql = {
    sharedKeys: db.prepare<{ kept: number; merged: number }, number>(
      'SELECT count(*) FROM alarms_active WHERE device_id = @merged AND key IN (SELECT key FROM alarms_active WHERE device_id = @kept)',
    ).pluck(),
    earlierRaise: db.prepare(
      `UPDATE alarms_active SET raised_at = min(raised_at, (SELECT m.raised_at FROM alarms_active m WHERE m.device_id = @merged AND m.key = alarms_active.key))
       WHERE device_id = @kept AND key IN (SELECT key FROM alarms_active WHERE device_id = @merged)`,
    ),
    moveAlarms: db.prepare(
      'UPDATE alarms_active SET device_id = @kept WHERE device_id = @merged AND key NOT IN (SELECT key FROM alarms_active WHERE device_id = @kept)',
    ),
    moveEvents: db.prepare('UPDATE events SET device_id = @kept WHERE device_id = @merged'),
    // Its remaining active alarms are keys the kept device holds: they go with it (ON DELETE CASCADE).
    remove: db.prepare<[number]>('DELETE FROM devices WHERE id = ?'),
    respell: db.prepare<[string, number]>('UPDATE devices SET address = ? WHERE id = ?'),
  };
  const keptAt = new Map<string, StoredDevice>();
  const notes: string[] = [];
  // Deletions first: a kept device takes its canonical spelling only once no other row holds it.
  for (const device of devices) {
    // Every stored address passed an IP check when it was added; anything else is left as it is.
    const address = addressKey(device.address);
    const kept = keptAt.get(address);
    if (!kept) {
      keptAt.set(address, device);
      continue;
    }
    const pair = { kept: kept.id, merged: device.id };
    const shared = sql.sharedKeys.get(pair) ?? 0;
    sql.earlierRaise.run(pair);
    const alarms = sql.moveAlarms.run(pair).changes;
    const events = sql.moveEvents.run(pair).changes;
    sql.remove.run(device.id);
    notes.push(
      `merged device ${JSON.stringify(device.name)} (id ${device.id}, address ${device.address}) into the older ` +
        `device ${JSON.stringify(kept.name)} (id ${kept.id}, address ${kept.address}): one device per address, and both are ${address}; ` +
        `events moved: ${events}; active alarms moved: ${alarms}, already active there: ${shared}`,
    );
  }
  for (const [address, device] of keptAt) if (device.address !== address) sql.respell.run(address, device.id);
  return notes;
}
