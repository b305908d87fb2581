-- Every counterparty's search text once, so that a part of a payer's name is looked for
-- among the few thousand counterparties and their payments are then read by index, instead
-- of testing the text of every payment (`crates/bank/src/store/payment_list.rs`, `NamePart`).
-- The triggers keep it in step inside the transaction that stores, changes or deletes a
-- payment, whoever does it: a text is here while a payment holds it. (`NOT EXISTS` rather
-- than `OR IGNORE`: a trigger takes the conflict policy of the statement that fired it.)
CREATE TABLE bank_counterparties (
    search_text TEXT PRIMARY KEY
) WITHOUT ROWID;
INSERT OR IGNORE INTO bank_counterparties (search_text)
    SELECT DISTINCT search_text FROM bank_payments;

CREATE TRIGGER bank_counterparties_insert AFTER INSERT ON bank_payments BEGIN
    INSERT INTO bank_counterparties (search_text) SELECT new.search_text
        WHERE NOT EXISTS (SELECT 1 FROM bank_counterparties WHERE search_text = new.search_text);
END;

CREATE TRIGGER bank_counterparties_update AFTER UPDATE OF search_text ON bank_payments BEGIN
    INSERT INTO bank_counterparties (search_text) SELECT new.search_text
        WHERE NOT EXISTS (SELECT 1 FROM bank_counterparties WHERE search_text = new.search_text);
    DELETE FROM bank_counterparties WHERE search_text = old.search_text
        AND NOT EXISTS (SELECT 1 FROM bank_payments WHERE search_text = old.search_text);
END;

CREATE TRIGGER bank_counterparties_delete AFTER DELETE ON bank_payments BEGIN
    DELETE FROM bank_counterparties WHERE search_text = old.search_text
        AND NOT EXISTS (SELECT 1 FROM bank_payments WHERE search_text = old.search_text);
END;

-- A counterparty's payments, in date order within it.
CREATE INDEX bank_payments_search ON bank_payments (search_text, op_date, id);
