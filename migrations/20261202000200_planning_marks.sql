-- Track moves become HOT updates; the planner finds due subscribers through
-- a narrow table instead of an index on every track's next slot.
--
-- Before, `subscriber_tracks_due` indexed `next_due_at`, so every move of a
-- track (three per subscriber on each planning sweep, one per answer) was a
-- non-HOT update: a new tuple, usually on another page (the pages were full),
-- an entry in both indexes, and a lock record for the old tuple. Measured on a
-- clone of the 1,000,000-subscriber benchmark population, a batch's 1,500
-- moves took 30 ms that way and 7.7 ms as HOT updates.
--
-- * `planning_marks` holds, per subscriber, a time at or before which the
--   planner must look at them: never later than the earliest next slot of
--   their enabled tracks. A mark earlier than that only costs the planner a
--   look; a later one would delay a nudge, so:
-- * the trigger below lowers a subscriber's mark whenever a track is added,
--   turned on, scheduled or moved earlier, by any writer; moves to a later
--   slot (the planner's, most answers') leave the mark alone and fire nothing;
-- * the planner sets the marks of every subscriber it looked at to their
--   earliest enabled next slot ('infinity' when there is none or the
--   subscription is not active), after it moved their tracks.
--
-- `subscriber_tracks` is written at fill factor 50 so a moved track's new
-- version fits on its page. Existing pages get the room as the rows move.

create table planning_marks (
    subscriber_id bigint primary key references subscribers (id) on delete cascade,
    due_at timestamptz not null
);

insert into planning_marks (subscriber_id, due_at)
select subscriber_id, min(next_due_at) from subscriber_tracks
where enabled and next_due_at is not null
group by subscriber_id;

create index planning_marks_due on planning_marks (due_at);

create function tend_lower_planning_mark() returns trigger
language plpgsql as $$
begin
    insert into planning_marks (subscriber_id, due_at) values (new.subscriber_id, new.next_due_at)
    on conflict (subscriber_id) do update set due_at = excluded.due_at
    where planning_marks.due_at > excluded.due_at;
    return null;
end
$$;

create trigger subscriber_tracks_mark_insert after insert on subscriber_tracks
for each row when (new.enabled and new.next_due_at is not null)
execute function tend_lower_planning_mark();

create trigger subscriber_tracks_mark_update after update of next_due_at, enabled on subscriber_tracks
for each row when (new.enabled and new.next_due_at is not null
                   and (not old.enabled or old.next_due_at is null or new.next_due_at < old.next_due_at))
execute function tend_lower_planning_mark();

drop index subscriber_tracks_due;
alter table subscriber_tracks set (fillfactor = 50);
