-- "Send me a fresh link": a mail with one short-lived link to the
-- preferences page, asked for from a page or from the form behind a link
-- that was switched off.
alter type delivery_kind add value 'fresh_link';
