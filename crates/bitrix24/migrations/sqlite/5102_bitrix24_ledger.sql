-- What Shtab did on the portal, claimed before each call: one comment per (task, change), one
-- time entry per (task, source), whichever hub, job or retry gets there. `pending` while the
-- call runs, and after a call whose outcome is unknown (never repeated: a missing comment
-- over a duplicate); `done` with the portal's id (0 when it gave none).
CREATE TABLE bitrix24_ledger (
    task_id    TEXT   NOT NULL,
    action_key TEXT   NOT NULL,
    state      TEXT   NOT NULL CHECK (state IN ('pending', 'done')),
    portal_id  BIGINT,
    claimed_at BIGINT NOT NULL,
    done_at    BIGINT,
    PRIMARY KEY (task_id, action_key)
);
