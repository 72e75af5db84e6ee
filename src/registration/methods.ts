import type { RegistrationMethodName } from '../profiles/schema.js';
import { apcReceiverTable } from './apc-receiver-table.js';
import { hiddenTable } from './hidden-table.js';
import type { RegistrationMethod } from './method.js';
import { rfc3413 } from './rfc3413.js';

export { decodeTAddress, encodeTAddress } from './rfc3413.js';

const METHODS: Readonly<Record<RegistrationMethodName, RegistrationMethod>> = {
  'hidden-table': hiddenTable,
  'apc-receiver-table': apcReceiverTable,
  rfc3413,
};

/** The registration method a profile names. Methods hold no state: one instance each serves every device. */
export function registrationMethod(name: RegistrationMethodName): RegistrationMethod {
  return METHODS[name];
}
