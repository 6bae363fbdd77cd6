//! The small text rules every catalog text shares: paragraphs are separated
//! by a blank line, and `{name}` is a placeholder filled when a mail is
//! composed.

/// Paragraphs of a body: split at blank lines, whitespace collapsed.
pub fn paragraphs(body: &str) -> impl Iterator<Item = String> + '_ {
    body.split("\n\n").map(|p| p.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|p| !p.is_empty())
}

/// A `{name}` in a text: its name, or `Err` with the offending piece when the
/// braces are broken (`{done`, `done}`, `{Done!}`).
pub fn placeholders(text: &str) -> Vec<Result<&str, &str>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        if rest[i..].starts_with('}') {
            found.push(Err(&rest[i..i + 1]));
            rest = &rest[i + 1..];
            continue;
        }
        let after = &rest[i + 1..];
        match after.find(['}', '{']) {
            Some(j) if after[j..].starts_with('}') => {
                let name = &after[..j];
                let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                found.push(if ok { Ok(name) } else { Err(&rest[i..i + j + 2]) });
                rest = &after[j + 1..];
            }
            _ => {
                found.push(Err(head(&rest[i..], 12)));
                rest = after;
            }
        }
    }
    found
}

/// The first `n` characters of `s`.
fn head(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// Replaces each `{name}` with its value; unknown names are left as they are.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(text.to_owned(), |acc, (name, value)| acc.replace(&format!("{{{name}}}"), value))
}
