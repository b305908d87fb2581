-- Who each person is on the portal, as the users robot matched them: the portal user id is
-- remembered so a changed e-mail does not make a second person.
CREATE TABLE bitrix24_people (
    portal_user_id BIGINT NOT NULL PRIMARY KEY,
    person_id      BIGINT NOT NULL REFERENCES people (id),
    -- When the robot first found the portal user gone or inactive (Unix ms); NULL while active.
    left_at        BIGINT,
    synced_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX bitrix24_people_person ON bitrix24_people (person_id);

-- Portal users the robot would not guess about: an e-mail two people claim. Rewritten by
-- every run, shown on the settings page.
CREATE TABLE bitrix24_people_conflicts (
    portal_user_id BIGINT NOT NULL PRIMARY KEY,
    portal_name    TEXT   NOT NULL,
    email          TEXT   NOT NULL,
    reason         TEXT   NOT NULL,
    seen_at        BIGINT NOT NULL
);
