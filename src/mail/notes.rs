//! The footer notes: where to find professional help, and the safety note.
//!
//! Operators write two lines for their country (`content.resources`, for
//! example a counsellor directory, and `content.safety_line`, the local help
//! line for people who feel afraid or controlled). The catalog's note texts
//! frame them (`{resources}`, `{safety_line}`); an empty setting shows the
//! catalog's neutral `_unset` text instead, so nobody meets a blank or a
//! broken link. Web addresses in a line become links in HTML.
//!
//! The preferences page shows the safety note too: its handler builds it
//! with [`safety`] from the application state, like the composer does.

use super::catalog::{Catalog, NoteTexts, fill};
use crate::config::ContentSettings;
use crate::domain::Locale;

/// The operator's two lines, trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorLines {
    pub resources: String,
    pub safety_line: String,
}

impl From<&ContentSettings> for OperatorLines {
    fn from(content: &ContentSettings) -> Self {
        Self { resources: content.resources.trim().to_owned(), safety_line: content.safety_line.trim().to_owned() }
    }
}

/// A line of text in which web addresses are links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteLine {
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub text: String,
    /// Set when `text` is an http(s) address.
    pub url: Option<String>,
}

impl NoteLine {
    /// Splits `text` around http(s) addresses. Trailing punctuation after an
    /// address (a full stop ending the sentence) stays outside the link.
    pub fn new(text: &str) -> Self {
        let mut parts = Vec::new();
        let mut plain = String::new();
        for (i, token) in text.split(' ').enumerate() {
            if i > 0 {
                plain.push(' ');
            }
            let url = token.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
            if is_web_address(url) {
                if !plain.is_empty() {
                    parts.push(Part { text: std::mem::take(&mut plain), url: None });
                }
                parts.push(Part { text: url.to_owned(), url: Some(url.to_owned()) });
                plain.push_str(&token[url.len()..]);
            } else {
                plain.push_str(token);
            }
        }
        if !plain.is_empty() {
            parts.push(Part { text: plain, url: None });
        }
        Self { parts }
    }

    /// The line as plain text (the text part of a mail).
    pub fn text(&self) -> String {
        self.parts.iter().map(|p| p.text.as_str()).collect()
    }
}

/// `https://` or `http://` followed by a host: what becomes a link.
pub fn is_web_address(token: &str) -> bool {
    let rest = token.strip_prefix("https://").or_else(|| token.strip_prefix("http://"));
    rest.is_some_and(|r| r.split('/').next().is_some_and(|host| host.contains('.') && !host.starts_with('.')))
}

/// Where to find professional help: the operator's line, or neutral words.
pub fn resources(texts: &NoteTexts, lines: &OperatorLines) -> NoteLine {
    NoteLine::new(&match lines.resources.trim() {
        "" => texts.resources_unset.clone(),
        line => fill(&texts.resources, &[("resources", line)]),
    })
}

/// The calm safety note: the operator's help line, or neutral words.
pub fn safety(texts: &NoteTexts, lines: &OperatorLines) -> NoteLine {
    NoteLine::new(&match lines.safety_line.trim() {
        "" => texts.safety_unset.clone(),
        line => fill(&texts.safety, &[("safety_line", line)]),
    })
}

/// Both notes, for a mail footer.
pub fn footer(catalog: &Catalog, locale: &Locale, lines: &OperatorLines) -> Vec<NoteLine> {
    let texts = catalog.notes(locale);
    vec![resources(texts, lines), safety(texts, lines)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts() -> NoteTexts {
        NoteTexts {
            resources: "Find a counsellor: {resources}".into(),
            resources_unset: "Your doctor can suggest a counsellor.".into(),
            safety: "If you feel afraid, help is there: {safety_line}".into(),
            safety_unset: "If you feel afraid, a local help line can listen.".into(),
        }
    }

    #[test]
    fn an_empty_setting_shows_the_neutral_text_and_no_link() {
        let note = resources(&texts(), &OperatorLines::default());
        assert_eq!(note.text(), "Your doctor can suggest a counsellor.");
        assert!(note.parts.iter().all(|p| p.url.is_none()));
        assert_eq!(safety(&texts(), &OperatorLines::default()).text(), texts().safety_unset);
    }

    #[test]
    fn web_addresses_become_links_without_their_full_stop() {
        let lines = OperatorLines { resources: "https://counsellors.example.org/find.".into(), ..Default::default() };
        let note = resources(&texts(), &lines);
        assert_eq!(note.text(), "Find a counsellor: https://counsellors.example.org/find.");
        assert_eq!(note.parts[1].url.as_deref(), Some("https://counsellors.example.org/find"));
        assert_eq!(note.parts[2].text, ".");
        let plain = NoteLine::new("Call 0800 000 000 (free, any time). Not a link: https:// or http://x");
        assert!(plain.parts.iter().all(|p| p.url.is_none()), "{plain:?}");
    }
}
