import { timingSafeEqual } from 'node:crypto';
import type { IssuerSecret } from './issuer-secret.js';
import { issueDate } from './key.js';
import {
  decodePasted,
  displaySystemId,
  displayText,
  FieldReader,
  FORMAT,
  incomplete,
  RegistrationTextError,
  SYSTEM_ID_BYTES,
  systemIdBytes,
  systemIdFromBytes,
  TEXT_TYPE,
  textField,
} from './registration-format.js';
import type { RegistrationRequest } from './registration-request.js';

/*
 * A registration code: the license authority's answer to a request, bound to the installation's
 * System ID and signing key, naming the one integrator and the one end-user owner of the
 * registration. Authenticated like license keys, by an HMAC with the issuer secret, so an
 * installation that verifies keys verifies codes with the same secret.
 *
 *   type u8 (2: registration, 3: reassociation) | format u8 (1) | System ID (10) |
 *   key fingerprint (8) | registration number u32 | issue day u16 (days since 2020-01-01) |
 *   reassociation only: the System ID it replaces (10) |
 *   integrator (u8 length, UTF-8) | owner (u8 length, UTF-8) |
 *   tag (16): HMAC-SHA256(issuer secret, "priscan-registration-v1" || everything before it)
 */
const DOMAIN = Buffer.from('priscan-registration-v1', 'ascii');
const TAG_BYTES = 16;
const FINGERPRINT_BYTES = 8;
export const PARTY_NAME_MAX_BYTES = 64;
const EPOCH_MS = Date.UTC(2020, 0, 1);
const DAY_MS = 86_400_000;

export type RegistrationCodeKind = 'registration' | 'reassociation';

/** A verified code, as the installation stores it. */
export interface RegistrationCode {
  kind: RegistrationCodeKind;
  systemId: string;
  keyFingerprint: string;
  number: number;
  issueDay: number;
  issuedOn: string;
  previousSystemId: string | null;
  integrator: string;
  owner: string;
  /** The code as one canonical text (no separators). */
  code: string;
  /** The code as shown to be copied. */
  display: string;
}

export interface IssueRegistrationRequest {
  secret: IssuerSecret;
  /** The verified request (readRegistrationRequest). */
  request: RegistrationRequest;
  number: number;
  integrator: string;
  owner: string;
  issuedOn: Date;
  /** Set for a reassociation: the System ID of the lost installation whose registration moves. */
  previousSystemId?: string;
}

/** A name the code cannot carry (empty, too long, control characters). */
export class RegistrationIssueError extends Error {
  override readonly name = 'RegistrationIssueError';
}

/** Makes a code (the license authority's side). */
export function issueRegistrationCode(issue: IssueRegistrationRequest): RegistrationCode {
  const previous = issue.previousSystemId;
  const head = Buffer.alloc(2 + SYSTEM_ID_BYTES + FINGERPRINT_BYTES + 6);
  head.writeUInt8(previous === undefined ? TEXT_TYPE.registration : TEXT_TYPE.reassociation, 0);
  head.writeUInt8(FORMAT, 1);
  systemIdBytes(issue.request.systemId).copy(head, 2);
  Buffer.from(issue.request.keyFingerprint, 'hex').copy(head, 2 + SYSTEM_ID_BYTES);
  if (!Number.isInteger(issue.number) || issue.number < 1 || issue.number > 0xffffffff) throw new RegistrationIssueError(`registration number ${issue.number} is out of range`);
  head.writeUInt32BE(issue.number, 20);
  const issueDay = Math.floor((issue.issuedOn.getTime() - EPOCH_MS) / DAY_MS);
  if (!(issueDay >= 0 && issueDay <= 0xffff)) throw new RegistrationIssueError(`the issue date must be from 2020-01-01 on, not ${String(issue.issuedOn)}`);
  head.writeUInt16BE(issueDay, 24);
  const payload = Buffer.concat([
    head,
    previous === undefined ? Buffer.alloc(0) : systemIdBytes(previous),
    partyField(issue.integrator, 'integrator'),
    partyField(issue.owner, 'end-user owner'),
  ]);
  const bytes = Buffer.concat([payload, tagFor(issue.secret, payload)]);
  return readCode(bytes);
}

