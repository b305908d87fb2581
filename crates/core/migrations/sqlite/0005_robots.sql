-- Robots: their schedules, their runs and what each run logged.
CREATE TABLE robots (
    name         TEXT   NOT NULL PRIMARY KEY,
    cron         TEXT   NOT NULL,
    time_zone    TEXT   NOT NULL,
    enabled      BIGINT NOT NULL DEFAULT 1,
    -- The next tick (Unix ms); the scheduler that moves it on by a conditional update owns
    -- the tick, so several hub processes fire it once. NULL while disabled.
    next_fire_at BIGINT,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE robot_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    robot          TEXT   NOT NULL,
    -- schedule | manual | cli
    trigger        TEXT   NOT NULL,
    -- queued → running → done | failed | interrupted
    status         TEXT   NOT NULL,
    -- The tick a scheduled run was fired for (Unix ms); unique per robot.
    fire_at        BIGINT,
    created_at     BIGINT NOT NULL,
    started_at     BIGINT,
    finished_at    BIGINT,
    counters       TEXT   NOT NULL DEFAULT '{}',
    progress_done  BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT NOT NULL DEFAULT 0,
    error          TEXT,
    job_id         BIGINT
);
-- A robot never runs twice at the same time.
CREATE UNIQUE INDEX robot_runs_one_running ON robot_runs (robot) WHERE status = 'running';
CREATE UNIQUE INDEX robot_runs_tick ON robot_runs (robot, fire_at);
CREATE INDEX robot_runs_robot ON robot_runs (robot, id);
CREATE INDEX robot_runs_created ON robot_runs (created_at);

CREATE TABLE robot_run_logs (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id  BIGINT NOT NULL REFERENCES robot_runs (id) ON DELETE CASCADE,
    at      BIGINT NOT NULL,
    level   TEXT   NOT NULL,
    message TEXT   NOT NULL
);
CREATE INDEX robot_run_logs_run ON robot_run_logs (run_id, id);
