-- Counts behind the metrics gauges, kept incrementally so that refreshing
-- them costs the changes since the last refresh instead of a scan of every
-- subscriber, delivery, answer and promise.
--
-- Statement-level triggers append signed deltas to `gauge_deltas`, in the
-- transaction that made the change. Appending never waits: no two
-- transactions ever update the same counter row, so the hot paths (a batch
-- of answers, a claim, a group commit of sent mail) do not queue behind one
-- another. The metrics refresh (src/metrics/gauges.rs) folds the deltas into
-- `gauge_totals`, one instance at a time, and reads the totals.
--
-- gauge           label     sublabel  day
-- subscribers     status
-- deliveries      kind      status
-- answers         action
-- promises        outcome (or 'open')
-- nudges_sent     track               UTC day the nudge was sent
-- answered        track               UTC day the answer came
-- The two daily ones feed the 30-day answer rate; the refresh drops their
-- days older than that.

create table gauge_deltas (
    gauge text not null,
    label text not null,
    sublabel text not null default '',
    day date,
    delta bigint not null
);

create table gauge_totals (
    gauge text not null,
    label text not null,
    sublabel text not null default '',
    day date,
    n bigint not null,
    constraint gauge_totals_key unique nulls not distinct (gauge, label, sublabel, day)
);

-- Each function gets the statement's rows as `changes` (old rows counted -1,
-- new rows +1; an update that moves nothing nets to zero and writes nothing).
create function tend_changes_source(op text, columns text) returns text
language sql immutable as $$
    select case op
        when 'INSERT' then 'select ' || columns || ', 1 as d from new_rows'
        when 'DELETE' then 'select ' || columns || ', -1 as d from old_rows'
        else 'select ' || columns || ', -1 as d from old_rows union all select ' || columns || ', 1 from new_rows'
    end
$$;

create function tend_count_subscribers() returns trigger
language plpgsql as $$
begin
    execute 'with changes as (' || tend_changes_source(tg_op, 'status') || ')
        insert into gauge_deltas (gauge, label, delta)
        select ''subscribers'', status, sum(d) from changes group by status having sum(d) <> 0';
    return null;
end
$$;

create function tend_count_deliveries() returns trigger
language plpgsql as $$
begin
    execute 'with changes as (' || tend_changes_source(tg_op, 'kind, status, track, sent_at') || ')
        insert into gauge_deltas (gauge, label, sublabel, day, delta)
        select ''deliveries'', kind::text, status, null::date, sum(d) from changes
        group by kind, status having sum(d) <> 0
        union all
        select ''nudges_sent'', track, '''', (sent_at at time zone ''UTC'')::date, sum(d) from changes
        where kind = ''nudge'' and status = ''sent'' and track is not null and sent_at is not null
        group by track, (sent_at at time zone ''UTC'')::date having sum(d) <> 0';
    return null;
end
$$;

-- Answers are only ever inserted (in batches, on the hot path) or deleted
-- (with their subscriber): static statements, planned once per session.
create function tend_count_answers() returns trigger
language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into gauge_deltas (gauge, label, sublabel, day, delta)
        select 'answers', action, '', null::date, count(*) from new_rows group by action
        union all
        select 'answered', track, '', (answered_at at time zone 'UTC')::date, count(*) from new_rows
        group by track, (answered_at at time zone 'UTC')::date;
    else
        insert into gauge_deltas (gauge, label, sublabel, day, delta)
        select 'answers', action, '', null::date, -count(*) from old_rows group by action
        union all
        select 'answered', track, '', (answered_at at time zone 'UTC')::date, -count(*) from old_rows
        group by track, (answered_at at time zone 'UTC')::date;
    end if;
    return null;
end
$$;

create function tend_count_promises() returns trigger
language plpgsql as $$
begin
    execute 'with changes as (' || tend_changes_source(tg_op, 'coalesce(outcome, ''open'') as outcome') || ')
        insert into gauge_deltas (gauge, label, delta)
        select ''promises'', outcome, sum(d) from changes group by outcome having sum(d) <> 0';
    return null;
end
$$;

-- A trigger with transition tables fires for one event only: three each.
create trigger subscribers_count_insert after insert on subscribers
    referencing new table as new_rows for each statement execute function tend_count_subscribers();
create trigger subscribers_count_update after update on subscribers
    referencing old table as old_rows new table as new_rows for each statement execute function tend_count_subscribers();
create trigger subscribers_count_delete after delete on subscribers
    referencing old table as old_rows for each statement execute function tend_count_subscribers();

create trigger deliveries_count_insert after insert on deliveries
    referencing new table as new_rows for each statement execute function tend_count_deliveries();
create trigger deliveries_count_update after update on deliveries
    referencing old table as old_rows new table as new_rows for each statement execute function tend_count_deliveries();
create trigger deliveries_count_delete after delete on deliveries
    referencing old table as old_rows for each statement execute function tend_count_deliveries();

create trigger answers_count_insert after insert on answers
    referencing new table as new_rows for each statement execute function tend_count_answers();
create trigger answers_count_delete after delete on answers
    referencing old table as old_rows for each statement execute function tend_count_answers();

create trigger promises_count_insert after insert on promises
    referencing new table as new_rows for each statement execute function tend_count_promises();
create trigger promises_count_update after update on promises
    referencing old table as old_rows new table as new_rows for each statement execute function tend_count_promises();
create trigger promises_count_delete after delete on promises
    referencing old table as old_rows for each statement execute function tend_count_promises();

-- What the tables already hold: counted once, here.
insert into gauge_totals (gauge, label, sublabel, day, n)
select 'subscribers', status, '', null::date, count(*) from subscribers group by status
union all
select 'deliveries', kind::text, status, null::date, count(*) from deliveries group by kind, status
union all
select 'nudges_sent', track, '', (sent_at at time zone 'UTC')::date, count(*) from deliveries
where kind = 'nudge' and status = 'sent' and track is not null and sent_at >= now() - interval '31 days'
group by track, (sent_at at time zone 'UTC')::date
union all
select 'answers', action, '', null::date, count(*) from answers group by action
union all
select 'answered', track, '', (answered_at at time zone 'UTC')::date, count(*) from answers
where answered_at >= now() - interval '31 days'
group by track, (answered_at at time zone 'UTC')::date
union all
select 'promises', coalesce(outcome, 'open'), '', null::date, count(*) from promises group by 2;
