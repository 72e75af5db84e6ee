import { PRISCAN_SIM } from '../profiles/oids.js';
import type { SnmpClient } from '../snmp/client.js';
import { requireIpv4 } from './cells.js';
import type { ManagerRegistration, RegistrationMethod, RegistrationOutcome } from './method.js';
import { ensureRows, removeRows, type OwnedRow } from './row-status.js';

const C = PRISCAN_SIM.regCol;

/**
 * PRISCAN-SIM-MIB priscanRegTable: the row is indexed by the manager's own
 * IPv4 address and port, so priscan only ever touches its own row.
 */
function registrationRow(manager: ManagerRegistration): OwnedRow {
  const octets = requireIpv4(manager.address, 'priscanRegTable is indexed by an IPv4 address', manager.port);
  const index = `${octets.join('.')}.${manager.port}`;
  const oid = (col: number): string => `${PRISCAN_SIM.regEntry}.${col}.${index}`;
  return {
    cells: [
      { name: 'priscanRegCommunity', oid: oid(C.community), type: 'OctetString', value: Buffer.from(manager.community, 'utf8'), secret: true },
      { name: 'priscanRegVersion', oid: oid(C.version), type: 'Integer', value: PRISCAN_SIM.regVersion.v2c },
      { name: 'priscanRegNotifyType', oid: oid(C.notifyType), type: 'Integer', value: PRISCAN_SIM.regNotifyType.trap },
    ],
    rowStatus: { name: 'priscanRegRowStatus', oid: oid(C.rowStatus) },
  };
}

export const hiddenTable: RegistrationMethod = {
  name: 'hidden-table',
  async ensure(client: SnmpClient, manager: ManagerRegistration): Promise<RegistrationOutcome> {
    return ensureRows(client, [registrationRow(manager)]);
  },
  async remove(client: SnmpClient, manager: ManagerRegistration): Promise<void> {
    return removeRows(client, [registrationRow(manager)]);
  },
};
