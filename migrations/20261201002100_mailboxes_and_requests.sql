-- Confirmation mails are capped per inbox, not per address, and a request
-- to (re)subscribe changes nothing until it is confirmed.
--
-- `mailbox`: the inbox an address reaches (src/domain/mailbox.rs: lower
-- case, no +tag, and for gmail.com and googlemail.com no dots, named
-- gmail.com). Written with every new subscriber; existing rows get it here.
alter table subscribers add column mailbox text;

update subscribers set mailbox = case
        when domain in ('gmail.com', 'googlemail.com') then replace(base, '.', '') || '@gmail.com'
        else base || '@' || domain
    end
from (
    select id as row_id,
           split_part(lower(email), '@', 2) as domain,
           case when strpos(split_part(lower(email), '@', 1), '+') > 1
                then split_part(split_part(lower(email), '@', 1), '+', 1)
                else split_part(lower(email), '@', 1) end as base
    from subscribers
) parts
where parts.row_id = subscribers.id;

alter table subscribers alter column mailbox set not null;
create index subscribers_by_mailbox on subscribers (mailbox);

-- What someone asked for when subscribing an address that already has a row
-- (pending, or unsubscribed): kept here, not on the row, and applied only
-- when the confirmation is pressed. One per subscriber: the latest asked.
create table subscription_requests (
    subscriber_id bigint primary key references subscribers (id) on delete cascade,
    timezone text not null,
    send_time time not null,
    max_per_day smallint not null check (max_per_day between 1 and 5),
    tracks text[] not null,
    requested_at timestamptz not null default now()
);

create index subscription_requests_by_time on subscription_requests (requested_at);

-- The pending-TTL job finds unconfirmed rows by age.
create index subscribers_pending_since on subscribers (created_at) where status = 'pending';
