-- People & access: resources (chat, mailbox, VPN, servers), grants of them to people, the
-- servers whose agents converge to the hub's desired state, VPN devices, and the unix ids
-- allocated once per login.
CREATE TABLE access_resources (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT   NOT NULL UNIQUE,
    -- connector (chat or mailbox, carried out by `connector`), vpn, or ssh.
    kind        TEXT   NOT NULL,
    connector   TEXT   NOT NULL DEFAULT '',
    -- JSON: the connector's settings; for vpn the WireGuard server; for ssh the target.
    settings    TEXT   NOT NULL DEFAULT '{}',
    secret      TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE access_servers (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT   NOT NULL UNIQUE,
    address          TEXT   NOT NULL DEFAULT '',
    -- Comma-separated group names.
    groups           TEXT   NOT NULL DEFAULT '',
    -- sha256 (hex) of the agent token; NULL once revoked.
    token_hash       TEXT UNIQUE,
    hostname         TEXT   NOT NULL DEFAULT '',
    agent_version    TEXT   NOT NULL DEFAULT '',
    last_seen_at     BIGINT,
    -- The revision the agent last converged to fully (a report without errors), as the
    -- hash of the state.
    applied_revision TEXT   NOT NULL DEFAULT '',
    -- Agents order revisions, so what they are served is numbered: the serial goes up
    -- whenever the state's hash changes.
    state_hash       TEXT   NOT NULL DEFAULT '',
    state_serial     BIGINT NOT NULL DEFAULT 0,
    -- JSON of the agent's last report.
    last_report      TEXT   NOT NULL DEFAULT '',
    reported_at      BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE access_grants (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id       BIGINT NOT NULL REFERENCES people (id),
    resource_id     BIGINT NOT NULL REFERENCES access_resources (id),
    -- Unix login (ssh) or mailbox login; empty when the resource needs none.
    login           TEXT   NOT NULL DEFAULT '',
    sudo            BIGINT NOT NULL DEFAULT 0,
    shell           TEXT   NOT NULL DEFAULT '/bin/bash',
    -- Comma-separated supplementary groups.
    groups          TEXT   NOT NULL DEFAULT '',
    expires_at      BIGINT,
    reason          TEXT   NOT NULL DEFAULT '',
    granted_by      TEXT   NOT NULL DEFAULT '',
    granted_at      BIGINT NOT NULL,
    -- present while granted, absent once revoked (by hand, expiry or offboarding).
    desired         TEXT   NOT NULL DEFAULT 'present',
    -- pending, applied, failed, revoking, revoked
    state           TEXT   NOT NULL DEFAULT 'pending',
    error           TEXT   NOT NULL DEFAULT '',
    note            TEXT   NOT NULL DEFAULT '',
    -- JSON the connector returned last time (an invite link, a mailbox id).
    connector_state TEXT   NOT NULL DEFAULT 'null',
    -- A first password the connector made for a new mailbox: kept only until a manager
    -- has been shown it once, then erased.
    first_secret    TEXT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_attempt_at BIGINT,
    revoked_at      BIGINT,
    revoked_by      TEXT   NOT NULL DEFAULT '',
    updated_at      BIGINT NOT NULL
);
CREATE INDEX access_grants_person ON access_grants (person_id);
CREATE INDEX access_grants_expiry ON access_grants (desired, expires_at);

-- A login keeps its uid forever, on every server, so files keep their owner.
CREATE TABLE access_uids (
    login      TEXT   NOT NULL PRIMARY KEY,
    uid        BIGINT NOT NULL UNIQUE,
    person_id  BIGINT NOT NULL REFERENCES people (id)
);

CREATE TABLE access_devices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    grant_id    BIGINT NOT NULL REFERENCES access_grants (id),
    resource_id BIGINT NOT NULL REFERENCES access_resources (id),
    person_id   BIGINT NOT NULL REFERENCES people (id),
    name        TEXT   NOT NULL,
    address     TEXT   NOT NULL,
    public_key  TEXT   NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    -- The address is free again once the device is revoked.
    address_key TEXT UNIQUE
);
