-- Erasures: the anonymous audit trail of `tend subscriber forget` (and, later,
-- the "delete my data" button). One row per erased subscriber, holding only
-- when it happened, who asked and how many rows went; never the address or
-- the subscriber's id, so nothing here points back to the person.

create table erasures (
    id bigint generated always as identity primary key,
    erased_at timestamptz not null default now(),
    requested_by text not null check (requested_by in ('operator', 'subscriber')),
    -- Rows deleted, by table. The subscriber row itself is always one.
    tracks integer not null check (tracks >= 0),
    deliveries integer not null check (deliveries >= 0),
    answers integer not null check (answers >= 0)
);
