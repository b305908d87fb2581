-- The durable job queue the robots and notifications run on (see docs/decisions/0001).
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT   NOT NULL,
    payload     TEXT   NOT NULL,
    -- queued → running → done; a failed attempt goes back to queued with a later run_at,
    -- or ends as dead when attempts are used up, or failed when retrying cannot help.
    state       TEXT   NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at      BIGINT NOT NULL,
    -- While running: until when the worker holds it. A worker that dies stops renewing
    -- the lease, and any worker puts the job back once it has run out.
    lease_until BIGINT,
    locked_by   TEXT,
    last_error  TEXT,
    created_at  BIGINT NOT NULL,
    started_at  BIGINT,
    finished_at BIGINT
);
CREATE INDEX jobs_claim ON jobs (state, run_at);
CREATE INDEX jobs_kind_state ON jobs (kind, state);
