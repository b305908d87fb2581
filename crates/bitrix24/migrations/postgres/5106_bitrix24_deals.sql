-- Deals on the portal (systems.deals = "bitrix24").
-- How a pipeline of Shtab lies on the portal: its deal category, a STATUS_ID per Shtab stage
-- and a UF_CRM_* field per Shtab field (JSON objects). Moves up to stage-history row
-- watch_from were made before Shtab watched and are not acted on; robot_after: the last row the
-- robot went through. problem: what the last check found missing on the portal (NULL:
-- nothing); while it is set nothing is written with the mapping.
CREATE TABLE bitrix24_deal_settings (
    pipeline_id TEXT   NOT NULL PRIMARY KEY,
    category_id BIGINT NOT NULL,
    stages      TEXT   NOT NULL,
    fields      TEXT   NOT NULL,
    watch_from  BIGINT NOT NULL DEFAULT 0,
    robot_after BIGINT NOT NULL DEFAULT 0,
    problem     TEXT,
    updated_at  BIGINT NOT NULL
);

-- One portal deal per external key (a tender's registration number): claimed before
-- crm.deal.add, the deal's id recorded after. A claim left without an id (a crash between
-- the call and the record) is settled by looking the key up on the portal.
CREATE TABLE bitrix24_deals (
    external_key TEXT   NOT NULL PRIMARY KEY,
    deal_id      BIGINT,
    claimed_at   BIGINT NOT NULL,
    done_at      BIGINT
);
CREATE UNIQUE INDEX bitrix24_deals_deal ON bitrix24_deals (deal_id);

-- The stage Shtab last knew each portal deal in, and the last stage-history row it accounted
-- for. Whoever moves history_id forward (the event, the robot, Shtab's own move) acts on
-- that stage entry, in the same transaction: once.
CREATE TABLE bitrix24_deal_stages (
    deal_id    BIGINT NOT NULL PRIMARY KEY,
    stage_id   TEXT   NOT NULL,
    history_id BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
