-- Every change made by a person, a token or a robot.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT NOT NULL,
    actor_kind  TEXT   NOT NULL,
    actor_id    BIGINT,
    actor_label TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    object_kind TEXT   NOT NULL,
    object_id   TEXT   NOT NULL,
    -- The object's name when the change was made (a person's name, a token's name), so
    -- the log reads well after the object is renamed or gone.
    object_label TEXT  NOT NULL,
    changes     TEXT   NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id);
CREATE INDEX audit_log_actor ON audit_log (actor_kind, actor_id);

-- Organisation-wide settings changed from the settings page.
CREATE TABLE settings (
    key        TEXT   NOT NULL PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
