//! What an inbound message is: a delivery status notification, a feedback
//! report or a reply, read with `mail-parser` (MIME, encodings, charsets,
//! HTML to text). The report parts of RFC 3464 and RFC 5965 are blocks of
//! header fields, so `mail-parser` reads those too; the rules about what
//! they mean are `domain::bounce`'s and `domain::reply`'s.

use mail_parser::decoders::html::html_to_text;
use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

use crate::domain::bounce::{self, BounceClass, RecipientStatus};
use crate::domain::reply::auto::{AutoHeaders, is_auto_reply};

/// An inbound message, as far as tend cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// `multipart/report; report-type=delivery-status`: the worst failure
    /// it reports, if any (`None`: a delay-free success notice).
    Dsn(Option<(BounceClass, String)>),
    /// `multipart/report; report-type=feedback-report`: whether it is a
    /// complaint (`abuse`, `fraud`, `other`).
    Feedback { complaint: bool },
    /// Anything else: a person's (or a program's) reply.
    Reply(Reply),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The `From` address, lowercased.
    pub from: Option<String>,
    /// Sent by a program: an out-of-office note, a list, a robot.
    pub auto: bool,
    /// The first text body (HTML turned into text when there is no other).
    pub text: Option<String>,
}

/// Reads a whole message. Bytes that do not parse as a message at all read
/// as a reply without sender or text, which nothing acts on.
pub fn read(raw: &[u8]) -> Incoming {
    let Some(message) = MessageParser::default().parse(raw) else {
        return Incoming::Reply(Reply { from: None, auto: false, text: None });
    };
    match report_type(&message).as_deref() {
        Some("delivery-status") => Incoming::Dsn(dsn(&message)),
        Some("feedback-report") => Incoming::Feedback { complaint: complaint(&message) },
        _ => Incoming::Reply(reply(&message)),
    }
}

fn report_type(message: &Message<'_>) -> Option<String> {
    let content_type = message.content_type()?;
    let is_report = content_type.ctype().eq_ignore_ascii_case("multipart")
        && content_type.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"));
    is_report.then(|| content_type.attribute("report-type").unwrap_or_default().to_ascii_lowercase())
}

/// The part of `message` whose type is `message/<subtype>` (one of them).
fn part<'a>(message: &'a Message<'a>, subtypes: &[&str]) -> Option<&'a MessagePart<'a>> {
    message.parts.iter().find(|part| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct.subtype().is_some_and(|s| subtypes.iter().any(|want| s.eq_ignore_ascii_case(want)))
        })
    })
}

/// The header blocks of a report part (RFC 3464 section 2.1: a per-message
/// block, then one per recipient, separated by blank lines).
fn field_blocks(contents: &[u8]) -> Vec<Message<'static>> {
    let text = String::from_utf8_lossy(contents).replace("\r\n", "\n");
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .filter_map(|block| {
            let block = format!("{}\n\n", block.trim());
            MessageParser::default().parse_headers(block.as_bytes()).map(Message::into_owned)
        })
        .collect()
}

fn field<'a>(block: &'a Message<'_>, name: &'a str) -> Option<&'a str> {
    block.header_raw(name).map(str::trim)
}

fn dsn(message: &Message<'_>) -> Option<(BounceClass, String)> {
    let report = part(message, &["delivery-status", "global-delivery-status"])?;
    let blocks = field_blocks(report.contents());
    let recipients: Vec<RecipientStatus<'_>> = blocks
        .iter()
        .map(|block| RecipientStatus { action: field(block, "Action"), status: field(block, "Status") })
        .collect();
    bounce::classify(&recipients)
}

fn complaint(message: &Message<'_>) -> bool {
    let Some(report) = part(message, &["feedback-report"]) else { return false };
    field_blocks(report.contents()).iter().any(|block| field(block, "Feedback-Type").is_some_and(bounce::is_complaint))
}

fn reply(message: &Message<'_>) -> Reply {
    let from = message.from().and_then(|from| from.first()).and_then(|addr| addr.address()).map(str::to_lowercase);
    let headers = AutoHeaders {
        auto_submitted: message.header_raw("Auto-Submitted").map(str::trim),
        precedence: message.header_raw("Precedence").map(str::trim),
        x_autoreply: message.header_raw("X-Autoreply").is_some(),
        x_autorespond: message.header_raw("X-Autorespond").is_some(),
        subject: message.subject(),
    };
    Reply { from, auto: is_auto_reply(&headers), text: reply_text(message) }
}

/// The first text body; an HTML-only reply goes through `mail-parser`'s
/// text conversion, after [`break_blocks`].
fn reply_text(message: &Message<'_>) -> Option<String> {
    let part = message.text_part(0).or_else(|| message.html_part(0))?;
    match &part.body {
        PartType::Text(text) => Some(text.to_string()),
        PartType::Html(html) => Some(html_to_text(&break_blocks(html))),
        _ => None,
    }
}

/// `mail-parser`'s conversion starts a new line only at `<br>` and `</p>`,
/// so Outlook's `<div>Done</div><hr><div id="divRplyFwdMsg"><b>From:</b>`
/// would read as one line, "Done From: …". A `<br>` before the tags that
/// end a block keeps what the person wrote on a line of its own.
fn break_blocks(html: &str) -> String {
    const BLOCKS: [&str; 9] =
        ["</div", "<hr", "<blockquote", "</blockquote", "</li", "</tr", "</table", "<table", "</h"];
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let starts_block =
            BLOCKS.iter().any(|tag| rest.get(..tag.len()).is_some_and(|head| head.eq_ignore_ascii_case(tag)));
        if starts_block {
            out.push_str("<br>");
        }
        out.push('<');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
