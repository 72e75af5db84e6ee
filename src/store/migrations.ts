/**
 * The schema's history, oldest first. Migration i (0-based) brings the
 * database to `PRAGMA user_version = i + 1`. Never edit a shipped entry:
 * append a new one. Enumerations are spelled out literally here because a
 * migration is frozen history, not a view of today's constants.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE devices (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    -- one device per IP: notifications are matched by their source address
    address            TEXT NOT NULL UNIQUE,
    port               INTEGER NOT NULL,
    snmp_version       TEXT NOT NULL CHECK (snmp_version IN ('1', '2c')),
    read_community     TEXT NOT NULL,
    write_community    TEXT NOT NULL,
    -- null: the installation's community
    notify_community   TEXT,
    -- 'auto' or a profile name
    profile            TEXT NOT NULL,
    resolved_profile   TEXT,
    priority_scanning  INTEGER NOT NULL CHECK (priority_scanning IN (0, 1)),
    interval_s         INTEGER NOT NULL,
    timeout_ms         INTEGER NOT NULL,
    retries            INTEGER NOT NULL,
    origin             TEXT NOT NULL CHECK (origin IN ('api', 'config')),
    created_at         INTEGER NOT NULL,
    reachable          INTEGER CHECK (reachable IN (0, 1)),
    last_scan_at       INTEGER,
    last_scan_ms       INTEGER,
    last_error         TEXT,
    sys_object_id      TEXT,
    sys_descr          TEXT,
    registration_state TEXT NOT NULL DEFAULT 'pending'
                       CHECK (registration_state IN ('pending', 'registered', 'failed')),
    registration_error TEXT,
    registered_at      INTEGER
  ) STRICT;

  CREATE TABLE alarms_active (
    device_id   INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    code        TEXT NOT NULL,
    description TEXT NOT NULL,
    raised_at   INTEGER NOT NULL,
    PRIMARY KEY (device_id, key)
  ) STRICT, WITHOUT ROWID;

  -- No foreign key: the log outlives deleted devices. AUTOINCREMENT so an id
  -- is never reused, even after the newest rows are deleted.
  CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id   INTEGER NOT NULL,
    device_name TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('raise', 'clear')),
    key         TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    code        TEXT NOT NULL,
    description TEXT NOT NULL,
    at          INTEGER NOT NULL
  ) STRICT;

  CREATE INDEX events_device ON events (device_id, id);
  `,
  `
  -- Installed license keys. The key text is kept (it is bound to this server's
  -- MAC, so not a bearer secret) to re-verify at start; listings show the fingerprint.
  -- One passcode, one serial: a serial is installed once.
  CREATE TABLE licenses (
    id           INTEGER PRIMARY KEY,
    key_text     TEXT NOT NULL UNIQUE,
    fingerprint  TEXT NOT NULL UNIQUE,
    serial       INTEGER NOT NULL UNIQUE,
    nodes        INTEGER NOT NULL CHECK (nodes BETWEEN 1 AND 65535),
    edition      TEXT NOT NULL,
    issue_day    INTEGER NOT NULL,
    mac          TEXT NOT NULL,
    installed_at INTEGER NOT NULL
  ) STRICT;

  -- API tokens: only the SHA-256 of the token is stored; prefix is its first
  -- characters, shown in listings so an operator can tell tokens apart.
  CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'viewer', 'partner')),
    prefix       TEXT NOT NULL,
    token_sha256 BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
  ) STRICT;
  `,
];
