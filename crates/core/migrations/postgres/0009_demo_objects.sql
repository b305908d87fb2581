-- What `shtab demo` added, so `shtab demo --remove` takes away exactly that and nothing a
-- person made: one row per object the demo created (a task, a repository, an account …),
-- by kind and id. Empty unless the demo is loaded.
CREATE TABLE demo_objects (
    kind       TEXT   NOT NULL,
    object_id  TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, object_id)
);
