/**
 * The store's schema in PostgreSQL, oldest first: migration i (0-based) brings the `store`
 * component of `priscan_schema` (the table src/cluster/schema.ts keeps its own version in) to
 * version i + 1. Never edit a shipped entry: append one.
 *
 * Version 1 is the SQLite schema at its version 17 (src/store/migrations.ts; the mapping is
 * POSTGRES_VERSION_OF_SQLITE), written for PostgreSQL from the start: no history of rebuilds to
 * replay. A change to the SQLite schema after that appends a migration here too, and the mapping
 * gains a row, so `priscan migrate-store` knows which SQLite version each PostgreSQL version holds.
 *
 * The same tables, columns (and their order) and constraints as SQLite, so rows copy across
 * unchanged and the repositories map rows once for both:
 * - times in ms since the epoch: bigint; ids: bigint identity (never reused, the events log's
 *   included: a sequence only grows); flags: smallint 0/1 with their CHECK, as in SQLite;
 *   hashes: bytea; readings: double precision.
 * - text is COLLATE "C": compared and sorted byte by byte, as SQLite's BINARY does, whatever the
 *   database's locale (names, keys and sites sort the same on both).
 * - every CHECK, UNIQUE and foreign key SQLite has; unique constraints keep PostgreSQL's default
 *   names (`devices_name_key`), from which the store reads the column (src/store/postgres/session.ts).
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE settings (
    key   text COLLATE "C" PRIMARY KEY,
    value text COLLATE "C" NOT NULL
  );

  CREATE TABLE devices (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text COLLATE "C" NOT NULL UNIQUE,
    -- one device per IP, in its canonical spelling: notifications are matched by their source address
    address            text COLLATE "C" NOT NULL UNIQUE,
    port               integer NOT NULL,
    snmp_version       text COLLATE "C" NOT NULL CHECK (snmp_version IN ('1', '2c', '3')),
    read_community     text COLLATE "C",
    write_community    text COLLATE "C",
    notify_community   text COLLATE "C",
    usm_user           text COLLATE "C",
    usm_level          text COLLATE "C" CHECK (usm_level IN ('noAuthNoPriv', 'authNoPriv', 'authPriv')),
    usm_auth_protocol  text COLLATE "C",
    usm_auth_password  text COLLATE "C",
    usm_priv_protocol  text COLLATE "C",
    usm_priv_password  text COLLATE "C",
    usm_context        text COLLATE "C",
    profile            text COLLATE "C" NOT NULL,
    resolved_profile   text COLLATE "C",
    priority_scanning  smallint NOT NULL CHECK (priority_scanning IN (0, 1)),
    interval_s         integer NOT NULL,
    timeout_ms         integer NOT NULL,
    retries            integer NOT NULL,
    origin             text COLLATE "C" NOT NULL CHECK (origin IN ('api', 'config')),
    created_at         bigint NOT NULL,
    reachable          smallint CHECK (reachable IN (0, 1)),
    last_scan_at       bigint,
    last_scan_ms       bigint,
    last_error         text COLLATE "C",
    sys_object_id      text COLLATE "C",
    sys_descr          text COLLATE "C",
    registration_state text COLLATE "C" NOT NULL DEFAULT 'pending'
                       CHECK (registration_state IN ('pending', 'registered', 'failed', 'removed', 'manual')),
    registration_error text COLLATE "C",
    registered_at      bigint,
    site               text COLLATE "C",
    CHECK (snmp_version = '3' OR (read_community IS NOT NULL AND write_community IS NOT NULL)),
    CHECK ((snmp_version = '3') = (usm_user IS NOT NULL AND usm_level IS NOT NULL))
  );

  CREATE TABLE alarms_active (
    device_id   bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key         text COLLATE "C" NOT NULL,
    severity    text COLLATE "C" NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    code        text COLLATE "C" NOT NULL,
    description text COLLATE "C" NOT NULL,
    raised_at   bigint NOT NULL,
    ack_by      text COLLATE "C",
    ack_at      bigint,
    ack_comment text COLLATE "C",
    PRIMARY KEY (device_id, key)
  );

  -- No foreign key: the log outlives deleted devices. Ids come from a sequence, so one is never
  -- given out twice, even after the newest rows are deleted.
  CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME events_id_seq) PRIMARY KEY,
    device_id   bigint NOT NULL,
    device_name text COLLATE "C" NOT NULL,
    kind        text COLLATE "C" NOT NULL CHECK (kind IN ('raise', 'clear', 'ack', 'unack')),
    key         text COLLATE "C" NOT NULL,
    severity    text COLLATE "C" NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    code        text COLLATE "C" NOT NULL,
    description text COLLATE "C" NOT NULL,
    at          bigint NOT NULL,
    reason      text COLLATE "C",
    actor       text COLLATE "C",
    comment     text COLLATE "C"
  );
  CREATE INDEX events_device ON events (device_id, id);

  CREATE TABLE licenses (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_text     text COLLATE "C" NOT NULL UNIQUE,
    fingerprint  text COLLATE "C" NOT NULL UNIQUE,
    serial       bigint NOT NULL UNIQUE,
    nodes        integer NOT NULL CHECK (nodes BETWEEN 1 AND 65535),
    edition      text COLLATE "C" NOT NULL,
    issue_day    integer NOT NULL,
    mac          text COLLATE "C" NOT NULL,
    installed_at bigint NOT NULL
  );

  CREATE TABLE partners (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id    text COLLATE "C" NOT NULL UNIQUE,
    name          text COLLATE "C" NOT NULL,
    administrator smallint NOT NULL DEFAULT 0 CHECK (administrator IN (0, 1)),
    device_data   smallint NOT NULL DEFAULT 0 CHECK (device_data IN (0, 1)),
    all_devices   smallint NOT NULL DEFAULT 1 CHECK (all_devices IN (0, 1)),
    implicit      smallint NOT NULL DEFAULT 0 CHECK (implicit IN (0, 1)),
    created_at    bigint NOT NULL,
    updated_at    bigint NOT NULL
  );
  CREATE UNIQUE INDEX partners_one_implicit ON partners (implicit) WHERE implicit = 1;

  CREATE TABLE partner_sites (
    partner bigint NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    site    text COLLATE "C" NOT NULL,
    PRIMARY KEY (partner, site)
  );

  -- Only the SHA-256 of a token is stored.
  CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text COLLATE "C" NOT NULL UNIQUE,
    role         text COLLATE "C" NOT NULL CHECK (role IN ('admin', 'viewer', 'partner')),
    prefix       text COLLATE "C" NOT NULL,
    token_sha256 bytea NOT NULL UNIQUE,
    created_at   bigint NOT NULL,
    last_used_at bigint,
    expires_at   bigint,
    partner      bigint REFERENCES partners (id) ON DELETE CASCADE
  );

  CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          bigint NOT NULL,
    actor_kind  text COLLATE "C" NOT NULL,
    actor_token text COLLATE "C",
    partner     bigint,
    partner_id  text COLLATE "C",
    action      text COLLATE "C" NOT NULL,
    target      text COLLATE "C",
    status      integer,
    detail      text COLLATE "C"
  );
  CREATE INDEX audit_log_partner ON audit_log (partner, id);

  CREATE TABLE registrations (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind               text COLLATE "C" NOT NULL CHECK (kind IN ('registration', 'reassociation')),
    system_id          text COLLATE "C" NOT NULL,
    number             bigint NOT NULL,
    integrator         text COLLATE "C" NOT NULL,
    owner              text COLLATE "C" NOT NULL,
    previous_system_id text COLLATE "C",
    issue_day          integer NOT NULL,
    code_text          text COLLATE "C" NOT NULL UNIQUE,
    applied_at         bigint NOT NULL
  );

  CREATE TABLE maintenance_windows (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    starts_at   bigint NOT NULL,
    ends_at     bigint NOT NULL,
    ended_at    bigint,
    reason      text COLLATE "C" NOT NULL,
    scope       text COLLATE "C" NOT NULL CHECK (scope IN ('devices', 'site', 'profile')),
    site        text COLLATE "C",
    profile     text COLLATE "C",
    created_by  text COLLATE "C" NOT NULL,
    created_at  bigint NOT NULL,
    released_at bigint,
    CHECK (ends_at > starts_at),
    CHECK ((scope = 'site') = (site IS NOT NULL)),
    CHECK ((scope = 'profile') = (profile IS NOT NULL))
  );
  CREATE INDEX maintenance_windows_end ON maintenance_windows (ends_at);

  CREATE TABLE maintenance_devices (
    window_id bigint NOT NULL REFERENCES maintenance_windows (id) ON DELETE CASCADE,
    device_id bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    PRIMARY KEY (window_id, device_id)
  );
  CREATE INDEX maintenance_devices_device ON maintenance_devices (device_id);

  CREATE TABLE webhook_deliveries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook     text COLLATE "C" NOT NULL,
    delivery_id text COLLATE "C" NOT NULL UNIQUE,
    kind        text COLLATE "C" NOT NULL,
    body        text COLLATE "C" NOT NULL,
    created_at  bigint NOT NULL
  );
  CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook, id);

  CREATE TABLE threshold_overrides (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope        text COLLATE "C" NOT NULL CHECK (scope IN ('profile', 'site', 'device')),
    profile      text COLLATE "C",
    site         text COLLATE "C",
    device_id    bigint REFERENCES devices (id) ON DELETE CASCADE,
    reading      text COLLATE "C" NOT NULL,
    level        text COLLATE "C" NOT NULL CHECK (level IN ('warning', 'critical')),
    instance     text COLLATE "C",
    above        double precision,
    below        double precision,
    outside_low  double precision,
    outside_high double precision,
    disabled     smallint NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    hysteresis   double precision CHECK (hysteresis >= 0),
    for_s        integer,
    interval_s   integer,
    created_at   bigint NOT NULL,
    updated_at   bigint NOT NULL,
    CHECK ((scope = 'profile') = (profile IS NOT NULL)),
    CHECK ((scope = 'site') = (site IS NOT NULL)),
    CHECK ((scope = 'device') = (device_id IS NOT NULL)),
    CHECK ((outside_low IS NULL) = (outside_high IS NULL)),
    CHECK ((above IS NOT NULL)::int + (below IS NOT NULL)::int + (outside_low IS NOT NULL)::int + disabled = 1)
  );
  -- One override per target and (reading, level, instance).
  CREATE UNIQUE INDEX threshold_overrides_key ON threshold_overrides
    (scope, coalesce(profile, site, device_id::text), reading, level, coalesce(instance, ''));
  CREATE INDEX threshold_overrides_device ON threshold_overrides (device_id);

  CREATE TABLE reading_series (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id   bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    reading     text COLLATE "C" NOT NULL,
    instance    text COLLATE "C" NOT NULL,
    label       text COLLATE "C" NOT NULL,
    unit        text COLLATE "C" NOT NULL,
    value       double precision NOT NULL,
    state       text COLLATE "C",
    at          bigint NOT NULL,
    point_at    bigint NOT NULL,
    point_value double precision NOT NULL,
    point_state text COLLATE "C",
    UNIQUE (device_id, reading, instance)
  );

  -- Keyed by device and time, as in SQLite: one scan's points sit side by side.
  CREATE TABLE reading_points (
    device_id bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    at        bigint NOT NULL,
    series_id bigint NOT NULL,
    value     double precision NOT NULL,
    state     text COLLATE "C",
    PRIMARY KEY (device_id, at, series_id)
  );
  `,

  // 2 = SQLite 18, lead and shadow devices (issue 16): a shadow is a unit behind its lead's
  // address (an APC PDU daisy-chained behind another's card). lead_id names its lead,
  // chain_position its place in the chain; the address is unique among devices that are not
  // shadows only, and each unit behind one address has its own position (partial unique indexes,
  // named so src/store/postgres/session.ts reports them by their columns, as SQLite does). A lead
  // with shadows cannot be deleted (RESTRICT). SQLite rebuilt its table for this; PostgreSQL alters
  // it in place, and the two new columns come last on both, after site.
  `
  ALTER TABLE devices
    ADD COLUMN lead_id        bigint REFERENCES devices (id) ON DELETE RESTRICT,
    ADD COLUMN chain_position integer CHECK (chain_position BETWEEN 1 AND 255),
    ADD CHECK (lead_id IS NULL OR (priority_scanning = 0 AND chain_position IS NOT NULL)),
    DROP CONSTRAINT devices_address_key;

  CREATE UNIQUE INDEX devices_address ON devices (address) WHERE lead_id IS NULL;
  CREATE UNIQUE INDEX devices_chain_position ON devices (address, chain_position) WHERE chain_position IS NOT NULL;
  CREATE INDEX devices_lead ON devices (lead_id) WHERE lead_id IS NOT NULL;
  `,
];

/**
 * Which SQLite schema version each PostgreSQL store version holds (the same tables and columns):
 * `priscan migrate-store` copies only between the two.
 */
export const POSTGRES_VERSION_OF_SQLITE: ReadonlyMap<number, number> = new Map([
  [17, 1],
  [18, 2],
]);
