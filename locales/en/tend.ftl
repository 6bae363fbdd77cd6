# tend's interface words in English: pages, buttons, mail frames, dates.
# The nudges and mail texts themselves are in config/nudges.toml.
# Every message here must exist in every other locale's file
# (the test i18n::tests::every_locale_has_every_message).

## Dates and times (CLDR patterns)

weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday
weekday-7 = Sunday
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
# "Tuesday 3 March at 08:30"
when = { $weekday } { $day } { $month } at { $time }
# How far ahead a date is, in whole local days.
days-ahead = { $days ->
    [0] today
    [1] tomorrow
   *[other] in { $days } days
}

## Every page

site-tagline = gentle nudges for rebuilding trust. No tracking, no third parties.
# This language's own name, in the language picker.
language-name = English
language-label = Language
field-email = Your email address
field-zone = Time zone
field-time = Time of day
discreet-label = Discreet mail
discreet-help = A neutral sender name and subject, so a glance at your inbox or a lock screen does not say what the mail is about.
due-label = Due
due-time-label = Due time
note-promise-button = Note this promise
mail-me-fresh-link = Mail me a fresh link
fresh-link-on-its-way = A fresh link to your preferences is on its way to your inbox. It works for one day.
front-page = Front page

## Subscribe page and "check your inbox"

subscribe-title = Subscribe
subscribe-heading = Small steps, every day
subscribe-intro = Rebuilding a partner's trust takes the same few things, done again and again for months: talking openly, keeping promises, being open about your day, patience, owning mistakes, and sometimes help from a professional. tend sends you one short, kind nudge at a time, at the hour you choose. Tell it how each one went, and it spaces them to fit you.
honeypot-label = Leave this empty
subscribe-zone = Your time zone
subscribe-time = When would you like your nudge?
subscribe-discreet-help = A neutral sender name and subject, the confirmation mail included, so a glance at your inbox or a lock screen does not say what the mail is about.
subscribe-button = Subscribe
subscribe-note = We'll send one email to confirm. At most one nudge a day, never at night, and every mail has a one-click unsubscribe.
check-inbox-title = Check your inbox
check-inbox-subscribe = If this address can receive nudges, a confirmation email is on its way. Open it and press Confirm to start. Nothing is sent until you do.
check-inbox-fresh-link = If this address has a subscription, a fresh link is on its way to it. It works for one day. Nothing else changed.
fresh-link-title = Mail me a fresh link
fresh-link-intro = Enter the address your mails come to, and a link to your preferences will be mailed to it.
fresh-link-note = The link works for one day. Whatever address you type, this page answers the same.

## Error pages

error-title-bad-input = Please check the form
error-title-not-found = Not found
error-title-gone = This link no longer works
error-title-forbidden = This needs a fresh link
error-title-too-large = Too much data
error-title-too-many = Please slow down
error-title-server = Sorry
error-title-other = That did not work
error-invalid-link = This link is not valid or has expired.
error-revoked-link = For privacy, the links in earlier mails were switched off. If this is your subscription, enter your address and a fresh link will be mailed to it, if it is the address on file.
error-needs-fresh-link = This needs a link from the last 24 hours. Ask for a fresh link on the page, and it will come by mail.
error-not-found = There is no page here.
error-media-type = Send a form (application/x-www-form-urlencoded) or JSON (application/json).
error-too-many = Too many requests. Please wait a minute and try again.
error-server = Something went wrong on our side. Please try again in a little while.
error-method = This address does not accept that kind of request.
error-too-large = The request was too large.
error-other = The request could not be understood.
error-bad-field = Please check this field: { $field }.
error-title-cross-site = Not from here
error-title-timeout = Too slow
error-cross-site = This form can only be sent from this site's own page.
error-timeout = The request took too long to arrive. Please try again.

## Confirm, resume, unsubscribe

