-- The built-in CRM: pipelines, stages, their rules and entry actions, deals and their history.
-- A pipeline: stages in order, the fields its deals carry, rules and entry actions.
CREATE TABLE crm_pipelines (
    id         TEXT   NOT NULL PRIMARY KEY,
    name_ru    TEXT   NOT NULL,
    name_en    TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE crm_stages (
    pipeline_id TEXT   NOT NULL REFERENCES crm_pipelines (id) ON DELETE CASCADE,
    id          TEXT   NOT NULL,
    name_ru     TEXT   NOT NULL,
    name_en     TEXT   NOT NULL,
    position    BIGINT NOT NULL,
    PRIMARY KEY (pipeline_id, id)
);

-- What a deal of the pipeline may carry. kind: text, money (integer kopecks), email, url,
-- datetime (RFC 3339), bool, list (of text). standard = 1: written by the robot.
CREATE TABLE crm_fields (
    pipeline_id TEXT   NOT NULL REFERENCES crm_pipelines (id) ON DELETE CASCADE,
    name        TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    label_ru    TEXT   NOT NULL,
    label_en    TEXT   NOT NULL,
    standard    BIGINT NOT NULL DEFAULT 0,
    position    BIGINT NOT NULL,
    PRIMARY KEY (pipeline_id, name)
);

-- A field a deal must have to leave (direction 'leave') or enter ('enter') a stage;
-- except_to: comma-separated stages a deal may leave for without it (giving up: "lost").
CREATE TABLE crm_rules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline_id TEXT   NOT NULL,
    stage_id    TEXT   NOT NULL,
    direction   TEXT   NOT NULL,
    field       TEXT   NOT NULL,
    except_to   TEXT   NOT NULL DEFAULT '',
    FOREIGN KEY (pipeline_id, stage_id) REFERENCES crm_stages (pipeline_id, id) ON DELETE CASCADE
);

-- What happens when a deal enters a stage. kind: email (params: to_field, subject, body:
-- MiniJinja templates), notify (the responsible person, params: text), set_field (params:
-- field, value).
CREATE TABLE crm_actions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline_id TEXT   NOT NULL,
    stage_id    TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    params      TEXT   NOT NULL,
    position    BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (pipeline_id, stage_id) REFERENCES crm_stages (pipeline_id, id) ON DELETE CASCADE
);

CREATE TABLE crm_deals (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline_id    TEXT   NOT NULL REFERENCES crm_pipelines (id),
    stage_id       TEXT   NOT NULL,
    title          TEXT   NOT NULL,
    responsible_id BIGINT REFERENCES people (id) ON DELETE SET NULL,
    -- Makes creation idempotent (a tender's registration number); NULL: none.
    external_key   TEXT   UNIQUE,
    -- The fields by name, a JSON object; money as integer kopecks.
    fields         TEXT   NOT NULL DEFAULT '{}',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX crm_deals_stage ON crm_deals (pipeline_id, stage_id, updated_at);

-- What happened to a deal, for its page (the audit log has it too, for the admin).
-- kind: created, moved, fields, action.
CREATE TABLE crm_deal_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id     BIGINT NOT NULL REFERENCES crm_deals (id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    actor_label TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    from_stage  TEXT,
    to_stage    TEXT,
    -- JSON: the fields that changed ({"name": {"before": …, "after": …}}) or what an action did.
    detail      TEXT   NOT NULL DEFAULT '{}'
);
CREATE INDEX crm_deal_history_deal ON crm_deal_history (deal_id, at);

-- E-mails entry actions sent to outside addresses (a vendor is not a person in the
-- directory): rendered when queued, sent by the crm.send_email job.
-- status: pending, sent, failed (permanently refused), dead (every attempt failed).
CREATE TABLE crm_emails (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id     BIGINT NOT NULL REFERENCES crm_deals (id) ON DELETE CASCADE,
    to_address  TEXT   NOT NULL,
    subject     TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    job_id      BIGINT,
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT
);
CREATE INDEX crm_emails_deal ON crm_emails (deal_id, created_at);

-- The default sales pipeline for tenders.
INSERT INTO crm_pipelines (id, name_ru, name_en, created_at) VALUES ('tenders', 'Тендеры', 'Tenders', 0);
INSERT INTO crm_stages (pipeline_id, id, name_ru, name_en, position) VALUES
    ('tenders', 'new', 'Новый', 'New', 1),
    ('tenders', 'reviewing', 'На рассмотрении', 'Reviewing', 2),
    ('tenders', 'approval', 'Согласование с вендором', 'Approval with vendor', 3),
    ('tenders', 'price_approved', 'Цена согласована', 'Price approved', 4),
    ('tenders', 'filed', 'Заявка подана', 'Application filed', 5),
    ('tenders', 'won', 'Выиграли', 'Won', 6),
    ('tenders', 'lost', 'Проиграли/неинтересно', 'Lost / not interesting', 7);
INSERT INTO crm_fields (pipeline_id, name, kind, label_ru, label_en, standard, position) VALUES
    ('tenders', 'reg_number', 'text', 'Реестровый номер', 'Registration number', 1, 1),
    ('tenders', 'tender_url', 'url', 'Ссылка на закупку', 'Tender link', 1, 2),
    ('tenders', 'customer', 'text', 'Заказчик', 'Customer', 1, 3),
    ('tenders', 'customer_inn', 'text', 'ИНН заказчика', 'Customer INN', 1, 4),
    ('tenders', 'max_price', 'money', 'Начальная цена', 'Maximum price', 1, 5),
    ('tenders', 'currency', 'text', 'Валюта', 'Currency', 1, 6),
    ('tenders', 'deadline', 'datetime', 'Окончание подачи заявок', 'Application deadline', 1, 7),
    ('tenders', 'law', 'text', 'Закон', 'Law', 1, 8),
    ('tenders', 'platform', 'text', 'Площадка', 'Trading platform', 1, 9),
    ('tenders', 'okpd2', 'list', 'ОКПД2', 'OKPD2', 1, 10),
    ('tenders', 'region', 'text', 'Регион', 'Region', 1, 11),
    ('tenders', 'cancelled', 'bool', 'Отменена', 'Cancelled', 1, 12),
    ('tenders', 'recommended_price', 'money', 'Рекомендованная цена', 'Recommended price', 0, 13),
    ('tenders', 'approved_price', 'money', 'Согласованная цена', 'Approved price', 0, 14),
    ('tenders', 'vendor_email', 'email', 'E-mail вендора', 'Vendor e-mail', 0, 15);
INSERT INTO crm_rules (pipeline_id, stage_id, direction, field, except_to) VALUES
    ('tenders', 'approval', 'enter', 'recommended_price', ''),
    ('tenders', 'approval', 'leave', 'approved_price', 'lost');
INSERT INTO crm_actions (pipeline_id, stage_id, kind, params, position) VALUES
    ('tenders', 'approval', 'email', '{"to_field":"vendor_email","subject":"Согласование цены: закупка № {{ reg_number }}","body":"Здравствуйте!\n\nПросим согласовать цену для участия в закупке.\n\nЗакупка № {{ reg_number }}\nСсылка: {{ tender_url }}\nЗаказчик: {{ customer }}\nНачальная цена: {{ max_price }}\nРекомендованная цена: {{ recommended_price }}\nОкончание подачи заявок: {{ deadline }}\n\nПожалуйста, ответьте на это письмо, указав согласованную цену.\n"}', 1),
    ('tenders', 'approval', 'notify', '{}', 2);
