-- Both partners: the partner's own tracks, invitations, links between two
-- subscribers, and the weekly shared signal.

alter type delivery_kind add value 'invitation';
alter type delivery_kind add value 'shared_signal';

alter table subscriber_tracks drop constraint subscriber_tracks_track_check;
alter table subscriber_tracks add constraint subscriber_tracks_track_check check (track in (
    'check-in', 'follow-through', 'transparency', 'patience', 'responsibility', 'support',
    'say-what-helps', 'notice-effort', 'own-pace', 'own-support'));

-- A link is one row per side, sharing `link_id`. A subscriber has at most
-- one row (the primary key); the inviter's row exists from the invitation
-- on, the invited partner's from their confirmation. Each side's row is
-- theirs alone: their switch for the shared signal, and ending the link
-- deletes only their own row, so nothing a side sees depends on the other
-- (whether they accepted, switched off or left). The signal needs both rows.
create sequence partner_link_ids;

create table partner_links (
    subscriber_id bigint primary key references subscribers (id) on delete cascade,
    link_id bigint not null,
    signal boolean not null default false,
    created_at timestamptz not null default now()
);

create index partner_links_by_link on partner_links (link_id);

-- One row per invitation mail asked for. `email` is the invited address,
-- lower-cased: at most one invitation per address in 30 days, whoever asks.
-- `link_id` is the inviter's side; `accepted_by` the subscriber who
-- subscribed through its link with that very address, until they confirm
-- and join the link.
create table partner_invitations (
    id bigint generated always as identity primary key,
    inviter_id bigint not null references subscribers (id) on delete cascade,
    link_id bigint not null,
    email text not null check (email = lower(email)),
    from_name text,
    show_address boolean not null,
    accepted_by bigint references subscribers (id) on delete set null,
    created_at timestamptz not null default now()
);

create index partner_invitations_by_email on partner_invitations (email, created_at);
create index partner_invitations_by_accepted on partner_invitations (accepted_by) where accepted_by is not null;

-- The invitation a delivery of kind 'invitation' carries: its recipient.
alter table deliveries add column invitation_id bigint references partner_invitations (id) on delete cascade;

-- One shared signal per link and week (the week starting `week_start`,
-- Monday 00:00 UTC): the planning key that makes the weekly job idempotent.
create table shared_signal_weeks (
    link_id bigint not null,
    week_start timestamptz not null,
    primary key (link_id, week_start)
);