confirm-title = Confirm your subscription
confirm-text = Press the button to start your nudges. You can pause or unsubscribe at any time from any mail.
confirm-button = Confirm
confirmed-title = You're in
confirmed-now = Thank you. Your subscription is active.
confirmed-already = Your subscription was already confirmed. Nothing more to do.
next-nudge-on = Your next nudge arrives on { $when }.
welcome-on-its-way = A welcome mail is on its way, with a link to your preferences.
cancelled-title = This subscription was cancelled
cancelled-text = This address unsubscribed after the link was sent. To start again, subscribe on the front page.
subscribe-again = Subscribe again
resume-title = Keep going?
resume-text = Press the button and your nudges start again at your next slot, a little gentler than before.
resume-button = Keep going
resumed-title = Welcome back
resumed-text = Welcome back. No catching up needed: we start from today.
nothing-to-resume-title = Nothing to resume
nothing-to-resume-text = This subscription is not resting. If you unsubscribed, you can subscribe again on the front page.
unsubscribe-title = Unsubscribe?
unsubscribe-text = One click and no more mail will come to this address.
unsubscribe-button = Unsubscribe
unsubscribed-title = You're unsubscribed
unsubscribed-text = No more mail will come to this address.
unsubscribed-wish = Whatever comes next, we wish you well.

## Answer page

answered-already = You already answered “{ $label }” on { $when }. The first answer counts.
how-did-it-go = How did it go?
answer-promise-label = Made a promise today? Write it down, and tend will check in before it is due.
answer-promise-placeholder = Call at lunch
answer-page-note = Preferences, pause or your progress: this link only answers the nudge.
mail-me-preferences-link = Mail me a link to my preferences
next-track-nudge = Your next { $track } nudge comes on { $when }.
track-paused = This track is paused. You can turn it back on from your preferences.

## Answers, tracks and promise answers
# A track's `.in-sentence` is its name inside a sentence (the nudge mail's
# footer); without one, the name as it stands.

action-done = Done
action-partly = Partly
action-not_yet = Not yet
action-snooze = Remind me tomorrow
action-pause_track = Pause this track
ack-done = Well done. Small steps like this one are how trust grows back.
ack-partly = Partly counts. Thank you for being honest about it.
ack-not_yet = That's all right. Thank you for saying so; it will come back gently.
ack-snooze = Sure. This one will come back tomorrow.
ack-pause_track = This track is paused. You can turn it back on from your preferences.
no-answer = no answer
track-check-in = Open, honest talk
    .in-sentence = open, honest talk
track-check-in-blurb = A calm check-in; listen and reflect back without defending.
track-follow-through = Follow-through
    .in-sentence = follow-through
track-follow-through-blurb = Keep one small promise; say early when one can't be kept.
track-transparency = Transparency
    .in-sentence = transparency
track-transparency-blurb = Share plans before being asked, as a support that tapers off.
track-patience = Patience
    .in-sentence = patience
track-patience-blurb = Accept your partner's pace; reassure without asking for trust back.
track-responsibility = Taking responsibility
    .in-sentence = taking responsibility
track-responsibility-blurb = Name a mistake plainly and say what changes.
track-support = Professional support
    .in-sentence = professional support
track-support-blurb = Consider a counsellor or couples therapy, gently.
check-on_track = On track
check-say_early = I need to say it early
outcome-kept = Kept
outcome-kept_late = Kept, but late
outcome-renegotiated = Renegotiated early
outcome-not_kept = Not kept

## Promise page

