use chrono::TimeZone as _;

use super::*;

/// Messages that are the same word in another language (month names
/// German shares with English).
const SAME_IN: [(&str, &str); 4] = [("de", "month-4"), ("de", "month-8"), ("de", "month-9"), ("de", "month-11")];

#[test]
fn every_locale_has_every_message_of_en() {
    assert_eq!(texts().missing(), Vec::<(Locale, String)>::new());
}

#[test]
fn no_message_of_de_or_es_is_left_in_english() {
    let en = tr(&Locale::en());
    for tag in ["de", "es"] {
        let other = tr(&Locale::parse(tag).unwrap());
        assert_eq!(other.lang(), tag);
        for id in texts().ids() {
            if SAME_IN.contains(&(tag, id.as_str())) {
                continue;
            }
            assert_ne!(other.get(id), en.get(id), "{tag}: {id} reads as in English");
        }
    }
}

#[test]
fn dates_follow_each_language_pattern() {
    let instant = chrono::Utc.with_ymd_and_hms(2026, 3, 3, 7, 30, 0).unwrap();
    let berlin = TimeZone::parse("Europe/Berlin").unwrap();
    let when = |tag: &str| tr(&Locale::parse(tag).unwrap()).when(instant, berlin);
    assert_eq!(when("en"), "Tuesday 3 March at 08:30");
    assert_eq!(when("de"), "Dienstag, 3. März um 08:30");
    assert_eq!(when("es"), "martes, 3 de marzo a las 08:30");
    let de = tr(&Locale::parse("de").unwrap());
    assert_eq!([de.days_ahead(0), de.days_ahead(1), de.days_ahead(6)], ["heute", "morgen", "in 6 Tagen"]);
}

#[test]
fn plural_forms_choose_by_number() {
    let es = tr(&Locale::parse("es").unwrap());
    let line = |done: i64| es.with("week-track-done", &[("track", "Paciencia".into()), ("done", done.into())]);
    assert_eq!(line(1), "Paciencia: una vez hecho.");
    assert_eq!(line(3), "Paciencia: 3 veces hecho.");
}

#[test]
fn a_message_missing_in_a_locale_falls_back_to_en_for_that_message_only() {
    let files = [("en", "hello = Hello\nbye = Bye\n"), ("de", "hello = Hallo\n")];
    let texts: &'static Texts = Box::leak(Box::new(Texts::parse(&files).unwrap()));
    assert_eq!(texts.missing(), vec![(Locale::parse("de").unwrap(), "bye".to_owned())]);
    let de = texts.tr(&Locale::parse("de").unwrap());
    assert_eq!((de.get("hello"), de.get("bye")), ("Hallo".to_owned(), "Bye".to_owned()));
    assert_eq!(texts.tr(&Locale::parse("fr").unwrap()).get("hello"), "Hello");
}

#[test]
fn every_answer_track_and_promise_answer_has_its_words() {
    use crate::domain::promise::{CheckAnswer, Outcome};
    use crate::domain::{Action, SubscriberStatus, Track};
    let en = tr(&Locale::en());
    let has = |id: String| assert!(texts().ids().contains(&id), "no message {id} in en");
    for a in Action::ALL {
        has(format!("action-{}", a.key()));
        has(format!("ack-{}", a.key()));
    }
    for t in Track::ALL {
        has(format!("track-{}", t.key()));
        has(format!("track-{}-blurb", t.key()));
    }
    CheckAnswer::ALL.into_iter().for_each(|a| has(format!("check-{}", a.key())));
    Outcome::ALL.into_iter().for_each(|o| has(format!("outcome-{}", o.key())));
    let statuses = [
        SubscriberStatus::Pending,
        SubscriberStatus::Active,
        SubscriberStatus::Paused,
        SubscriberStatus::Resting,
        SubscriberStatus::Unsubscribed,
    ];
    statuses.into_iter().for_each(|s| has(format!("status-{}", s.key())));
    assert_eq!(en.track_in_sentence(Track::CheckIn), "open, honest talk");
    assert_eq!(tr(&Locale::parse("de").unwrap()).track_in_sentence(Track::CheckIn), "Offen und ehrlich reden");
}
