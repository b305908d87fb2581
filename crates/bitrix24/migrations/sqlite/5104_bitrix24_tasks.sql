-- What Shtab last read of portal tasks, for its task pages: dropped when the portal's
-- ONTASKUPDATE event says a task changed (the next page reads it again), trusted only for a
-- while in any case (an event can be lost). A copy, never the truth: linking asks the portal.
CREATE TABLE bitrix24_tasks (
    task_id          BIGINT NOT NULL PRIMARY KEY,
    title            TEXT   NOT NULL,
    -- The portal's STATUS: 2 pending, 3 in progress, 4 awaiting control, 5 completed, 6 deferred.
    status           BIGINT,
    responsible_user BIGINT,
    -- Unix ms.
    read_at          BIGINT NOT NULL
);