promise-title = Your promise
promise-due = Your promise, due { $when }
say-early-title = Saying it early
say-early-1 = Thank you for being honest with yourself. Telling your partner now, before the time comes, is the trustworthy thing to do.
say-early-2 = You could say: “I promised I would do this, and I've realised I can't manage it the way I said. I'm telling you now rather than letting it slip. Here is what I can do instead.”
say-early-3 = Then offer one thing you can keep, and keep it. No long explanation is needed.
your-answer = Your answer: { $label }.
question-check = Is it still realistic?
question-review = Did it happen?
promise-page-note = Your preferences and progress:
notice-noted = Thank you. Noted.
notice-already-answered = This was already answered; the first answer counts.
words-hidden = The words are hidden because this link is more than a day old. A fresh link to your preferences shows the words of the promises still ahead.
words-unreadable = The words of this promise cannot be shown: they do not open with tend's keys, so they were changed or copied from another promise. Nothing else is affected.
words-hidden-short = (words hidden)
promise-noted = Promise noted, due { $due }.
promise-will-ask = tend will ask whether it is still realistic on { $when }.

## Preferences page

prefs-title = Your preferences
prefs-for = For { $email } · subscription { $status }
status-pending = waiting for confirmation
status-active = active
status-paused = paused
status-resting = resting
status-unsubscribed = ended
progress-heading = Your progress
progress-next = next { $when }
progress-off = off
progress-not-scheduled = not scheduled
progress-colours = Colours: green done, gold partly, blue not yet, lilac remind me tomorrow, grey no answer.
promises-heading = Promises
promise-counts = Kept { $kept } · kept late { $late } · renegotiated early { $renegotiated } · not kept { $not_kept }
promise-due-short = (due { $when })
words-need-fresh = The words of your promises show only through a link from the last 24 hours.
write-promise-label = Write down a promise you made
write-promise-placeholder = Pick up the kids on Thursday
promise-explainer = tend asks “still realistic?” the day before, at your usual time, and “did it happen?” afterwards. Only you see the words; they are stored encrypted.
weekly-heading = Weekly summary
weekly-on-text = You get a short summary every Sunday.
weekly-off-button = Stop the weekly summary
weekly-off-text = A short, kind summary of your week, every Sunday at your usual time.
weekly-on-button = Send me a weekly summary
when-and-what = When and what
max-per-day = Nudges per day at most
save-button = Save
break-heading = A break
resume-nudges-button = Resume my nudges
pause-button = Pause all nudges
seen-heading = Someone else may have seen my mail
seen-text = Switch off every link in the mails you got so far, this page's included. Your next mail brings new ones, or ask for a fresh link by mail. Unsubscribe links keep working and show nothing about you.
sign-out-button = Switch off my links
data-heading = Your data
data-text = tend holds your address, time zone, preferences, the nudges it sent you and your answers. Nothing else, and nothing is shared.
delete-confirm = Yes, delete all my data now. This cannot be undone.
delete-button = Delete my data
delete-needs-fresh = Deleting your data needs a link from the last 24 hours.
notice-saved = Saved. Your next nudges follow the new settings.
notice-paused = Paused. No nudges will come until you resume.
notice-resumed = Welcome back. Your nudges start again at your next slot.
notice-weekly-on = The weekly summary is on: the first comes on Sunday.
notice-weekly-off = The weekly summary is off.
signed-out-title = Your links are switched off
signed-out-text = Every link in the mails you got so far now leads nowhere, this page's included. Unsubscribe links still work, and show nothing about you.
signed-out-next = Your next mail brings new links. To get to your preferences sooner, ask for a fresh link: it comes by mail and works for one day.
deleted-title = Your data is deleted
deleted-text = Your address, your preferences, your nudges and your answers are gone. No more mail will come.
deleted-thanks = Thank you for the time you gave this. We wish you well.

## Progress: beside the heatmaps and in the weekly summary

