-- The delivery a mail is about, when it is another delivery: the nudge or
-- promise mail whose buttons a "could not read your reply" mail repeats.
alter table deliveries add column about_delivery_id bigint references deliveries (id) on delete cascade;
