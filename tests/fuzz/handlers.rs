//! Every route that reads input, through the real router against a real
//! database: arbitrary bodies, fields, tokens and query strings never get a
//! 5xx and never panic (a panic would drop the connection).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::harness::{FuzzApp, a_month_ahead, bytes, check, date_text, field, utf8, weighted_field, zone_names};

/// What the on/off fields are sent, valid or not.
const ON_OFF: &[&str] = &["on", "off", "true", "No", "maybe", ""];

/// A request's body and how it says it is encoded.
#[derive(Debug, Clone)]
enum Sent {
    Form(Vec<(String, Option<String>)>),
    Json(Vec<(String, Option<String>)>),
    Raw { content_type: Option<String>, bytes: Vec<u8> },
}

impl Sent {
    fn request(&self, method: Method, path: &str) -> Request<Body> {
        let builder = Request::builder().method(method).uri(path);
        match self {
            Sent::Form(fields) => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                for (name, value) in fields {
                    if let Some(value) = value {
                        form.append_pair(name, value);
                    }
                }
                builder
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from(form.finish()))
                    .unwrap()
            }
            Sent::Json(fields) => {
                let object: Map<String, Value> =
                    fields.iter().filter_map(|(k, v)| Some((k.clone(), Value::String(v.clone()?)))).collect();
                builder
                    .header("content-type", "application/json")
                    .body(Body::from(Value::Object(object).to_string()))
                    .unwrap()
            }
            Sent::Raw { content_type, bytes } => {
                let builder = match content_type {
                    Some(content_type) => builder.header("content-type", content_type.as_str()),
                    None => builder,
                };
                builder.body(Body::from(bytes.clone())).unwrap()
            }
        }
    }
}

