-- Promises and progress: a subscriber's own commitments (text encrypted at
-- rest), the mails they cause, and the optional weekly summary.

create table promises (
    id bigint generated always as identity primary key,
    subscriber_id bigint not null references subscribers (id) on delete cascade,
    -- ChaCha20-Poly1305 ciphertext of the promise text and its 12-byte nonce.
    text_sealed bytea not null,
    text_nonce bytea not null check (length(text_nonce) = 12),
    due_at timestamptz not null,
    created_at timestamptz not null default now(),
    -- "Still realistic?": on_track or say_early.
    check_answer text check (check_answer in ('on_track', 'say_early')),
    -- "Did it happen?": the first answer counts.
    outcome text check (outcome in ('kept', 'kept_late', 'renegotiated', 'not_kept')),
    outcome_at timestamptz
);

create index promises_by_subscriber on promises (subscriber_id, due_at);

alter table deliveries add column promise_id bigint references promises (id) on delete cascade;

-- Keep whatever kinds earlier migrations allowed and add the new ones.
do $$
declare
    definition text;
begin
    select pg_get_constraintdef(oid) into definition from pg_constraint where conname = 'deliveries_kind_check';
    alter table deliveries drop constraint deliveries_kind_check;
    execute 'alter table deliveries add constraint deliveries_kind_check '
        || replace(definition, 'ARRAY[', 'ARRAY[''promise_check''::text, ''promise_review''::text, ''weekly_summary''::text, ');
end $$;

-- Two promises may share a slot: mails about a promise are unique per
-- promise and kind; every other mail keeps the planning key.
alter table deliveries drop constraint deliveries_plan_key;
create unique index deliveries_plan_key on deliveries (subscriber_id, kind, coalesce(track, ''), slot) where promise_id is null;
create unique index deliveries_promise_key on deliveries (promise_id, kind) where promise_id is not null;

alter table subscribers
    add column weekly_summary boolean not null default false,
    add column next_summary_at timestamptz;

create index subscribers_summary_due on subscribers (next_summary_at) where weekly_summary;
