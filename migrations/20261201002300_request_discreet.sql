-- A subscribe request held for its confirmation keeps whether it asked for
-- discreet mail: confirming it switches discreet mail on (never off). The
-- request switched it on at once already; this keeps the whole request.
alter table subscription_requests add column discreet boolean not null default false;
