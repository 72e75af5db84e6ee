/**
 * The schema's history, oldest first. Migration i (0-based) brings the
 * database to `PRAGMA user_version = i + 1`. Never edit a shipped entry:
 * append a new one. Enumerations are spelled out literally here because a
 * migration is frozen history, not a view of today's constants.
 */
import type Database from 'better-sqlite3';
import { canonicaliseDeviceAddresses } from './address-migration.js';

export type Migration =
  | string
  | { sql: string; /** Rebuilds a table other tables refer to: run with foreign keys off, checked after. */ rebuildsTables: true }
  | DataMigration;

/**
 * What SQL alone cannot do (e.g. respell every address the way src/snmp/address.ts does), run in
 * the migration's transaction. Returns one line per change an operator should hear of: the
 * database logs them at start-up once the migration has committed.
 */
export interface DataMigration {
  apply(db: Database.Database): string[];
}

export const MIGRATIONS: readonly Migration[] = [
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
  {
    // SNMPv3 devices. SQLite cannot change a CHECK in place: rebuild the devices table (the
    // documented 12-step procedure; foreign keys are off while it runs and checked after).
    rebuildsTables: true,
    sql: `
  CREATE TABLE devices_v3 (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    address            TEXT NOT NULL UNIQUE,
    port               INTEGER NOT NULL,
    snmp_version       TEXT NOT NULL CHECK (snmp_version IN ('1', '2c', '3')),
    -- v1 and v2c
    read_community     TEXT,
    write_community    TEXT,
    notify_community   TEXT,
    -- v3: the USM user for requests and notifications
    usm_user           TEXT,
    usm_level          TEXT CHECK (usm_level IN ('noAuthNoPriv', 'authNoPriv', 'authPriv')),
    usm_auth_protocol  TEXT,
    usm_auth_password  TEXT,
    usm_priv_protocol  TEXT,
    usm_priv_password  TEXT,
    usm_context        TEXT,
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
    registered_at      INTEGER,
    CHECK (snmp_version = '3' OR (read_community IS NOT NULL AND write_community IS NOT NULL)),
    CHECK ((snmp_version = '3') = (usm_user IS NOT NULL AND usm_level IS NOT NULL))
  ) STRICT;

  INSERT INTO devices_v3 (id, name, address, port, snmp_version, read_community, write_community, notify_community,
    profile, resolved_profile, priority_scanning, interval_s, timeout_ms, retries, origin, created_at, reachable,
    last_scan_at, last_scan_ms, last_error, sys_object_id, sys_descr, registration_state, registration_error, registered_at)
  SELECT id, name, address, port, snmp_version, read_community, write_community, notify_community,
    profile, resolved_profile, priority_scanning, interval_s, timeout_ms, retries, origin, created_at, reachable,
    last_scan_at, last_scan_ms, last_error, sys_object_id, sys_descr, registration_state, registration_error, registered_at
  FROM devices;

  DROP TABLE devices;
  ALTER TABLE devices_v3 RENAME TO devices;
  `,
  },
  `
  -- Why priscan ended an alarm the device never cleared ('device removed', 'device unlicensed:
  -- no longer monitored'); null for raises and for clears a scan found. No CHECK, so a new
  -- reason needs no rebuild of the log.
  ALTER TABLE events ADD COLUMN reason TEXT;
  `,
  {
    // registration_state 'removed': priscan took its registration off a device it no longer
    // monitors. A CHECK cannot change in place: rebuild the devices table as migration 3 did.
    rebuildsTables: true,
    sql: `
  CREATE TABLE devices_next (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    address            TEXT NOT NULL UNIQUE,
    port               INTEGER NOT NULL,
    snmp_version       TEXT NOT NULL CHECK (snmp_version IN ('1', '2c', '3')),
    read_community     TEXT,
    write_community    TEXT,
    notify_community   TEXT,
    usm_user           TEXT,
    usm_level          TEXT CHECK (usm_level IN ('noAuthNoPriv', 'authNoPriv', 'authPriv')),
    usm_auth_protocol  TEXT,
    usm_auth_password  TEXT,
    usm_priv_protocol  TEXT,
    usm_priv_password  TEXT,
    usm_context        TEXT,
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
                       CHECK (registration_state IN ('pending', 'registered', 'failed', 'removed')),
    registration_error TEXT,
    registered_at      INTEGER,
    CHECK (snmp_version = '3' OR (read_community IS NOT NULL AND write_community IS NOT NULL)),
    CHECK ((snmp_version = '3') = (usm_user IS NOT NULL AND usm_level IS NOT NULL))
  ) STRICT;

  INSERT INTO devices_next (id, name, address, port, snmp_version, read_community, write_community, notify_community,
    usm_user, usm_level, usm_auth_protocol, usm_auth_password, usm_priv_protocol, usm_priv_password, usm_context,
    profile, resolved_profile, priority_scanning, interval_s, timeout_ms, retries, origin, created_at, reachable,
    last_scan_at, last_scan_ms, last_error, sys_object_id, sys_descr, registration_state, registration_error, registered_at)
  SELECT id, name, address, port, snmp_version, read_community, write_community, notify_community,
    usm_user, usm_level, usm_auth_protocol, usm_auth_password, usm_priv_protocol, usm_priv_password, usm_context,
    profile, resolved_profile, priority_scanning, interval_s, timeout_ms, retries, origin, created_at, reachable,
    last_scan_at, last_scan_ms, last_error, sys_object_id, sys_descr, registration_state, registration_error, registered_at
  FROM devices;

  DROP TABLE devices;
  ALTER TABLE devices_next RENAME TO devices;
  `,
  },

  // ---- issue 12, device identity (data migration; renumber freely at merge) ----
  // Every device address in its canonical spelling; devices that were two spellings of one
  // address are merged into the older one, alarms and events kept (src/store/address-migration.ts).
  { apply: canonicaliseDeviceAddresses },

  // ---- issue 12, API tokens (append-only; renumber freely at merge) ----
  `
  -- API tokens may expire (ms since the epoch); null: never. An expired token is refused like a revoked one.
  ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
  `,

  // ---- issue 16, partners (append-only; renumber freely at merge) ----
  `
  -- A service partner (integrator, maintenance company) the customer lets into its monitoring.
  -- partner_id is the Partner ID people see ("ACME_INC"); tokens refer to id, so it can change.
  -- all_devices 0: only devices at the sites in partner_sites. implicit 1: the one partner that
  -- tokens of the partner role belong to when they name none (every such token from before this
  -- migration): read-only, all devices, with API device-data access, as that role was.
  CREATE TABLE partners (
    id            INTEGER PRIMARY KEY,
    partner_id    TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    administrator INTEGER NOT NULL DEFAULT 0 CHECK (administrator IN (0, 1)),
    device_data   INTEGER NOT NULL DEFAULT 0 CHECK (device_data IN (0, 1)),
    all_devices   INTEGER NOT NULL DEFAULT 1 CHECK (all_devices IN (0, 1)),
    implicit      INTEGER NOT NULL DEFAULT 0 CHECK (implicit IN (0, 1)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX partners_one_implicit ON partners (implicit) WHERE implicit = 1;

  CREATE TABLE partner_sites (
    partner INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    site    TEXT NOT NULL,
    PRIMARY KEY (partner, site)
  ) STRICT, WITHOUT ROWID;

  -- A partner token belongs to its partner: removing the partner removes its tokens.
  ALTER TABLE api_tokens ADD COLUMN partner INTEGER REFERENCES partners (id) ON DELETE CASCADE;

  INSERT INTO partners (partner_id, name, device_data, implicit, created_at, updated_at)
    SELECT 'LEGACY_PARTNER', 'Partner-role tokens without a partner', 1, 1, now, now
    FROM (SELECT CAST(unixepoch('subsec') * 1000 AS INTEGER) AS now)
    WHERE EXISTS (SELECT 1 FROM api_tokens WHERE role = 'partner');
  UPDATE api_tokens SET partner = (SELECT id FROM partners WHERE implicit = 1) WHERE role = 'partner';
  `,

  // ---- issue 16, the audit log (append-only; renumber freely at merge) ----
  `
  -- Everything partners do through the API, and every change to a partner's access: who, what,
  -- when. No foreign keys: the log outlives the partners and tokens it names.
  CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_token TEXT,
    partner     INTEGER,
    partner_id  TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    status      INTEGER,
    detail      TEXT
  ) STRICT;
  CREATE INDEX audit_log_partner ON audit_log (partner, id);
  `,

  // ---- issue 16, the installation's registration (append-only; renumber freely at merge) ----
  `
  -- Registration codes applied, oldest first; the newest for the installation's System ID is its
  -- registration. A reassociation code names the System ID it replaces (a database lost).
  CREATE TABLE registrations (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('registration', 'reassociation')),
    system_id          TEXT NOT NULL,
    number             INTEGER NOT NULL,
    integrator         TEXT NOT NULL,
    owner              TEXT NOT NULL,
    previous_system_id TEXT,
    issue_day          INTEGER NOT NULL,
    code_text          TEXT NOT NULL UNIQUE,
    applied_at         INTEGER NOT NULL
  ) STRICT;
  `,

  // ---- issue 14, acknowledgements (append-only; renumber freely at merge) ----
  `
  -- An operator's acknowledgement of an active alarm: who (the API token's name), when, and why.
  -- It goes with the row, so a new raise of the key after a clear starts unacknowledged.
  ALTER TABLE alarms_active ADD COLUMN ack_by TEXT;
  ALTER TABLE alarms_active ADD COLUMN ack_at INTEGER;
  ALTER TABLE alarms_active ADD COLUMN ack_comment TEXT;

  -- The log takes acknowledgements ('ack') and their withdrawal ('unack') beside raises and
  -- clears, with who did it (actor) and what they wrote. A CHECK cannot change in place: the table
  -- is rebuilt keeping every id and the AUTOINCREMENT counter (an id is never reused, not even
  -- one of deleted rows). Nothing refers to events, so foreign keys need not be turned off.
  CREATE TABLE events_next (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id   INTEGER NOT NULL,
    device_name TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('raise', 'clear', 'ack', 'unack')),
    key         TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    code        TEXT NOT NULL,
    description TEXT NOT NULL,
    at          INTEGER NOT NULL,
    reason      TEXT,
    actor       TEXT,
    comment     TEXT
  ) STRICT;

  INSERT INTO events_next (id, device_id, device_name, kind, key, severity, code, description, at, reason)
  SELECT id, device_id, device_name, kind, key, severity, code, description, at, reason FROM events;
  DELETE FROM sqlite_sequence WHERE name = 'events_next';
  INSERT INTO sqlite_sequence (name, seq) SELECT 'events_next', seq FROM sqlite_sequence WHERE name = 'events';

  DROP TABLE events;
  ALTER TABLE events_next RENAME TO events;
  CREATE INDEX events_device ON events (device_id, id);
  `,

  // ---- issue 14, maintenance windows (append-only; renumber freely at merge) ----
  `
  -- A planned stretch of maintenance: alarms raised inside it are stored and shown but not sent
  -- to Alertmanager or webhooks until it ends. Exactly one scope: listed devices
  -- (maintenance_devices), a site, or a profile. ended_at: an admin ended it early. released_at:
  -- priscan has sent what it held (so a restart does not send it twice).
  CREATE TABLE maintenance_windows (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    ended_at    INTEGER,
    reason      TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('devices', 'site', 'profile')),
    site        TEXT,
    profile     TEXT,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    released_at INTEGER,
    CHECK (ends_at > starts_at),
    CHECK ((scope = 'site') = (site IS NOT NULL)),
    CHECK ((scope = 'profile') = (profile IS NOT NULL))
  ) STRICT;

  CREATE INDEX maintenance_windows_end ON maintenance_windows (ends_at);

  -- A deleted device leaves the windows that listed it.
  CREATE TABLE maintenance_devices (
    window_id INTEGER NOT NULL REFERENCES maintenance_windows (id) ON DELETE CASCADE,
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    PRIMARY KEY (window_id, device_id)
  ) STRICT, WITHOUT ROWID;

  CREATE INDEX maintenance_devices_device ON maintenance_devices (device_id);
  `,

  // ---- issue 14, webhook deliveries (append-only; renumber freely at merge) ----
  `
  -- Webhook deliveries not yet accepted by their receiver, oldest first per webhook: the queue
  -- survives restarts. body is the exact JSON posted (signed at each attempt); delivery_id lets a
  -- receiver drop a repeat (delivery is at least once).
  CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    webhook     TEXT NOT NULL,
    delivery_id TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
  ) STRICT;

  CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook, id);
  `,

  `
  -- Where a device stands (a data center, a room): thresholds can be set per site, and the
  -- console and partners filter by it. Null: not set.
  ALTER TABLE devices ADD COLUMN site TEXT;
  `,

  // ---- issue 13, operator thresholds (append-only; renumber freely at merge) ----
  `
  -- Thresholds set through the API on top of the profiles' defaults (the config file's own are
  -- not stored: the file is their truth). Exactly one target: a profile, a site, or a device
  -- (followed by id, and gone with it). Exactly one limit: above, below, outside or disabled.
  CREATE TABLE threshold_overrides (
    id               INTEGER PRIMARY KEY,
    scope            TEXT NOT NULL CHECK (scope IN ('profile', 'site', 'device')),
    profile          TEXT,
    site             TEXT,
    device_id        INTEGER REFERENCES devices(id) ON DELETE CASCADE,
    reading          TEXT NOT NULL,
    level            TEXT NOT NULL CHECK (level IN ('warning', 'critical')),
    -- one row's label or index; null: every row
    instance         TEXT,
    above            REAL,
    below            REAL,
    outside_low      REAL,
    outside_high     REAL,
    disabled         INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    -- null: kept from the threshold replaced
    hysteresis       REAL CHECK (hysteresis >= 0),
    for_s            INTEGER,
    interval_s       INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK ((scope = 'profile') = (profile IS NOT NULL)),
    CHECK ((scope = 'site') = (site IS NOT NULL)),
    CHECK ((scope = 'device') = (device_id IS NOT NULL)),
    CHECK ((outside_low IS NULL) = (outside_high IS NULL)),
    CHECK ((above IS NOT NULL) + (below IS NOT NULL) + (outside_low IS NOT NULL) + disabled = 1)
  ) STRICT;

  -- One override per target and (reading, level, instance).
  CREATE UNIQUE INDEX threshold_overrides_key ON threshold_overrides
    (scope, coalesce(profile, site, CAST(device_id AS TEXT)), reading, level, coalesce(instance, ''));
  CREATE INDEX threshold_overrides_device ON threshold_overrides (device_id);
  `,
  {
    // registration_state 'manual': the device's profile has no registration priscan can write
    // (Eaton, Raritan cards): its trap receiver is set by hand on the card. The CHECK cannot change
    // in place: rebuild the devices table as migrations 3 and 5 did, keeping every column.
    rebuildsTables: true,
    sql: `
  CREATE TABLE devices_next (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    address            TEXT NOT NULL UNIQUE,
    port               INTEGER NOT NULL,
    snmp_version       TEXT NOT NULL CHECK (snmp_version IN ('1', '2c', '3')),
    read_community     TEXT,
    write_community    TEXT,
    notify_community   TEXT,
    usm_user           TEXT,
    usm_level          TEXT CHECK (usm_level IN ('noAuthNoPriv', 'authNoPriv', 'authPriv')),
    usm_auth_protocol  TEXT,
    usm_auth_password  TEXT,
    usm_priv_protocol  TEXT,
    usm_priv_password  TEXT,
    usm_context        TEXT,
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
                       CHECK (registration_state IN ('pending', 'registered', 'failed', 'removed', 'manual')),
    registration_error TEXT,
    registered_at      INTEGER,
    site               TEXT,
    CHECK (snmp_version = '3' OR (read_community IS NOT NULL AND write_community IS NOT NULL)),
    CHECK ((snmp_version = '3') = (usm_user IS NOT NULL AND usm_level IS NOT NULL))
  ) STRICT;

  INSERT INTO devices_next (id, name, address, port, snmp_version, read_community, write_community, notify_community,
    usm_user, usm_level, usm_auth_protocol, usm_auth_password, usm_priv_protocol, usm_priv_password, usm_context,
    profile, resolved_profile, priority_scanning, interval_s, timeout_ms, retries, origin, created_at, reachable,
    last_scan_at, last_scan_ms, last_error, sys_object_id, sys_descr, registration_state, registration_error, registered_at, site)
  SELECT id, name, address, port, snmp_version, read_community, write_community, notify_community,
    usm_user, usm_level, usm_auth_protocol, usm_auth_password, usm_priv_protocol, usm_priv_password, usm_context,
    profile, resolved_profile, priority_scanning, interval_s, timeout_ms, retries, origin, created_at, reachable,
    last_scan_at, last_scan_ms, last_error, sys_object_id, sys_descr, registration_state, registration_error, registered_at, site
  FROM devices;

  DROP TABLE devices;
  ALTER TABLE devices_next RENAME TO devices;
  `,
  },

  // ---- issue 13, sensor readings (append-only; renumber freely at merge) ----
  `
  -- One series per device, reading and table row ('' for a scalar): its last value, and its newest
  -- history point (whether the next scan writes one: src/store/readings.ts pointDue). A device's
  -- series and points go with it.
  CREATE TABLE reading_series (
    id          INTEGER PRIMARY KEY,
    device_id   INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    reading     TEXT NOT NULL,
    instance    TEXT NOT NULL,
    label       TEXT NOT NULL,
    unit        TEXT NOT NULL,
    value       REAL NOT NULL,
    state       TEXT,
    at          INTEGER NOT NULL,
    point_at    INTEGER NOT NULL,
    point_value REAL NOT NULL,
    point_state TEXT,
    UNIQUE (device_id, reading, instance)
  ) STRICT;

  -- The history, keyed by device and time: one scan's points sit side by side, so its commit
  -- writes a page or two rather than one per series. No rowid and no second index; a series'
  -- points are found within its device's. src/store/readings.ts deletes them with their series.
  CREATE TABLE reading_points (
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    series_id INTEGER NOT NULL,
    value     REAL NOT NULL,
    state     TEXT,
    PRIMARY KEY (device_id, at, series_id)
  ) STRICT, WITHOUT ROWID;
  `,

  {
    // ---- issue 16, lead and shadow devices (append-only; renumber freely at merge) ----
    // A shadow is a unit behind its lead's address (an APC PDU in a daisy chain behind one card):
    // lead_id names its lead, chain_position its place in the chain, and it shares the lead's
    // address. So the address is unique among devices that are not shadows only, which a column
    // UNIQUE cannot say: rebuild the devices table as the earlier rebuilds did, keeping every
    // column, with partial unique indexes instead. A lead with shadows cannot be deleted
    // (RESTRICT): its shadows are removed or moved to another lead first. That a shadow's address
    // and port are its lead's, and that leads are one level deep, src/store/devices.ts checks.
    rebuildsTables: true,
    sql: `
  CREATE TABLE devices_next (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    address            TEXT NOT NULL,
    port               INTEGER NOT NULL,
    snmp_version       TEXT NOT NULL CHECK (snmp_version IN ('1', '2c', '3')),
    read_community     TEXT,
    write_community    TEXT,
    notify_community   TEXT,
    usm_user           TEXT,
    usm_level          TEXT CHECK (usm_level IN ('noAuthNoPriv', 'authNoPriv', 'authPriv')),
    usm_auth_protocol  TEXT,
    usm_auth_password  TEXT,
    usm_priv_protocol  TEXT,
    usm_priv_password  TEXT,
    usm_context        TEXT,
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
                       CHECK (registration_state IN ('pending', 'registered', 'failed', 'removed', 'manual')),
    registration_error TEXT,
    registered_at      INTEGER,
    site               TEXT,
    -- null: a device of its own (or a lead); else the lead this shadow is reached through
    lead_id            INTEGER REFERENCES devices (id) ON DELETE RESTRICT,
    -- the unit's place behind its address (an APC PDU's module number); null: the whole device
    chain_position     INTEGER CHECK (chain_position BETWEEN 1 AND 255),
    CHECK (snmp_version = '3' OR (read_community IS NOT NULL AND write_community IS NOT NULL)),
    CHECK ((snmp_version = '3') = (usm_user IS NOT NULL AND usm_level IS NOT NULL)),
    -- priscan registers on the lead only, and a shadow is one unit of the chain
    CHECK (lead_id IS NULL OR (priority_scanning = 0 AND chain_position IS NOT NULL))
  ) STRICT;

  INSERT INTO devices_next (id, name, address, port, snmp_version, read_community, write_community, notify_community,
    usm_user, usm_level, usm_auth_protocol, usm_auth_password, usm_priv_protocol, usm_priv_password, usm_context,
    profile, resolved_profile, priority_scanning, interval_s, timeout_ms, retries, origin, created_at, reachable,
    last_scan_at, last_scan_ms, last_error, sys_object_id, sys_descr, registration_state, registration_error, registered_at, site)
  SELECT id, name, address, port, snmp_version, read_community, write_community, notify_community,
    usm_user, usm_level, usm_auth_protocol, usm_auth_password, usm_priv_protocol, usm_priv_password, usm_context,
    profile, resolved_profile, priority_scanning, interval_s, timeout_ms, retries, origin, created_at, reachable,
    last_scan_at, last_scan_ms, last_error, sys_object_id, sys_descr, registration_state, registration_error, registered_at, site
  FROM devices;

  DROP TABLE devices;
  ALTER TABLE devices_next RENAME TO devices;

  -- One device per address, shadows aside: notifications are matched by their source address,
  -- and the lead owns it. Units behind one address each have their own position.
  CREATE UNIQUE INDEX devices_address ON devices (address) WHERE lead_id IS NULL;
  CREATE UNIQUE INDEX devices_chain_position ON devices (address, chain_position) WHERE chain_position IS NOT NULL;
  CREATE INDEX devices_lead ON devices (lead_id) WHERE lead_id IS NOT NULL;
  `,
  },
];
