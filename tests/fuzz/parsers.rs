//! Every parser over arbitrary input: no panic, and what parses prints back
//! to itself (or keeps the promises its type makes).

use chrono::{DateTime, Duration, NaiveTime, Utc};
use proptest::prelude::*;
use secrecy::SecretString;
use tend::cli::import::{ImportOptions, parse_requests};
use tend::config::{OptionalAddr, redacted_url};
use tend::domain::promise::{self, CheckAnswer, DueDate, Outcome, PromiseText};
use tend::domain::reply;
use tend::domain::slots::Slots;
use tend::domain::{
    Action, AddressKind, Claims, DeliveryKind, InboundDomain, LinkGeneration, LinkSigner, Locale, MailboxKey,
    PageFacts, Purpose, Scheduling, SubscriberEmail, TimeOfDay, TimeZone, Track, TrackSet, parse_on_off,
};

use crate::harness::{bytes, check, date_text, utf8, zone_names};

/// Text as a person might type it, or as a program might send it.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => utf8(120),
        2 => bytes(120).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => "[ -~]{0,40}",
    ]
}

#[test]
fn addresses_and_their_inbox_keys() {
    let shaped = ("[a-zA-Z0-9.+_-]{0,20}", "[a-zA-Z0-9.-]{0,20}").prop_map(|(l, d)| format!("{l}@{d}"));
    check("addresses", prop_oneof![text(), shaped], |input| {
        if let Ok(email) = SubscriberEmail::parse(&input) {
            prop_assert!(!email.as_str().chars().any(char::is_control) && email.as_str().len() <= 254);
            let key = MailboxKey::of(&email);
            prop_assert!(key.as_str().contains('@'));
            prop_assert_eq!(&MailboxKey::of(&SubscriberEmail::parse(&email.as_str().to_uppercase()).unwrap()), &key);
        }
        Ok(())
    });
}

#[test]
fn zones_times_tracks_locales_answers_and_switches() {
    let shaped_time = (0u32..100, 0u32..100).prop_map(|(h, m)| format!("{h}:{m:02}"));
    check("small_values", (text(), prop_oneof![text(), shaped_time]), |(input, time)| {
        if let Ok(zone) = TimeZone::parse(&input) {
            prop_assert_eq!(TimeZone::parse(zone.name()).unwrap(), zone);
        }
        if let Ok(parsed) = TimeOfDay::parse(&time) {
            prop_assert_eq!(TimeOfDay::parse(&parsed.to_string()).unwrap(), parsed);
        }
        let _ = Track::parse(&input);
        let _ = TrackSet::parse(input.split([';', ',']));
        if let Ok(locale) = Locale::parse(&input) {
            prop_assert_eq!(Locale::parse(locale.as_str()).unwrap(), locale);
        }
        if let Ok(action) = Action::parse(&input) {
            prop_assert_eq!(Action::parse(action.key()).unwrap(), action);
        }
        let _ = (CheckAnswer::parse(&input), Outcome::parse(&input), DeliveryKind::parse(&input));
        if let Ok(on) = parse_on_off(&input) {
            prop_assert_eq!(parse_on_off(if on { "on" } else { "off" }), Ok(on));
            prop_assert!(
                ["on", "off", "true", "false", "yes", "no"].contains(&input.trim().to_ascii_lowercase().as_str())
            );
        }
        Ok(())
    });
}

