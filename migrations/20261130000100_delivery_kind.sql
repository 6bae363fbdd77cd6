-- `deliveries.kind` becomes the enum `delivery_kind`, mapped to the Rust
-- enum `DeliveryKind` by sqlx: a kind is parsed once, where the row is read,
-- and the database refuses any value the code does not name. Adding a kind
-- later is one line: `alter type delivery_kind add value '...'`.
create type delivery_kind as enum (
    'confirm', 'welcome', 'nudge', 'keep_going', 'test', 'promise_check', 'promise_review', 'weekly_summary'
);

-- A predicate compares `kind` with text, so its index is rebuilt by hand;
-- plain indexes on `kind` are rebuilt by PostgreSQL with the new type.
drop index deliveries_awaiting_answer;
alter table deliveries drop constraint deliveries_kind_check;
alter table deliveries alter column kind type delivery_kind using kind::delivery_kind;
create index deliveries_awaiting_answer on deliveries (answer_by)
    where kind = 'nudge' and status = 'sent' and expired_at is null;
