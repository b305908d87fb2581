-- A local application's connection to its portal, one row per portal (its origin): the OAuth
-- tokens (kept like the other credentials Shtab stores, e.g. a repository's token: in the
-- database, never shown or logged), whose they are, and the refresh lease. The refresh token
-- rotates on every refresh, so one hub at a time refreshes: it claims the lease with a
-- conditional update keyed on the refresh token it read, and replaces the pair under the same
-- condition; a lease left by a hub that stopped runs out at `lease_until`.
CREATE TABLE bitrix24_oauth (
    portal              TEXT   NOT NULL PRIMARY KEY,
    client_id           TEXT   NOT NULL,
    member_id           TEXT   NOT NULL,
    access_token        TEXT   NOT NULL,
    refresh_token       TEXT   NOT NULL,
    -- When the access token stops working (Unix ms).
    expires_at          BIGINT NOT NULL,
    scope               TEXT   NOT NULL,
    -- The portal user who authorised the application, when the OAuth server said.
    portal_user_id      BIGINT,
    -- The Shtab user who authorised it from the settings page; NULL when the portal did
    -- (an installation).
    authorised_by       BIGINT,
    authorised_by_label TEXT   NOT NULL,
    authorised_at       BIGINT NOT NULL,
    refreshed_at        BIGINT,
    lease_holder        TEXT,
    lease_until         BIGINT
);

-- Authorisations an administrator started and has not finished: the `state` sent to the
-- portal (stored as its SHA-256), bound to their session, used once, valid a few minutes.
CREATE TABLE bitrix24_oauth_states (
    state_hash   TEXT   NOT NULL PRIMARY KEY,
    session_hash TEXT   NOT NULL,
    user_id      BIGINT NOT NULL,
    portal       TEXT   NOT NULL,
    client_id    TEXT   NOT NULL,
    expires_at   BIGINT NOT NULL
);
