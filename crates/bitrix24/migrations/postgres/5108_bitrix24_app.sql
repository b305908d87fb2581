-- Shtab installed on the portal as a local application (ONAPPINSTALL): the portal's member_id
-- (a placement or event naming another one is refused) and the application token the portal
-- signs this application's events and robot calls with (kept like the OAuth tokens: never
-- shown or logged). removed_at is set by ONAPPUNINSTALL; a new installation clears it.
CREATE TABLE bitrix24_app (
    portal            TEXT   NOT NULL PRIMARY KEY,
    member_id         TEXT   NOT NULL,
    application_token TEXT   NOT NULL,
    installed_at      BIGINT NOT NULL,
    removed_at        BIGINT
);

-- The portal's robot calls, one row per event token (the portal may post a call again): the
-- work is done once (worked_at, with the line for the deal's history in log), and
-- bizproc.event.send answers it once (answered_at).
CREATE TABLE bitrix24_robot_calls (
    event_token TEXT   NOT NULL PRIMARY KEY,
    code        TEXT   NOT NULL,
    deal_id     BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    worked_at   BIGINT,
    ok          BIGINT,
    log         TEXT,
    answered_at BIGINT
);
