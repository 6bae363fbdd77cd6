-- Answering a nudge is one read and one write statement, without a
-- transaction block around them (see src/store/answering.rs). The write is
-- fenced on the track row's version (`xmin`); when it finds the answer
-- inserted but the track changed since the read, it calls this function so
-- the whole statement rolls back, and the caller reads again. 40001 is the
-- code clients already treat as "retry".
create function tend_stale_read(what text) returns boolean
language plpgsql volatile as $$
begin
    raise exception 'stale read: % changed since it was read', what using errcode = 'serialization_failure';
end
$$;
