-- What each bank payment paid on which smart invoice of the portal, as Shtab applied it
-- there: the matcher's allocations are the truth, this is what the portal was told. A row is
-- claimed (`applying`, `reversing`) before the portal is called and settled after, so a
-- re-import, a retry or a crash in between changes nothing on the portal twice; `version`
-- grows each time the amount changes or a reversed payment is applied again, and keys the
-- ledger's timeline comments. `stage_before` is the invoice's stage before this payment
-- moved it (restored when the payment is taken back), `stage_after` the stage Shtab set.
CREATE TABLE bitrix24_invoice_payments (
    invoice_id   BIGINT NOT NULL,
    payment_id   TEXT   NOT NULL,
    amount       BIGINT NOT NULL,
    state        TEXT   NOT NULL CHECK (state IN ('applying', 'applied', 'reversing', 'reversed')),
    version      BIGINT NOT NULL,
    stage_before TEXT,
    stage_after  TEXT,
    document_id  BIGINT,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, payment_id)
);

-- The robot bitrix24.invoices: the last smart invoice it has seen, so each run looks only at
-- invoices created since.
CREATE TABLE bitrix24_invoice_cursor (
    name       TEXT   NOT NULL PRIMARY KEY,
    last_id    BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
