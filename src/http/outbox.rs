//! `GET /outbox` (local environment only): the mail the `file` transport
//! wrote, newest first, with clickable links, so a newcomer can walk the
//! whole flow in a browser without an SMTP server.

use axum::extract::State;
use axum::response::Html;

use super::AppState;
use super::error::AppError;
use super::pages::{OutboxItem, OutboxPage, render};
use crate::mail::outbox::OutboxEntry;

const SHOWN: usize = 50;

pub async fn page(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let dir = state.settings.mail.outbox_dir.clone();
    let mut entries = read_entries(&dir).await;
    entries.sort_by_key(|e| std::cmp::Reverse(e.written_at));
    let items = entries
        .into_iter()
        .take(SHOWN)
        .map(|e| OutboxItem {
            when: e.written_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            to: e.to,
            subject: e.subject,
            parts: linkify(&e.text),
        })
        .collect();
    let t = crate::i18n::tr(&crate::domain::Locale::en());
    Ok(Html(render(&OutboxPage { t, folder: dir.display().to_string(), items })))
}

/// Unreadable or half-written files are skipped: the page is a convenience.
async fn read_entries(dir: &std::path::Path) -> Vec<OutboxEntry> {
    let mut entries = Vec::new();
    let Ok(mut listing) = tokio::fs::read_dir(dir).await else {
        return entries;
    };
    while let Ok(Some(file)) = listing.next_entry().await {
        let path = file.path();
        if path.extension().is_some_and(|e| e == "json")
            && let Ok(bytes) = tokio::fs::read(&path).await
            && let Ok(entry) = serde_json::from_slice::<OutboxEntry>(&bytes)
        {
            entries.push(entry);
        }
    }
    entries
}

/// Splits text into (run, is_link) so the template can link URLs safely.
fn linkify(text: &str) -> Vec<(String, bool)> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("http://").into_iter().chain(rest.find("https://")).min() {
        let (before, from_link) = rest.split_at(start);
        let end = from_link.find(char::is_whitespace).unwrap_or(from_link.len());
        parts.push((before.to_owned(), false));
        parts.push((from_link[..end].to_owned(), true));
        rest = &from_link[end..];
    }
    parts.push((rest.to_owned(), false));
    parts
}

#[cfg(test)]
mod tests {
    use super::linkify;

    #[test]
    fn urls_become_links_and_the_rest_stays_text() {
        let parts = linkify("Done: http://x/n/abc?a=done\nbye");
        assert_eq!(parts[1], ("http://x/n/abc?a=done".to_owned(), true));
        assert_eq!(parts[2], ("\nbye".to_owned(), false));
    }
}
