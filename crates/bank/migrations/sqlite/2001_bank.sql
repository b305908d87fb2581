-- Bank: accounts and where their statements come from, every payment once, invoices,
-- which payment paid which invoice, and saved payment filters.
CREATE TABLE bank_accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 20 digits.
    number        TEXT   NOT NULL UNIQUE,
    bic           TEXT   NOT NULL,
    bank_name     TEXT   NOT NULL DEFAULT '',
    -- ISO 4217 letters (RUB).
    currency      TEXT   NOT NULL DEFAULT 'RUB',
    title         TEXT   NOT NULL DEFAULT '',
    -- T-Bank Business API token; empty: no API source.
    tbank_token   TEXT   NOT NULL DEFAULT '',
    -- Statements are pulled from this day on (ISO date); the robot moves it forward.
    tbank_from    TEXT,
    -- The balance the last statement reported, in kopecks, and when.
    balance       BIGINT,
    balance_at    BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- One row per file or API pull, with what it brought.
CREATE TABLE bank_imports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  BIGINT NOT NULL REFERENCES bank_accounts (id) ON DELETE CASCADE,
    -- 1c or tbank
    source      TEXT   NOT NULL,
    file_name   TEXT   NOT NULL DEFAULT '',
    new_count   BIGINT NOT NULL,
    known_count BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE bank_payments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    BIGINT NOT NULL REFERENCES bank_accounts (id),
    -- tbank:<operationId> or 1c:<hash of the document's own fields>: each payment once.
    op_key        TEXT   NOT NULL UNIQUE,
    import_id     BIGINT REFERENCES bank_imports (id) ON DELETE SET NULL,
    source        TEXT   NOT NULL,
    -- incoming, outgoing, internal, unknown
    direction     TEXT   NOT NULL,
    -- Kopecks, positive.
    amount        BIGINT NOT NULL,
    doc_number    TEXT   NOT NULL DEFAULT '',
    -- ISO dates; op_date is the day money moved on our account.
    doc_date      TEXT,
    op_date       TEXT   NOT NULL,
    payer_name    TEXT   NOT NULL DEFAULT '',
    payer_inn     TEXT   NOT NULL DEFAULT '',
    payer_kpp     TEXT   NOT NULL DEFAULT '',
    payer_account TEXT   NOT NULL DEFAULT '',
    payer_bank    TEXT   NOT NULL DEFAULT '',
    payer_bic     TEXT   NOT NULL DEFAULT '',
    payee_name    TEXT   NOT NULL DEFAULT '',
    payee_inn     TEXT   NOT NULL DEFAULT '',
    payee_kpp     TEXT   NOT NULL DEFAULT '',
    payee_account TEXT   NOT NULL DEFAULT '',
    payee_bank    TEXT   NOT NULL DEFAULT '',
    payee_bic     TEXT   NOT NULL DEFAULT '',
    purpose       TEXT   NOT NULL DEFAULT '',
    -- The counterparty's name and INN lower-cased in Rust, for searching.
    search_text   TEXT   NOT NULL DEFAULT '',
    -- Kopecks of this payment allocated to invoices.
    allocated     BIGINT NOT NULL DEFAULT 0,
    -- incoming only: waiting, matched, partial, attention; others: none
    match_state   TEXT   NOT NULL,
    match_note    TEXT   NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL
);
CREATE INDEX bank_payments_date ON bank_payments (op_date, id);
-- The payments list pages by keyset on (sort column, id) under an equality filter; `id`
-- is spelt out because PostgreSQL's indexes, unlike SQLite's, do not end in the row id.
CREATE INDEX bank_payments_account_date ON bank_payments (account_id, op_date, id);
CREATE INDEX bank_payments_payer_inn ON bank_payments (payer_inn, op_date, id);
CREATE INDEX bank_payments_state ON bank_payments (match_state, op_date, id);
CREATE INDEX bank_payments_amount ON bank_payments (amount, id);
CREATE INDEX bank_payments_payer_name ON bank_payments (payer_name, id);

CREATE TABLE invoices (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    number         TEXT   NOT NULL,
    -- The number as matching compares it (see bank::domain::purpose::normalize_number).
    number_key     TEXT   NOT NULL,
    issued_on      TEXT   NOT NULL,
    payer_name     TEXT   NOT NULL,
    payer_inn      TEXT   NOT NULL,
    amount         BIGINT NOT NULL,
    paid           BIGINT NOT NULL DEFAULT 0,
    due_on         TEXT,
    responsible_id BIGINT REFERENCES people (id) ON DELETE SET NULL,
    -- open, partially_paid, paid, cancelled
    state          TEXT   NOT NULL,
    -- Number, payer name and INN lower-cased in Rust (which folds Cyrillic), for searching.
    search_text    TEXT   NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (payer_inn, number_key)
);
CREATE INDEX invoices_open_by_inn ON invoices (payer_inn, state);
CREATE INDEX invoices_due ON invoices (state, due_on);

CREATE TABLE bank_allocations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id  BIGINT NOT NULL REFERENCES bank_payments (id) ON DELETE CASCADE,
    -- The invoice's id in the invoices port (built-in: invoices.id as text; Bitrix24: its id).
    invoice_id  TEXT   NOT NULL,
    amount      BIGINT NOT NULL,
    -- auto (the matcher) or manual
    origin      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (payment_id, invoice_id)
);
CREATE INDEX bank_allocations_invoice ON bank_allocations (invoice_id);

CREATE TABLE bank_saved_filters (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT   NOT NULL,
    -- The filter as its query string (payer=…&from=…).
    query      TEXT   NOT NULL,
    shared     BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, name)
);