export interface VerifyRegistrationRequest {
  /** As pasted: spaces, dashes, line breaks, lower case and O/I/L tolerated. */
  code: string;
  secret: IssuerSecret;
  /** This installation's System ID and signing key fingerprint. */
  systemId: string;
  keyFingerprint: string;
  /** The kind the operator means to apply; absent: either. */
  expect?: RegistrationCodeKind;
}

/** Verifies a code for this installation; throws RegistrationTextError with the reason and what to do. */
export function verifyRegistrationCode(request: VerifyRegistrationRequest): RegistrationCode {
  const { type, bytes } = decodePasted(request.code, 'registration code');
  if (type === TEXT_TYPE.request) {
    throw new RegistrationTextError('WRONG_KIND', 'this is a registration request (what the license authority needs), not a code: send it to them, and apply the code they answer with');
  }
  if (type !== TEXT_TYPE.registration && type !== TEXT_TYPE.reassociation) {
    throw new RegistrationTextError('MALFORMED', 'this is not a priscan registration code: copy the whole code the license authority sent');
  }
  if (bytes.length <= TAG_BYTES) throw incomplete('registration code');
  const payload = bytes.subarray(0, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const expected = tagFor(request.secret, payload);
  const code = readCode(bytes);
  if (!timingSafeEqual(tag, expected)) {
    throw new RegistrationTextError(
      'TAMPERED',
      `registration code ${code.number} does not verify: it was altered or mistyped, or made by another license authority (another issuer secret); compare it with the code you were sent`,
    );
  }
  if (code.systemId !== request.systemId) {
    throw new RegistrationTextError(
      'FOREIGN',
      `registration code ${code.number} was issued for System ID ${displaySystemId(code.systemId)}, and this installation's System ID is ` +
        `${displaySystemId(request.systemId)}: it belongs to another installation. Send this installation's request (priscan registration request) to the license authority` +
        (code.kind === 'registration' ? '; after a database loss, ask for a reassociation code' : ''),
    );
  }
  if (code.keyFingerprint !== request.keyFingerprint) {
    throw new RegistrationTextError(
      'OTHER_KEY',
      `registration code ${code.number} is for this System ID but another installation key (${code.keyFingerprint}, this one's is ${request.keyFingerprint}): ` +
        'the database was copied from or restored over another installation; send a new request',
    );
  }
  if (request.expect !== undefined && request.expect !== code.kind) {
    throw new RegistrationTextError(
      'WRONG_KIND',
      code.kind === 'reassociation'
        ? `registration code ${code.number} is a reassociation code (it moves the registration of ${displaySystemId(code.previousSystemId!)} here): apply it with priscan registration reassociate`
        : `registration code ${code.number} is a registration code, not a reassociation code: apply it with priscan registration apply`,
    );
  }
  return code;
}

/** A code's fields, read without checking its tag. */
function readCode(bytes: Buffer): RegistrationCode {
  const reader = new FieldReader(bytes, () => incomplete('registration code'));
  const type = reader.u8();
  reader.u8();
  const systemId = systemIdFromBytes(reader.take(SYSTEM_ID_BYTES));
  const keyFingerprint = reader.take(FINGERPRINT_BYTES).toString('hex');
  const number = reader.u32();
  const issueDay = reader.u16();
  const previousSystemId = type === TEXT_TYPE.reassociation ? systemIdFromBytes(reader.take(SYSTEM_ID_BYTES)) : null;
  const integrator = reader.text();
  const owner = reader.text();
  reader.take(TAG_BYTES);
  reader.end();
  const display = displayText(bytes);
  return {
    kind: type === TEXT_TYPE.reassociation ? 'reassociation' : 'registration',
    systemId,
    keyFingerprint,
    number,
    issueDay,
    issuedOn: issueDate(issueDay),
    previousSystemId,
    integrator,
    owner,
    code: display.replace(/[-\n]/g, ''),
    display,
  };
}

function partyField(name: string, what: string): Buffer {
  const trimmed = name.trim();
  if (trimmed === '' || /\p{Cc}/u.test(trimmed) || Buffer.byteLength(trimmed, 'utf8') > PARTY_NAME_MAX_BYTES) {
    throw new RegistrationIssueError(`the ${what} name must be 1 to ${PARTY_NAME_MAX_BYTES} bytes of UTF-8 without control characters`);
  }
  return textField(trimmed, PARTY_NAME_MAX_BYTES);
}

function tagFor(secret: IssuerSecret, payload: Buffer): Buffer {
  return secret.hmac(DOMAIN, payload).subarray(0, TAG_BYTES);
}
