-- Every counterparty's search text once, so that a part of a payer's name is looked for
-- among the few thousand counterparties and their payments are then read by index, instead
-- of testing the text of every payment (`crates/bank/src/store/payment_list.rs`, `NamePart`).
-- The triggers keep it in step inside the transaction that stores, changes or deletes a
-- payment, whoever does it: a text is here while a payment holds it. A text's advisory lock
-- (shared to store, exclusive to forget, held to the end of the transaction) keeps a
-- deletion from dropping a text that another transaction is storing a payment with: each
-- statement after the lock sees what the other committed.
CREATE TABLE bank_counterparties (
    search_text TEXT PRIMARY KEY
);
INSERT INTO bank_counterparties (search_text)
    SELECT DISTINCT search_text FROM bank_payments
    ON CONFLICT DO NOTHING;

CREATE FUNCTION bank_counterparties_remember() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(2002, hashtext(NEW.search_text));
    INSERT INTO bank_counterparties (search_text) VALUES (NEW.search_text)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER bank_counterparties_remember
    AFTER INSERT OR UPDATE OF search_text ON bank_payments
    FOR EACH ROW EXECUTE FUNCTION bank_counterparties_remember();

CREATE FUNCTION bank_counterparties_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(2002, hashtext(OLD.search_text));
    DELETE FROM bank_counterparties WHERE search_text = OLD.search_text
        AND NOT EXISTS (SELECT 1 FROM bank_payments WHERE search_text = OLD.search_text);
    RETURN NULL;
END
$$;

CREATE TRIGGER bank_counterparties_forget
    AFTER DELETE OR UPDATE OF search_text ON bank_payments
    FOR EACH ROW EXECUTE FUNCTION bank_counterparties_forget();

-- A counterparty's payments, in date order within it.
CREATE INDEX bank_payments_search ON bank_payments (search_text, op_date, id);
