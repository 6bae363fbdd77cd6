-- Delivery under faults.
--
-- `unknown_outcomes`: attempts whose SMTP transaction reached the end of the
-- data and then lost its reply (connection dropped, reply timed out). The
-- relay may have the message; the retry reuses the Message-ID. Counted per
-- row so that an operator can see which deliveries may have gone out twice.
alter table deliveries add column unknown_outcomes integer not null default 0;

-- Addresses a relay answered with a 5.1.x status (no such mailbox, bad
-- address): nothing more is sent to them. Keyed by the lowercased address so
-- that a later subscription with the same address stays suppressed.
create table suppressed_addresses (
    email text primary key check (email = lower(email)),
    smtp_code smallint not null,
    reason text not null,
    suppressed_at timestamptz not null default now()
);
