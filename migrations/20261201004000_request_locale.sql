-- A subscribe request held for its confirmation keeps the language it asked
-- for, applied with the rest of the request when the confirmation is pressed.
alter table subscription_requests add column locale text not null default 'en';
