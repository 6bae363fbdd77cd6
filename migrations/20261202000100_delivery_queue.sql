-- The sender's queue moves out of `deliveries` into a narrow table.
--
-- Before, a claim and its outcome were two updates of the wide `deliveries`
-- row, and neither could be a HOT update: `status`, `due_at` and
-- `lease_expires_at` sat in indexes or index predicates, so each update wrote
-- a new heap tuple and an entry in every index of the table. Now:
--
-- * `delivery_queue` holds one row per pending delivery: when it is due, the
--   attempt (the fence) and, while a sender holds it, the owner and the lease.
--   A claim updates only this row.
-- * An outcome deletes the queue row (fenced on attempt and owner) and updates
--   the `deliveries` row, whose changed columns are in no index: a HOT update
--   when the page has room, hence the lower fill factor.
-- * The triggers below keep the queue in step with every other write
--   (planning inserts, cancellations, due moves), so no caller can forget it.
--
-- `deliveries.status` no longer has `sending`: a pending delivery is being
-- sent when its queue row has an owner. `deliveries.owner` now names the
-- sender that settled the delivery.

create table delivery_queue (
    delivery_id bigint primary key references deliveries (id) on delete cascade,
    due_at timestamptz not null,
    attempt integer not null,
    owner text,
    lease_expires_at timestamptz,
    constraint delivery_queue_claim_consistent check ((owner is null) = (lease_expires_at is null))
);

insert into delivery_queue (delivery_id, due_at, attempt, owner, lease_expires_at)
select id, due_at, attempt, owner, lease_expires_at from deliveries where status in ('pending', 'sending');

create index delivery_queue_due on delivery_queue (due_at) where owner is null;
create index delivery_queue_leases on delivery_queue (lease_expires_at) where owner is not null;

alter table deliveries drop constraint deliveries_claim_consistent;
update deliveries set status = 'pending' where status = 'sending';
alter table deliveries drop constraint deliveries_status_check;
alter table deliveries add constraint deliveries_status_check
    check (status in ('pending', 'sent', 'failed', 'cancelled'));
drop index deliveries_due;
drop index deliveries_leases;
alter table deliveries drop column lease_expires_at;
-- Without `status` in the predicate, recording a nudge as sent changes no
-- indexed column; the expiry sweep checks `status = 'sent'` on the row.
drop index deliveries_awaiting_answer;
create index deliveries_awaiting_answer on deliveries (answer_by) where kind = 'nudge' and expired_at is null;

-- Room on each page for the outcome's new tuple version (a HOT update must
-- land on the same page). Applies to pages written from now on.
alter table deliveries set (fillfactor = 50);

create function tend_queue_inserted_deliveries() returns trigger
language plpgsql as $$
begin
    insert into delivery_queue (delivery_id, due_at, attempt)
    select id, due_at, attempt from new_rows where status = 'pending';
    return null;
end
$$;

-- Statement-level with transition tables (PostgreSQL allows no column list
-- with them): outcome writes that already settled their queue rows pay three
-- joins that find nothing, once per statement, not per row.
create function tend_queue_updated_deliveries() returns trigger
language plpgsql as $$
begin
    delete from delivery_queue q using new_rows n
    where q.delivery_id = n.id and n.status <> 'pending';
    update delivery_queue q set due_at = n.due_at
    from new_rows n
    where q.delivery_id = n.id and n.status = 'pending' and q.due_at <> n.due_at;
    insert into delivery_queue (delivery_id, due_at, attempt)
    select n.id, n.due_at, n.attempt from new_rows n join old_rows o on o.id = n.id
    where n.status = 'pending' and o.status <> 'pending'
    on conflict (delivery_id) do nothing;
    return null;
end
$$;

create trigger deliveries_queue_insert after insert on deliveries
    referencing new table as new_rows for each statement execute function tend_queue_inserted_deliveries();
create trigger deliveries_queue_update after update on deliveries
    referencing old table as old_rows new table as new_rows
    for each statement execute function tend_queue_updated_deliveries();
