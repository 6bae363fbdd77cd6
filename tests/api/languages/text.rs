//! Reading what a person sees: a page's visible text, a mail's decoded
//! parts, and which of one language's strings read as in English.

use base64::Engine;

use crate::stub_smtp::ReceivedMail;

/// The text between a page's tags, `<style>` and `<script>` left out, one
/// string per text node.
pub fn visible_text(html: &str) -> Vec<String> {
    let mut html = html.to_owned();
    for tag in ["style", "script"] {
        while let (Some(start), Some(end)) = (html.find(&format!("<{tag}")), html.find(&format!("</{tag}>"))) {
            html.replace_range(start..end + tag.len() + 3, "");
        }
    }
    html.split('<').filter_map(|chunk| chunk.split_once('>').map(|(_, text)| text.trim().to_owned())).collect()
}

/// A mail's parts, decoded (quoted-printable or base64): (the part's
/// headers, its text).
pub fn mail_parts(mail: &ReceivedMail) -> Vec<(String, String)> {
    let data = &mail.data;
    let mut parts = Vec::new();
    for (at, _) in data.match_indices("Content-Transfer-Encoding: ") {
        let head_start = data[..at].rfind("\r\n\r\n").map_or(0, |i| i + 4);
        let rest = &data[at..];
        let encoding = rest["Content-Transfer-Encoding: ".len()..].lines().next().unwrap_or_default().trim();
        let Some(start) = rest.find("\r\n\r\n") else { continue };
        let body = &rest[start + 4..];
        let body = &body[..body.find("\r\n--").unwrap_or(body.len())];
        let bytes = match encoding {
            "base64" => base64::engine::general_purpose::STANDARD.decode(body.replace("\r\n", "")).unwrap(),
            "quoted-printable" => quoted_printable(body),
            _ => body.as_bytes().to_vec(),
        };
        parts.push((data[head_start..at + start].to_owned(), String::from_utf8(bytes).expect("UTF-8 parts")));
    }
    parts
}

/// Every part of a mail, decoded, after its headers.
pub fn mail_text(mail: &ReceivedMail) -> String {
    let parts = mail_parts(mail).into_iter().map(|(_, text)| text);
    std::iter::once(mail.data.split("\r\n\r\n").next().unwrap_or_default().to_owned()).chain(parts).collect()
}

/// What a person reads in a mail: the text part's lines and the HTML
/// part's text nodes, links left out.
pub fn mail_words(mail: &ReceivedMail) -> Vec<String> {
    let mut words = Vec::new();
    for (head, text) in mail_parts(mail) {
        match head.contains("text/html") {
            true => words.extend(lines(&visible_text(&text).join("\n"))),
            false => words.extend(lines(&text)),
        }
    }
    words
}

fn quoted_printable(body: &str) -> Vec<u8> {
    let bytes = body.replace("=\r\n", "").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// The lines of a text, URLs taken out: links differ per subscriber.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split_whitespace().filter(|w| !w.contains("://")).collect::<Vec<_>>().join(" "))
        .collect()
}

/// The strings of `other` that are also strings of `en`, except those that
/// are the same in every language: names (tend, the languages' own names,
/// time zones), addresses, numbers, times and punctuation.
pub fn english_left(en: &[String], other: &[String]) -> Vec<String> {
    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    let same_everywhere = |s: &str| {
        s.is_empty()
            || ["tend", "English", "Deutsch", "Español", "From: tend"].contains(&s)
            || zones.contains(&s)
            || s.contains('@')
            || s.chars().all(|c| !c.is_alphabetic())
            || s.starts_with("Content-")
            || s.starts_with("MIME-")
            || s.starts_with("List-")
    };
    let mut left: Vec<String> = other.iter().filter(|s| !same_everywhere(s) && en.contains(s)).cloned().collect();
    left.dedup();
    left
}

#[test]
fn quoted_printable_and_text_nodes_read_as_a_person_reads_them() {
    assert_eq!(String::from_utf8(quoted_printable("M=C3=A4rz =3D=\r\nok")).unwrap(), "März =ok");
    let nodes = visible_text("<p>Hallo <b>du</b></p><style>p{}</style><script>x</script>");
    assert_eq!(nodes.into_iter().filter(|n| !n.is_empty()).collect::<Vec<_>>(), ["Hallo", "du"]);
    let en = lines("Done: https://x/n/1\ntend");
    assert_eq!(english_left(&en, &lines("Done: https://x/n/2\ntend")), ["Done:"]);
}
