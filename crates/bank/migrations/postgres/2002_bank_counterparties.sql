-- Every counterparty's search text once, so that a part of a payer's name is looked for
-- among the few thousand counterparties and their payments are then read by index, instead
-- of testing the text of every payment (`crates/bank/src/store/payment_list.rs`, `NamePart`).
-- The trigger keeps it in step inside the transaction that stores a payment, whoever
-- stores it. A text whose payments are gone stays: it finds nothing, and costs one lookup.
CREATE TABLE bank_counterparties (
    search_text TEXT PRIMARY KEY
);
INSERT INTO bank_counterparties (search_text)
    SELECT DISTINCT search_text FROM bank_payments
    ON CONFLICT DO NOTHING;

CREATE FUNCTION bank_counterparties_remember() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bank_counterparties (search_text) VALUES (NEW.search_text)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER bank_counterparties_remember
    AFTER INSERT OR UPDATE OF search_text ON bank_payments
    FOR EACH ROW EXECUTE FUNCTION bank_counterparties_remember();

-- A counterparty's payments, in date order within it.
CREATE INDEX bank_payments_search ON bank_payments (search_text, op_date, id);