/// Named fields (each arbitrary, valid or absent), as a form or as JSON;
/// or arbitrary bytes under an arbitrary content type.
fn body(fields: Vec<(&'static str, BoxedStrategy<Option<String>>)>) -> impl Strategy<Value = Sent> {
    let named =
        fields.into_iter().map(|(name, value)| value.prop_map(move |v| (name.to_owned(), v))).collect::<Vec<_>>();
    let content_type = prop_oneof![
        Just(Some("application/x-www-form-urlencoded".to_owned())),
        Just(Some("application/json".to_owned())),
        Just(None),
        "[ -~]{0,40}".prop_map(Some),
    ];
    prop_oneof![
        4 => named.clone().prop_map(Sent::Form),
        2 => named.prop_map(Sent::Json),
        2 => (content_type, bytes(600)).prop_map(|(content_type, bytes)| Sent::Raw { content_type, bytes }),
        1 => (content_type_json(), utf8(300)).prop_map(|(content_type, text)| Sent::Raw { content_type, bytes: text.into_bytes() }),
    ]
}

fn content_type_json() -> impl Strategy<Value = Option<String>> {
    Just(Some("application/json".to_owned()))
}

fn assert_no_server_error(target: &str, status: StatusCode, page: &str) -> Result<(), TestCaseError> {
    prop_assert!(!status.is_server_error(), "{}: {} {}", target, status, page);
    prop_assert!(!page.is_empty(), "{}: {} with an empty body", target, status);
    Ok(())
}

const EMAILS: &[&str] = &["someone@example.com", "a.b+c@gmail.com", "x@y.co"];
const TIMES: &[&str] = &["08:30", "7:05", "23:59:00", "00:00"];
const TRACKS: &[&str] = &["check-in", "support", "patience", "follow-through"];

fn zone() -> BoxedStrategy<Option<String>> {
    prop_oneof![
        3 => field(&["UTC"]),
        1 => proptest::sample::select(zone_names()).prop_map(|z| Some(z.to_owned())),
    ]
    .boxed()
}

#[test]
fn subscribe() {
    let app = FuzzApp::start();
    let fields = vec![
        ("email", field(EMAILS).boxed()),
        ("timezone", zone()),
        ("time", field(TIMES).boxed()),
        ("tracks", field(TRACKS).boxed()),
        ("discreet", field(ON_OFF).boxed()),
        // An invitation token (the form an invitation link opens): arbitrary or absent.
        ("invitation", prop_oneof![3 => Just(None), 1 => utf8(80).prop_map(Some)].boxed()),
        // Rarely: a filled-in honeypot is answered like a real request (after 120 ms).
        ("website", prop_oneof![499 => Just(None), 1 => field(&[""])].boxed()),
    ];
    check("subscribe", body(fields), |body| {
        let (status, page) = app.send(body.request(Method::POST, "/subscribe"));
        assert_no_server_error("POST /subscribe", status, &page)
    });
}

/// "Mail me a fresh link": any address, known or not.
#[test]
fn fresh_link() {
    let app = FuzzApp::start();
    let fields = vec![("email", prop_oneof![1 => field(&["fuzz@example.com"]), 4 => field(EMAILS)].boxed())];
    check("fresh_link", body(fields), |body| {
        let (status, page) = app.send(body.request(Method::POST, "/link"));
        assert_no_server_error("POST /link", status, &page)
    });
}

#[test]
fn preferences_and_promises() {
    let app = FuzzApp::start();
    // Never "sign_out_links": it switches off the link every later case posts to.
    let actions = &["save", "pause", "resume", "promise", "weekly_on", "weekly_off", "delete", "send_link"];
    let fields = vec![
        ("action", field(actions).boxed()),
        ("timezone", zone()),
        ("time", field(TIMES).boxed()),
        ("max_per_day", field(&["1", "5", "0", "6", "-1", "99999999999999999999"]).boxed()),
        ("tracks", field(TRACKS).boxed()),
        ("weekly_summary", field(&["on", "off"]).boxed()),
        ("discreet", field(ON_OFF).boxed()),
        // Never "yes": deleting the subscriber would leave later cases nothing to reach.
        (
            "confirm_delete",
            field(&["no", "", "YES "]).prop_filter("keeps the subscriber", |v| v.as_deref() != Some("yes")).boxed(),
        ),
        ("promise", field(&["call at lunch", "pick up the kids"]).boxed()),
        ("due_date", prop_oneof![3 => Just(Some(a_month_ahead())), 2 => date_text().prop_map(Some)].boxed()),
        ("due_time", field(TIMES).boxed()),
    ];
    check("preferences", body(fields), |body| {
        let (status, page) = app.send(body.request(Method::POST, &app.links.preferences));
        assert_no_server_error("POST /me/{token}", status, &page)
    });
}

/// The promise form, mostly well-formed, so that the date and zone reach
/// the conversion to an instant (where `+262142-12-31` once overflowed).
#[test]
fn promise_form() {
    let app = FuzzApp::start();
    let fields = vec![
        ("action", Just(Some("promise".to_owned())).boxed()),
        ("promise", weighted_field(&["call at lunch", "pick up the kids"], 60).boxed()),
        ("due_date", prop_oneof![1 => Just(Some(a_month_ahead())), 4 => date_text().prop_map(Some)].boxed()),
        ("due_time", weighted_field(TIMES, 60).boxed()),
        ("timezone", prop_oneof![1 => field(&["UTC"]), 4 => proptest::sample::select(zone_names()).prop_map(|z| Some(z.to_owned()))].boxed()),
    ];
    check("promise_form", body(fields), |body| {
        let (status, page) = app.send(body.request(Method::POST, &app.links.preferences));
        assert_no_server_error("POST /me/{token} action=promise", status, &page)
    });
}

#[test]
fn answers_and_promise_answers() {
    let app = FuzzApp::start();
    let answer = vec![("action", field(&["done", "partly", "not_yet", "snooze", "pause_track", "send_link"]).boxed())];
    let promise = vec![
        ("answer", field(&["on_track", "say_early", "kept", "kept_late", "renegotiated", "not_kept"]).boxed()),
        ("action", field(&["send_link"]).boxed()),
    ];
    let routes = prop_oneof![
        body(answer).prop_map(|b| (0usize, b)),
        body(promise.clone()).prop_map(|b| (1, b)),
        body(promise).prop_map(|b| (2, b)),
    ];
    check("answers", routes, |(route, body)| {
        let path = [&app.links.answer, &app.links.promise_check, &app.links.promise_review][route];
        let (status, page) = app.send(body.request(Method::POST, path));
        assert_no_server_error(path, status, &page)
    });
}

/// Every route with a token in its path, with arbitrary tokens and query
/// strings, by GET, HEAD and POST; and the real pages with arbitrary queries.
#[test]
fn tokens_and_queries() {
    let app = FuzzApp::start();
    let prefixes = &[
        "/n/",
        "/p/",
        "/me/",
        "/confirm/",
        "/unsubscribe/",
        "/resume/",
        "/invited/",
        "/",
        "/outbox?",
        "/healthz/",
        "/link?",
    ];
    let real = vec![
        app.links.answer.clone(),
        app.links.preferences.clone(),
        app.links.promise_check.clone(),
        app.links.confirm.clone(),
        app.links.resume.clone(),
    ];
    let path = prop_oneof![
        (proptest::sample::select(prefixes), utf8(80)).prop_map(|(p, token)| format!("{p}{}", encode(&token))),
        (proptest::sample::select(real), utf8(40)).prop_map(|(p, query)| format!("{p}?a={}", encode(&query))),
    ];
    let method = proptest::sample::select(vec![Method::GET, Method::HEAD, Method::POST]);
    check("tokens", (path, method), |(path, method)| {
        let request = Request::builder().method(method.clone()).uri(path.as_str()).body(Body::empty()).unwrap();
        let (status, page) = app.send(request);
        prop_assert!(!status.is_server_error(), "{} {}: {} {}", method, path, status, page);
        Ok(())
    });
}

/// Percent-encodes everything but unreserved characters, so any text
/// becomes a valid path segment or query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