/// A realistic "now": the database clock, some time this millennium.
fn now() -> impl Strategy<Value = DateTime<Utc>> {
    (946_684_800i64..32_503_680_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

#[test]
fn promises_their_dates_and_the_instants_they_become() {
    let zone = proptest::sample::select(zone_names());
    let inputs = (prop_oneof![4 => date_text(), 1 => text()], text(), zone, 0u32..1440, now(), 0i64..600);
    check("promises", inputs, |(date, words, zone, minute, now, jitter)| {
        if let Ok(words) = PromiseText::parse(&words) {
            prop_assert!(!words.as_str().chars().any(char::is_control));
            prop_assert!((1..=promise::MAX_TEXT_CHARS).contains(&words.as_str().chars().count()));
        }
        let Ok(date) = DueDate::parse(&date) else { return Ok(()) };
        let zone = TimeZone::parse(zone).unwrap();
        let time = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap();
        let Ok(due) = promise::due_instant(date, time, zone, now) else { return Ok(()) };
        prop_assert!(due > now && due - now <= promise::MAX_AHEAD);
        let slots = Slots { zone, time: TimeOfDay::from_naive(time), jitter: Duration::seconds(jitter) };
        let _ = promise::check_at(due, Duration::days(1), &slots, now);
        prop_assert!(promise::review_at(due, &slots) > due);
        Ok(())
    });
}

#[test]
fn configuration_values() {
    let shaped = ("[0-9]{0,25}", "(ms|s|m|h|d|w|)").prop_map(|(n, unit)| format!("{n}{unit}"));
    check("configuration", (prop_oneof![text(), shaped], text()), |(duration, address)| {
        if let Ok(parsed) = tend::config::Duration::parse(&duration) {
            prop_assert_eq!(tend::config::Duration::parse(&parsed.to_string()).unwrap(), parsed);
            let _ = parsed.as_chrono();
        }
        if let Ok(parsed) = OptionalAddr::parse(&address) {
            prop_assert_eq!(OptionalAddr::parse(&parsed.to_string()).unwrap(), parsed);
        }
        Ok(())
    });
}

#[test]
fn smtp_urls_and_their_redaction() {
    let shaped = ("(smtp|smtps|http|)", text(), "[a-z0-9.:\\[\\]@%?=/]{0,30}")
        .prop_map(|(scheme, userinfo, rest)| format!("{scheme}://{userinfo}@{rest}"));
    let password = "[ -~]{1,20}";
    check("smtp_urls", (prop_oneof![text(), shaped], password), |(url, password)| {
        for starttls in [None, Some(false), Some(true)] {
            let _ = tend::mail::smtp::parse_target(&url, starttls);
        }
        let _ = redacted_url(&url);
        let with_password = format!("smtp://user:{password}@relay.example.org:587");
        prop_assert_eq!(redacted_url(&with_password), "smtp://[redacted]@relay.example.org:587/");
        Ok(())
    });
}

#[test]
fn link_tokens() {
    let signer = LinkSigner::new(&[SecretString::from("fuzz-link-key")]).unwrap();
    let now = Utc::now();
    let real = signer.sign(&Claims::new(Purpose::Preferences, 42, LinkGeneration::FIRST, now, Duration::days(1)));
    let facts = PageFacts { subscriber_id: 7, track: Track::Patience, variant: 9 };
    let nudge = Claims::new(Purpose::Nudge, 42, LinkGeneration::FIRST, now, Duration::days(1));
    let nudge = signer.sign(&Claims { page: Some(facts), ..nudge });
    // Arbitrary text, and real tokens with a few characters changed.
    let mutated = (proptest::sample::select(vec![real.clone(), nudge.clone()]), any::<usize>(), any::<char>())
        .prop_map(|(token, at, c)| {
            let mut chars: Vec<char> = token.chars().collect();
            let at = at % chars.len();
            chars[at] = c;
            chars.into_iter().collect::<String>()
        });
    check("tokens", (prop_oneof![text(), mutated], any::<i64>()), |(token, offset)| {
        let when = DateTime::from_timestamp(offset % 8_000_000_000_000, 0).unwrap_or(now);
        for purpose in [Purpose::Confirm, Purpose::Answer, Purpose::Preferences, Purpose::Promise, Purpose::Resume] {
            if let Ok(claims) = signer.verify(&token, purpose, when) {
                prop_assert_eq!((token.as_str(), claims.subject), (real.as_str(), 42));
            }
        }
        if let Ok(claims) = signer.verify_nudge(&token, when) {
            prop_assert_eq!((token.as_str(), claims.page), (nudge.as_str(), Some(facts)));
        }
        Ok(())
    });
}

#[test]
fn import_files() {
    let options =
        ImportOptions { preconfirmed: false, max_per_day: 1, scheduling: Scheduling { jitter: Duration::zero() } };
    let row = proptest::collection::vec(prop_oneof![text(), "[a-z@.;\",-]{0,12}"], 0..6).prop_map(|f| f.join(","));
    let shaped = proptest::collection::vec(row, 0..6)
        .prop_map(|rows| format!("email,timezone,time,tracks\n{}", rows.join("\n")));
    check("import", prop_oneof![text(), shaped], |file| {
        if let Ok(rows) = parse_requests(&file, &options) {
            for request in rows.into_iter().flatten() {
                prop_assert!(!request.email.as_str().chars().any(char::is_control));
            }
        }
        Ok(())
    });
}

#[test]
fn operator_catalogs() {
    let shaped = (text(), text()).prop_map(|(subject, body)| {
        format!("[[nudge]]\ntrack = \"check-in\"\nvariant = \"x\"\nsubject = {subject:?}\nbody = {body:?}\n")
    });
    check("catalogs", prop_oneof![text(), shaped], |file| {
        let _ = tend::mail::Catalog::parse(&file);
        Ok(())
    });
}

/// What arrives at the inbound listener: whole messages (arbitrary bytes,
/// and the real shapes with arbitrary text in place of their fields),
/// reply lines, envelope addresses arbitrary and mutated, the domain setting.
#[test]
fn inbound_mail_and_addresses() {
    let shapes: Vec<&'static str> = vec![
        include_str!("../api/inbound/mail/reply_plain.eml"),
        include_str!("../api/inbound/mail/reply_outlook_html.eml"),
        include_str!("../api/inbound/mail/reply_german.eml"),
        include_str!("../api/inbound/mail/vacation.eml"),
        include_str!("../api/inbound/mail/dsn.eml"),
        include_str!("../api/inbound/mail/arf.eml"),
    ];
    let shaped = (proptest::sample::select(shapes), text()).prop_map(|(shape, value)| {
        let filled =
            ["{from}", "{to}", "{original}", "{line}", "{action}", "{status}", "{status_text}", "{feedback_type}"]
                .iter()
                .fold(shape.to_owned(), |mail, field| mail.replace(field, &value));
        filled.into_bytes()
    });
    let domain = InboundDomain::parse("reply.example.org").unwrap();
    let signer = LinkSigner::new(&[SecretString::from("fuzz-link-key")]).unwrap();
    let now = Utc::now();
    let real = signer.sign_address(AddressKind::Reply, 42, LinkGeneration::FIRST, now + Duration::days(14), &domain);
    let mutated = (any::<usize>(), any::<char>()).prop_map(move |(at, c)| {
        let mut chars: Vec<char> = real.chars().collect();
        let at = at % chars.len();
        chars[at] = c;
        chars.into_iter().collect::<String>()
    });
    let inputs = (prop_oneof![bytes(2000), shaped], prop_oneof![text(), mutated], text());
    check("inbound", inputs, |(mail, address, line)| {
        let _ = tend::inbound::read::read(&mail);
        let _ = (reply::read_reply(&line), reply::first_meaningful_line(&line), reply::answer_in(&line));
        if let Ok(claims) = signer.verify_address(&address, &domain, now) {
            prop_assert_eq!((claims.kind, claims.delivery_id), (AddressKind::Reply, 42));
        }
        if let Ok(parsed) = InboundDomain::parse(&line) {
            let again = InboundDomain::parse(parsed.as_str()).unwrap();
            prop_assert_eq!(again.as_str(), parsed.as_str());
        }
        Ok(())
    });
}
