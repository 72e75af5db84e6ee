/** The API's error catalogue: a stable code, its HTTP status, and a message safe to show. */
export const API_ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  /** Refused by the HTTP parser: not a valid HTTP/1.1 request line, header or framing. */
  MALFORMED_REQUEST: 400,
  LICENSE_KEY_INVALID: 400,
  PROFILE_UNKNOWN: 400,
  PROFILE_INVALID: 400,
  DISCOVERY_TARGETS_INVALID: 400,
  DISCOVERY_CREDENTIAL_UNKNOWN: 400,
  /** A threshold the loaded profiles or devices do not allow (no such reading, device or profile). */
  THRESHOLD_INVALID: 400,
  PARTNER_ID_INVALID: 400,
  PARTNER_SCOPE_UNKNOWN: 400,
  REGISTRATION_CODE_INVALID: 400,
  /** The reading has several rows: name one (by index or label). */
  READING_INSTANCE_REQUIRED: 400,
  /** A lead and shadow relation priscan cannot hold: no such lead, a shadow of a shadow, another address. */
  DEVICE_LEAD_INVALID: 400,
  UNAUTHORIZED: 401,
  LICENSE_NODE_LIMIT: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  DEVICE_NOT_FOUND: 404,
  LICENSE_NOT_FOUND: 404,
  PROFILE_NOT_FOUND: 404,
  PARTNER_NOT_FOUND: 404,
  READING_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  /** No such alarm is active on the device (it cleared, or the key is wrong). */
  ALARM_NOT_FOUND: 404,
  MAINTENANCE_NOT_FOUND: 404,
  THRESHOLD_NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  DEVICE_EXISTS: 409,
  DEVICE_FROM_CONFIG: 409,
  /** The device is the lead of shadows: remove them or give them another lead first. */
  DEVICE_HAS_SHADOWS: 409,
  LICENSE_ALREADY_INSTALLED: 409,
  TOKEN_NAME_TAKEN: 409,
  THRESHOLD_EXISTS: 409,
  THRESHOLD_FROM_CONFIG: 409,
  DISCOVERY_NOT_FOUND: 404,
  /** A cluster-only route on a priscan that runs as a single server. */
  CLUSTER_NOT_ENABLED: 404,
  DISCOVERY_RUNNING: 409,
  PARTNER_ID_TAKEN: 409,
  REGISTRATION_ALREADY_APPLIED: 409,
  ALARM_ALREADY_ACKNOWLEDGED: 409,
  ALARM_NOT_ACKNOWLEDGED: 409,
  MAINTENANCE_ENDED: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  NOT_READY: 503,
  /** The cluster's state is in PostgreSQL, which cannot be read now. */
  CLUSTER_UNAVAILABLE: 503,
  /** The store's database (PostgreSQL) cannot be reached now: down, restarting, or not answering in time. */
  STORE_UNAVAILABLE: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return API_ERROR_STATUS[this.code];
  }

  toJSON(): { error: { code: ApiErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}
