-- Tenders: saved searches, tenders (one per registration number) and their history,
-- which search found which tender, and each search run's counters. Instants are Unix ms.
CREATE TABLE tender_searches (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT   NOT NULL UNIQUE,
    -- domain::SavedSearchSpec as JSON: words, exclusions, laws, prices, OKPD2, regions, stages.
    spec          TEXT   NOT NULL,
    -- The manager new tenders (and their deals) go to.
    responsible   BIGINT REFERENCES people (id) ON DELETE SET NULL,
    enabled       BIGINT NOT NULL DEFAULT 1,
    -- Cron expression (Europe/Moscow unless the server says otherwise).
    schedule      TEXT   NOT NULL DEFAULT '*/30 * * * *',
    -- Also ask the document service (getDocsIP) for the search's regions: 1, or 0.
    use_documents BIGINT NOT NULL DEFAULT 0,
    last_run_at   BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE tenders (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 19 digits (44-FZ) or 11 (223-FZ): the natural key.
    reg_number    TEXT   NOT NULL UNIQUE,
    -- 44-FZ or 223-FZ
    law           TEXT   NOT NULL,
    title         TEXT   NOT NULL,
    url           TEXT   NOT NULL,
    customer      TEXT   NOT NULL DEFAULT '',
    customer_inn  TEXT   NOT NULL DEFAULT '',
    -- Two-digit region code of the customer, when known.
    region        TEXT   NOT NULL DEFAULT '',
    max_price     BIGINT,
    currency      TEXT   NOT NULL DEFAULT '',
    published_at  BIGINT,
    deadline      BIGINT,
    -- JSON array of OKPD2 codes.
    okpd2         TEXT   NOT NULL DEFAULT '[]',
    platform      TEXT   NOT NULL DEFAULT '',
    stage         TEXT   NOT NULL DEFAULT '',
    -- The notice's own version number, when a notice was read.
    notice_version BIGINT,
    cancelled     BIGINT NOT NULL DEFAULT 0,
    -- The facts as JSON (service::facts::TenderFacts): a new version is kept when they change.
    facts         TEXT   NOT NULL,
    -- The CRM deal; empty until the CRM took the tender (retried by the next run).
    deal_id       TEXT   NOT NULL DEFAULT '',
    -- The search that first found it (its responsible manager gets the deal).
    first_search  BIGINT REFERENCES tender_searches (id) ON DELETE SET NULL,
    -- The deadline a reminder was sent for; a moved deadline is reminded again.
    reminded_for  BIGINT,
    first_seen_at BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX tenders_deadline ON tenders (deadline);

-- Every state a tender had: version 1 is what was first seen.
CREATE TABLE tender_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tender_id   BIGINT NOT NULL REFERENCES tenders (id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    -- rss, notice or documents
    source      TEXT   NOT NULL,
    facts       TEXT   NOT NULL,
    recorded_at BIGINT NOT NULL,
    UNIQUE (tender_id, version)
);

CREATE TABLE tender_search_hits (
    search_id      BIGINT NOT NULL REFERENCES tender_searches (id) ON DELETE CASCADE,
    tender_id      BIGINT NOT NULL REFERENCES tenders (id) ON DELETE CASCADE,
    first_found_at BIGINT NOT NULL,
    last_found_at  BIGINT NOT NULL,
    PRIMARY KEY (search_id, tender_id)
);
CREATE INDEX tender_search_hits_tender ON tender_search_hits (tender_id);

CREATE TABLE tender_search_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    search_id     BIGINT NOT NULL REFERENCES tender_searches (id) ON DELETE CASCADE,
    found         BIGINT NOT NULL,
    new_count     BIGINT NOT NULL,
    updated_count BIGINT NOT NULL,
    finished_at   BIGINT NOT NULL
);
CREATE INDEX tender_search_runs_search ON tender_search_runs (search_id, finished_at);
