-- Discreet mail: a neutral From name, neutral and varied subjects and a
-- neutral first line, for subscribers who share a screen or an inbox.
alter table subscribers add column discreet boolean not null default false;
