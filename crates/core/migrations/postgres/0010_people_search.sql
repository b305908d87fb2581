-- The people search's index: the trigrams of every person's search text, so a search of
-- three characters or more looks up the few people whose text can hold it instead of
-- testing everyone's (`crates/core/src/people/store.rs`, `list`). `pg_trgm` ships with
-- PostgreSQL and is a trusted extension (13 and later): the owner of the database may
-- create it. Its GIN index serves `search_text LIKE '%…%'` itself and PostgreSQL keeps it
-- in step with `people`; the `LIKE` still decides what matches. Without `fastupdate` a
-- change goes into the index at once: with it, an import of 10 000 people waits in the
-- index's pending list, which every search reads through (4 ms instead of 0.5) until
-- autovacuum comes by. People change seldom and are searched often.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX people_search_text ON people USING gin (search_text gin_trgm_ops)
    WITH (fastupdate = off);
