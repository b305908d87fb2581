-- A worker claims the oldest due jobs in (run_at, id) order. With the index ending at
-- run_at, PostgreSQL sorted every due job for each claim (a backlog of 10 000 jobs cost
-- milliseconds per claim); ending it at id lets the claim read the first few in order.
-- SQLite's indexes end in the row id anyway; the two are kept alike.
DROP INDEX jobs_claim;
CREATE INDEX jobs_claim ON jobs (state, run_at, id);
