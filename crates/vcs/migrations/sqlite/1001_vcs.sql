-- Code ↔ tasks: repositories, webhook deliveries, the commits that name tasks, their
-- references (linked to a task or still waiting for it), the branch heads the sweep saw,
-- and commit identities mapped to people by hand.
CREATE TABLE vcs_repositories (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT   NOT NULL UNIQUE,
    -- github, gitlab, gitea (Forgejo too) or git (no forge: sweep only).
    forge               TEXT   NOT NULL,
    clone_url           TEXT   NOT NULL DEFAULT '',
    web_url             TEXT   NOT NULL DEFAULT '',
    -- "host/owner/repo" of the web URL: how a webhook finds its repository.
    forge_key           TEXT,
    credential_username TEXT   NOT NULL DEFAULT '',
    credential_secret   TEXT   NOT NULL DEFAULT '',
    webhook_secret      TEXT   NOT NULL,
    -- Branch globs, one per line ("main", "release/*"); empty means every branch.
    branch_filter       TEXT   NOT NULL DEFAULT '',
    -- Custom reference patterns (one regular expression per line); empty means the defaults.
    ref_patterns        TEXT   NOT NULL DEFAULT '',
    project_keys        TEXT   NOT NULL DEFAULT '',
    enabled             BIGINT NOT NULL DEFAULT 1,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    last_sweep_at       BIGINT,
    -- ok or failed, with the error of the last failed sweep.
    last_sweep_status   TEXT   NOT NULL DEFAULT '',
    last_sweep_error    TEXT   NOT NULL DEFAULT '',
    last_sweep_commits  BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX vcs_repositories_forge_key ON vcs_repositories (forge, forge_key);

-- Every webhook call for a known repository, accepted or not. delivery_id is set only for
-- accepted ones, so a rejected call never blocks the genuine delivery with the same id.
CREATE TABLE vcs_deliveries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id BIGINT NOT NULL REFERENCES vcs_repositories (id) ON DELETE CASCADE,
    delivery_id   TEXT,
    claimed_id    TEXT   NOT NULL,
    event         TEXT   NOT NULL,
    -- queued, processed, ignored, rejected, failed
    status        TEXT   NOT NULL,
    reason        TEXT   NOT NULL DEFAULT '',
    git_ref       TEXT   NOT NULL DEFAULT '',
    commits       BIGINT NOT NULL DEFAULT 0,
    linked        BIGINT NOT NULL DEFAULT 0,
    -- The push in normal form until it is processed.
    payload       TEXT,
    received_at   BIGINT NOT NULL,
    processed_at  BIGINT
);
CREATE UNIQUE INDEX vcs_deliveries_once ON vcs_deliveries (repository_id, delivery_id);
CREATE INDEX vcs_deliveries_recent ON vcs_deliveries (repository_id, received_at);

-- Commits that name at least one task (the others are walked past, not kept).
CREATE TABLE vcs_commits (
    repository_id BIGINT NOT NULL REFERENCES vcs_repositories (id) ON DELETE CASCADE,
    sha           TEXT   NOT NULL,
    -- Equal for a commit and its rebased or cherry-picked copies.
    change_key    TEXT   NOT NULL,
    author_name   TEXT   NOT NULL,
    -- Lower-cased; empty when the commit carried none.
    author_email  TEXT   NOT NULL,
    person_id     BIGINT REFERENCES people (id) ON DELETE SET NULL,
    authored_at   BIGINT NOT NULL,
    committed_at  BIGINT NOT NULL,
    message       TEXT   NOT NULL,
    -- Branch names, one per line.
    branches      TEXT   NOT NULL DEFAULT '',
    first_seen_at BIGINT NOT NULL,
    PRIMARY KEY (repository_id, sha)
);
CREATE INDEX vcs_commits_author ON vcs_commits (author_email);
CREATE INDEX vcs_commits_person ON vcs_commits (person_id);

-- One row per (repository, commit, reference). task_id is the tracker's id once the
-- reference was found to name an existing task.
CREATE TABLE vcs_refs (
    repository_id   BIGINT NOT NULL,
    sha             TEXT   NOT NULL,
    reference       TEXT   NOT NULL,
    task_id         TEXT,
    linked_at       BIGINT,
    close_requested BIGINT NOT NULL DEFAULT 0,
    minutes         BIGINT NOT NULL DEFAULT 0,
    -- '' while commands wait for the link; then done, none, or why they were skipped.
    commands_status TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (repository_id, sha, reference),
    FOREIGN KEY (repository_id, sha) REFERENCES vcs_commits (repository_id, sha) ON DELETE CASCADE
);
CREATE INDEX vcs_refs_unlinked ON vcs_refs (reference, task_id);
CREATE INDEX vcs_refs_task ON vcs_refs (task_id);

-- Branch heads as of the last successful sweep (Redmine's way of knowing what is new).
CREATE TABLE vcs_heads (
    repository_id BIGINT NOT NULL REFERENCES vcs_repositories (id) ON DELETE CASCADE,
    branch        TEXT   NOT NULL,
    sha           TEXT   NOT NULL,
    PRIMARY KEY (repository_id, branch)
);

-- "This is …": a commit e-mail that belongs to a person.
CREATE TABLE vcs_author_aliases (
    email      TEXT   NOT NULL PRIMARY KEY,
    person_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
