-- The people directory every capability uses.
CREATE TABLE people (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    full_name   TEXT    NOT NULL,
    phone       TEXT,
    telegram    TEXT,
    position    TEXT,
    manager_id  BIGINT  REFERENCES people (id),
    status      TEXT    NOT NULL DEFAULT 'active',
    started_on  TEXT,
    left_on     TEXT,
    -- Lower-cased name, e-mails, phone, Telegram, position and logins: one LIKE serves the
    -- search box on both backends and for Cyrillic, which SQLite's LIKE does not fold.
    search_text TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX people_full_name ON people (full_name);
CREATE INDEX people_manager ON people (manager_id);

CREATE TABLE person_emails (
    email      TEXT   NOT NULL PRIMARY KEY,
    person_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    is_primary BIGINT NOT NULL DEFAULT 0,
    position   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX person_emails_person ON person_emails (person_id);

CREATE TABLE person_forge_logins (
    forge      TEXT   NOT NULL,
    login      TEXT   NOT NULL,
    person_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    PRIMARY KEY (forge, login)
);
CREATE INDEX person_forge_logins_person ON person_forge_logins (person_id);

CREATE TABLE person_ssh_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    algorithm   TEXT   NOT NULL,
    public_key  TEXT   NOT NULL,
    comment     TEXT   NOT NULL DEFAULT '',
    fingerprint TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX person_ssh_keys_fingerprint ON person_ssh_keys (person_id, fingerprint);
