-- People see revisions as the numbers the agents are served, not as hashes: the number of
-- the state a server last converged to fully.
ALTER TABLE access_servers ADD COLUMN applied_serial BIGINT NOT NULL DEFAULT 0;
UPDATE access_servers SET applied_serial = state_serial
    WHERE applied_revision <> '' AND applied_revision = state_hash;
