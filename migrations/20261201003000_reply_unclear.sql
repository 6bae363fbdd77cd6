-- The "could not read your reply" mail (issue 18).
alter type delivery_kind add value 'reply_unclear';
