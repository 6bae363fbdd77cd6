-- Words in the subscriber's language, and a welcome mail.
--
-- `locale`: which catalog texts a subscriber reads (a short lowercase tag such
-- as `en` or `pt-br`). Everyone starts in `en`, and any text a locale lacks
-- falls back to `en`, so an unknown tag can never leave a mail empty.
-- `welcome`: the one mail queued in the transaction that confirms a
-- subscription.
alter table subscribers
    add column locale text not null default 'en' check (locale ~ '^[a-z]{2,3}(-[a-z0-9]{2,8})?$');

alter table deliveries
    drop constraint deliveries_kind_check,
    add constraint deliveries_kind_check check (kind in ('confirm', 'welcome', 'nudge', 'keep_going', 'test'));
