-- Promise texts bound to their row and their key. `text_format` 0: sealed
-- before binding (no associated data, key not recorded); 1: the associated
-- data is the subscriber's id and the promise's id, and `text_key_id` names
-- the key (a hash of it) among `security.promise_keys`. `tend keys reseal`
-- moves every row to format 1 under the first key.
alter table promises
    add column text_format smallint not null default 0 check (text_format in (0, 1)),
    add column text_key_id bigint,
    add constraint promises_text_key_known check ((text_format = 0) = (text_key_id is null));
