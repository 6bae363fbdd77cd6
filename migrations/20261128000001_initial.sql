-- tend's initial schema. Every instant is timestamptz (UTC inside); local
-- wall time exists only as a subscriber's preference (time zone + time).

create table subscribers (
    id bigint generated always as identity primary key,
    email text not null,
    timezone text not null,
    send_time time not null,
    max_per_day smallint not null default 1 check (max_per_day between 1 and 5),
    status text not null check (status in ('pending', 'active', 'paused', 'unsubscribed')),
    created_at timestamptz not null default now(),
    confirmed_at timestamptz,
    status_changed_at timestamptz not null default now()
);

-- Addresses are unique regardless of case: one person, one subscription.
create unique index subscribers_email_key on subscribers (lower(email));

-- One row per subscriber and track they ever chose; the schedule state of
-- that habit. `next_due_at` is null while the track is off or the
-- subscription is not active.
create table subscriber_tracks (
    subscriber_id bigint not null references subscribers (id) on delete cascade,
    track text not null check (track in ('check-in', 'follow-through', 'transparency', 'patience', 'responsibility', 'support')),
    enabled boolean not null default true,
    interval_days integer not null check (interval_days > 0),
    next_due_at timestamptz,
    last_variant text,
    -- Set by "remind me tomorrow": the next nudge of this track repeats it.
    repeat_variant text,
    primary key (subscriber_id, track)
);

create index subscriber_tracks_due on subscriber_tracks (next_due_at) where enabled and next_due_at is not null;

-- The outbox: every email tend will ever send is a row here, written in the
-- transaction that caused it. Planning is idempotent through the unique key
-- on (subscriber, kind, track, slot).
create table deliveries (
    id bigint generated always as identity primary key,
    subscriber_id bigint not null references subscribers (id) on delete cascade,
    kind text not null check (kind in ('confirm', 'nudge', 'test')),
    track text,
    variant text,
    slot timestamptz not null,
    -- Random and stable: the Message-ID is <message_key@domain> on every attempt.
    message_key uuid not null default gen_random_uuid() unique,
    status text not null default 'pending' check (status in ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    -- When the next attempt may start.
    due_at timestamptz not null,
    attempt integer not null default 0,
    owner text,
    lease_expires_at timestamptz,
    smtp_code smallint,
    last_error text,
    sent_at timestamptz,
    created_at timestamptz not null default now(),
    constraint deliveries_plan_key unique nulls not distinct (subscriber_id, kind, track, slot),
    constraint deliveries_claim_consistent check ((status = 'sending') = (owner is not null and lease_expires_at is not null))
);

create index deliveries_due on deliveries (due_at) where status = 'pending';
create index deliveries_leases on deliveries (lease_expires_at) where status = 'sending';
create index deliveries_by_subscriber on deliveries (subscriber_id, kind, slot);

-- One answer per nudge: the first one counts.
create table answers (
    delivery_id bigint primary key references deliveries (id) on delete cascade,
    subscriber_id bigint not null references subscribers (id) on delete cascade,
    track text not null,
    action text not null check (action in ('done', 'partly', 'not_yet', 'snooze', 'pause_track')),
    answered_at timestamptz not null default now()
);

create index answers_by_subscriber on answers (subscriber_id, answered_at);
