-- Notifications: where each person wants them, the texts they are made from, and every
-- message sent (one row per person and channel, with its outcome).
CREATE TABLE person_channels (
    person_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    -- email, telegram or webhook; one target per channel and person.
    channel    TEXT   NOT NULL,
    -- An e-mail address, a Telegram chat id or a webhook URL.
    target     TEXT   NOT NULL,
    enabled    BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (person_id, channel)
);

-- Templates changed by an admin; the defaults live in the code, so a key without a row
-- here uses the built-in text.
CREATE TABLE notify_templates (
    key        TEXT   NOT NULL,
    locale     TEXT   NOT NULL,
    subject    TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (key, locale)
);

CREATE TABLE notify_deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id    BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    channel      TEXT   NOT NULL,
    target       TEXT   NOT NULL,
    template_key TEXT   NOT NULL,
    -- Rendered when the message was sent, so a later template edit does not change it.
    subject      TEXT   NOT NULL,
    body         TEXT   NOT NULL,
    link         TEXT,
    -- pending → sent; failed (retrying cannot help) or dead (every attempt failed).
    status       TEXT   NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    sent_at      BIGINT,
    job_id       BIGINT
);
CREATE INDEX notify_deliveries_status ON notify_deliveries (status, id);
CREATE INDEX notify_deliveries_person ON notify_deliveries (person_id, id);
