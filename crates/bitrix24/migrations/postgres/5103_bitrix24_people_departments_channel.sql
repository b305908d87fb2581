-- What the users robot also keeps per portal user: the names of their departments on the portal
-- (a JSON list of text, in the portal's order), shown on the person page; and when the robot
-- gave the person the `bitrix24` notification channel by default (Unix ms; NULL until then),
-- so a person who later switches it off or removes it is not given it again.
ALTER TABLE bitrix24_people ADD COLUMN departments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE bitrix24_people ADD COLUMN channel_offered_at BIGINT;
