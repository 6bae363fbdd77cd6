-- Links a subscriber can revoke. Every link carries the subscriber's link
-- generation at the time it was minted, and only links of the current one
-- work (unsubscribe links excepted). Signing out every link, unsubscribing
-- and a new confirmation add one. Links mailed before this column existed
-- carry no generation and count as 0, so they keep working until the first
-- bump. Read by primary key, so it needs no index of its own.
alter table subscribers
    add column link_generation integer not null default 0 check (link_generation >= 0);
