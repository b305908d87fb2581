-- The people search's index: the trigrams of every person's search text, so a search of
-- three characters or more looks up the few people whose text can hold it instead of
-- testing everyone's (`crates/core/src/people/store.rs`, `list`). `pg_trgm` ships with
-- PostgreSQL and is a trusted extension (13 and later): the owner of the database may
-- create it. Its GIN index serves `search_text LIKE '%…%'` itself and PostgreSQL keeps it
-- in step with `people`; the `LIKE` still decides what matches.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX people_search_text ON people USING gin (search_text gin_trgm_ops);
