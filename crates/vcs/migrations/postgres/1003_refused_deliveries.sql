-- Refused webhook calls (a wrong signature, mostly) are kept only as the newest few per
-- repository; the ones dropped from the log are counted here, so a loop of forged calls
-- costs a counter, not a table.
ALTER TABLE vcs_repositories ADD COLUMN rejected_dropped BIGINT NOT NULL DEFAULT 0;
CREATE INDEX vcs_deliveries_status ON vcs_deliveries (repository_id, status, id);