progress-none = { $track }: no answers in the last { $weeks } weeks yet.
progress-summary = { $track }: in the last { $weeks } weeks, { $done } done, { $partly } partly, { $not_yet } not yet.
# Small counts are spelled out: "three done".
week-track-done = { $track }: { $done ->
    [0] none
    [1] one
    [2] two
    [3] three
    [4] four
    [5] five
    [6] six
    [7] seven
   *[other] { $done }
} done.
week-track-done-partly = { $track }: { $done ->
    [0] none
    [1] one
    [2] two
    [3] three
    [4] four
    [5] five
    [6] six
    [7] seven
   *[other] { $done }
} done, { $partly ->
    [1] one
    [2] two
    [3] three
    [4] four
    [5] five
    [6] six
    [7] seven
   *[other] { $partly }
} partly.
week-promises = Promises: { $kept ->
    [0] none
    [1] one
    [2] two
    [3] three
    [4] four
    [5] five
    [6] six
    [7] seven
   *[other] { $kept }
} kept.
week-promises-renegotiated = Promises: { $kept ->
    [0] none
    [1] one
    [2] two
    [3] three
    [4] four
    [5] five
    [6] six
    [7] seven
   *[other] { $kept }
} kept, { $renegotiated ->
    [1] one
    [2] two
    [3] three
    [4] four
    [5] five
    [6] six
    [7] seven
   *[other] { $renegotiated }
} renegotiated early, which is honest and kind.
quiet-week = A quiet week. That's fine: the next nudge will come at its usual time, whenever you're ready.

## Partners (preferences page, subscribe page)

tracks-own-legend = Tracks for rebuilding your partner's trust
tracks-partner-legend = Tracks for learning to trust again
subscribe-tracks-own = If you are rebuilding your partner's trust
subscribe-tracks-partner = If you are learning to trust again
subscribe-invited = Someone you know invited you. Pick your own time and steps below; the steps for the person learning to trust again are ticked. Nothing happens unless you confirm by mail, and nobody sees your answers.
partner-heading = Your partner
partner-linked-text = You invited your partner, or joined through their invitation. The only thing that can ever cross is the shared signal: once a week, "you both showed up", if you are both on the link, both switched it on and both answered a nudge that week. Never your tracks, answers, promises or times, and tend never tells either of you whether the other joined, switched it off or left.
partner-signal-on = Your shared signal is on.
partner-signal-off-button = Switch my shared signal off
partner-signal-off = Your shared signal is off.
partner-signal-on-button = Switch my shared signal on
partner-unlink-note = Ending the link takes one click and tells your partner nothing; the signal simply stops. Afterwards you may invite someone again.
partner-unlink-button = End the link
partner-invite-text = Rebuilding trust asks something of both of you. You may invite your partner to tend: they get one mail saying who invited them and what tend is, and nothing happens unless they confirm. They choose their own time and steps, and neither of you ever sees the other's.
partner-email-label = Your partner's email address
partner-from-name-label = Your name, as the invitation shows it (optional)
partner-from-name-placeholder = Otherwise: someone you know
partner-show-address = Show my address
partner-show-address-help = The invitation then shows your email address too.
partner-invite-button = Send one invitation
notice-partner-invited = Thank you. If this address can receive an invitation, one is on its way. tend sends at most one to an address in 30 days, and says nothing more to you about it.
notice-signal-on = Your shared signal is on. It comes only in weeks when you both switched it on and both answered.
notice-signal-off = Your shared signal is off. Your partner is not told.
notice-unlinked = The link is ended on your side. Nothing crosses any more, and your partner is not told.
track-say-what-helps = Saying what would help
    .in-sentence = saying what would help
track-say-what-helps-blurb = Name one concrete thing that would make trust a little easier.
track-notice-effort = Noticing effort
    .in-sentence = noticing effort
track-notice-effort-blurb = Let yourself see one thing your partner did.
track-own-pace = Your own pace
    .in-sentence = your own pace
track-own-pace-blurb = It is fine not to be ready; go at a pace that is yours.
track-own-support = Support for you
    .in-sentence = support for you
track-own-support-blurb = Care for yourself: a counsellor, a friend, your own history.

## Mail frames

mail-preferences-link = Preferences, pause or your progress
mail-unsubscribe = Unsubscribe
mail-unsubscribe-text = Unsubscribe with one click
