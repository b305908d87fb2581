-- The change ledger: what Shtab did on a task for a change — a commit and every rebased or
-- cherry-picked copy of it, in any repository, share its change key — each action once,
-- whichever copy came first (a webhook or the sweep, on any hub). The primary key is the
-- promise: a second claim of the same action finds the first. Kept when a repository is
-- deleted, so its mirror on another forge does not act again.
CREATE TABLE vcs_change_actions (
    task_id       TEXT   NOT NULL,
    change_key    TEXT   NOT NULL,
    -- close or log_time.
    action        TEXT   NOT NULL,
    -- The copy that claimed it (commit:<repository>@<sha>): a time entry's source.
    source        TEXT   NOT NULL,
    -- pending while the tracker is being told; then done, or skipped: why.
    status        TEXT   NOT NULL,
    claimed_at    BIGINT NOT NULL,
    finished_at   BIGINT,
    PRIMARY KEY (task_id, change_key, action)
);
