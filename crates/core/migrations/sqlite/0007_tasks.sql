-- The built-in tracker: tasks, the commits attached to them, time spent and comments.
CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- A key carried over from an old tracker ("WEB-12"), upper case; commits still name it.
    key         TEXT,
    title       TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    -- open, in_progress or closed.
    status      TEXT   NOT NULL DEFAULT 'open',
    assignee_id BIGINT REFERENCES people (id),
    -- Lower-cased key and title: one LIKE serves the search box on both backends and for
    -- Cyrillic, which SQLite's LIKE does not fold.
    search_text TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    closed_at   BIGINT
);
CREATE UNIQUE INDEX tasks_key ON tasks (key);
CREATE INDEX tasks_status ON tasks (status, id);
CREATE INDEX tasks_assignee ON tasks (assignee_id);

-- One row per (task, repository, commit), however many pushes or branches carried it.
CREATE TABLE task_commits (
    task_id      BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    repository   TEXT   NOT NULL,
    sha          TEXT   NOT NULL,
    -- Equal for a commit and its rebased or cherry-picked copies.
    change_key   TEXT   NOT NULL DEFAULT '',
    message      TEXT   NOT NULL,
    author_id    BIGINT REFERENCES people (id) ON DELETE SET NULL,
    author_name  TEXT   NOT NULL,
    author_email TEXT   NOT NULL DEFAULT '',
    authored_at  BIGINT NOT NULL,
    committed_at BIGINT NOT NULL,
    url          TEXT,
    -- Newline-joined, sorted.
    branches     TEXT   NOT NULL DEFAULT '',
    linked_at    BIGINT NOT NULL,
    PRIMARY KEY (task_id, repository, sha)
);
CREATE INDEX task_commits_time ON task_commits (task_id, committed_at);

CREATE TABLE task_time_entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id    BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    person_id  BIGINT NOT NULL REFERENCES people (id),
    minutes    BIGINT NOT NULL,
    spent_at   BIGINT NOT NULL,
    note       TEXT   NOT NULL DEFAULT '',
    -- What logged it (commit:<repository>@<sha>); logging the same source twice adds nothing.
    source     TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX task_time_entries_source ON task_time_entries (task_id, source);

CREATE TABLE task_comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id    BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author_id  BIGINT REFERENCES people (id) ON DELETE SET NULL,
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX task_comments_task ON task_comments (task_id, id);
