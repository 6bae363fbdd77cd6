-- The adaptive spacing engine: per-track memory (ease, streak, misses,
-- graduation), per-subscriber consecutive misses and the resting state that
-- follows them, and when each nudge stops waiting for an answer.

alter table subscriber_tracks
    add column ease double precision not null default 2.0 check (ease between 1.3 and 2.5),
    add column streak integer not null default 0 check (streak >= 0),
    add column misses integer not null default 0 check (misses >= 0),
    add column graduated boolean not null default false,
    add column last_answer text check (last_answer in ('done', 'partly', 'not_yet', 'snooze', 'pause_track'));

alter table subscribers
    add column consecutive_misses integer not null default 0 check (consecutive_misses >= 0),
    drop constraint subscribers_status_check,
    add constraint subscribers_status_check check (status in ('pending', 'active', 'paused', 'resting', 'unsubscribed'));

-- `answer_by`: after this instant an unanswered nudge counts as a miss.
-- `expired_at`: when the expiry sweep counted it.
alter table deliveries
    add column answer_by timestamptz,
    add column expired_at timestamptz,
    drop constraint deliveries_kind_check,
    add constraint deliveries_kind_check check (kind in ('confirm', 'nudge', 'keep_going', 'test'));

create index deliveries_awaiting_answer on deliveries (answer_by)
    where kind = 'nudge' and status = 'sent' and expired_at is null;
