//! Reading a reply: the first meaningful line of what a person wrote back,
//! and the answer it gives, if it clearly gives one.
//!
//! The first meaningful line is the first line that is not empty, not
//! quoted (`>`), not a short greeting ("Hi tend,"), found before the quoted
//! mail ("On … wrote:", "Am … schrieb …:", "El … escribió:", Outlook's
//! separators and header block) and before a signature ("-- ", "Sent from
//! my iPhone", "Von meinem iPhone gesendet", "Enviado desde mi iPhone").
//!
//! The line is split into clauses at punctuation. The first clause that is
//! not just politeness must be one of the phrases in [`words`] (English,
//! German and Spanish), with at most politeness around it ("Done, thanks!",
//! "tomorrow please", "Noch nicht.", "¡Sí, lo hice! 🎉"); comparison
//! ignores case, accents, apostrophes and emoji. If a later clause gives a
//! different answer ("yes, partly") or the clause says more than an answer
//! ("done most of it"), the reply is unclear: tend does not guess, it asks
//! (see `crate::inbound`). A promise mail's question takes yes and no
//! only. Auto-replies are recognised by [`auto`].
//!
//! Pure: no I/O, and no input makes it panic (a proptest says so).

use super::Action;
use super::promise::{CheckAnswer, Outcome};

pub mod auto;
mod words;

/// An answer as people write it; each is one of the nudge's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyWord {
    Done,
    Partly,
    NotYet,
    /// "Remind me tomorrow".
    Tomorrow,
    /// "Pause this track".
    Pause,
}

impl ReplyWord {
    /// The button this word presses on a nudge.
    pub fn action(self) -> Action {
        match self {
            ReplyWord::Done => Action::Done,
            ReplyWord::Partly => Action::Partly,
            ReplyWord::NotYet => Action::NotYet,
            ReplyWord::Tomorrow => Action::Snooze,
            ReplyWord::Pause => Action::PauseTrack,
        }
    }

    /// The answer to "still realistic?": yes or no; any other word is unclear.
    pub fn check_answer(self) -> Option<CheckAnswer> {
        match self {
            ReplyWord::Done => Some(CheckAnswer::OnTrack),
            ReplyWord::NotYet => Some(CheckAnswer::SayEarly),
            ReplyWord::Partly | ReplyWord::Tomorrow | ReplyWord::Pause => None,
        }
    }

    /// The answer to "did it happen?": yes (kept) or no (not kept); "kept
    /// late" and "renegotiated" are the buttons', any other word is unclear.
    pub fn review_outcome(self) -> Option<Outcome> {
        match self {
            ReplyWord::Done => Some(Outcome::Kept),
            ReplyWord::NotYet => Some(Outcome::NotKept),
            ReplyWord::Partly | ReplyWord::Tomorrow | ReplyWord::Pause => None,
        }
    }
}

/// The answer a reply's text gives, or `None` when it is unclear.
pub fn read_reply(text: &str) -> Option<ReplyWord> {
    first_meaningful_line(text).and_then(answer_in)
}

/// The first line a person wrote, before any quote or signature.
pub fn first_meaningful_line(text: &str) -> Option<&str> {
    let mut lines = text.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        let folded = fold(line);
        let next = lines.peek().map(|next| fold(next)).unwrap_or_default();
        if starts_quote(&folded, &next) || starts_signature(line, &folded) {
            return None;
        }
        if line.is_empty() || line.starts_with('>') || is_greeting(&folded) {
            continue;
        }
        return Some(line);
    }
    None
}

/// The answer one line gives, if it gives exactly one.
pub fn answer_in(line: &str) -> Option<ReplyWord> {
    let folded = fold(line);
    let clauses: Vec<Vec<&str>> = folded
        .split(is_separator)
        .map(|c| c.split_whitespace().collect::<Vec<_>>())
        .filter(|c| !c.is_empty())
        .collect();
    let mut clauses = clauses.iter().skip_while(|clause| clause.iter().all(|w| is_filler(w)));
    let word = clause_answer(clauses.next()?)?;
    match clauses.any(|clause| clause_answer(clause).is_some_and(|other| other != word)) {
        true => None,
        false => Some(word),
    }
}

/// The answer a clause is: one phrase, with only fillers around it. A
/// phrase may itself start with a filler word ("heute nicht", "hoy no"),
/// so the earliest place a phrase starts wins.
fn clause_answer(words: &[&str]) -> Option<ReplyWord> {
    let leading = words.iter().take_while(|w| is_filler(w)).count();
    (0..=leading.min(words.len().saturating_sub(1))).find_map(|start| phrase_at(&words[start..]))
}

/// The longest phrase `words` starts with, if nothing but fillers follow it.
fn phrase_at(words: &[&str]) -> Option<ReplyWord> {
    let (word, length) = words::PHRASES
        .iter()
        .flat_map(|(word, phrases)| phrases.iter().map(move |phrase| (*word, phrase)))
        .filter_map(|(word, phrase)| {
            let parts: Vec<&str> = phrase.split(' ').collect();
            words.starts_with(&parts).then_some((word, parts.len()))
        })
        .max_by_key(|(_, length)| *length)?;
    words[length..].iter().all(|w| is_filler(w)).then_some(word)
}

fn is_filler(word: &str) -> bool {
    words::FILLERS.contains(&word)
}

fn is_separator(c: char) -> bool {
    ",.!?;:()[]{}\"/-–—…¡¿".contains(c)
}

/// "On … wrote:" and its German and Spanish twins (Gmail and Apple Mail
/// may wrap it onto a second line), or a client's separator line.
fn starts_quote(folded: &str, next: &str) -> bool {
    if words::QUOTE_STARTS.iter().any(|start| folded.starts_with(start)) {
        return true;
    }
    let attribution = |line: &str| {
        let line = line.trim_end();
        (line.starts_with("on ") && line.ends_with("wrote:"))
            || (line.starts_with("am ") && line.contains("schrieb") && line.ends_with(':'))
            || (line.starts_with("el ") && line.contains("escribio") && line.ends_with(':'))
    };
    attribution(folded) || attribution(&format!("{folded} {next}"))
}

fn starts_signature(line: &str, folded: &str) -> bool {
    line == "--" || line == "-- " || words::SIGNATURE_STARTS.iter().any(|start| folded.starts_with(start))
}

/// A short salutation alone on its line: "Hi,", "Hallo tend!", "Hola Ana,".
fn is_greeting(folded: &str) -> bool {
    const GREETINGS: [&str; 11] =
        ["hi", "hey", "hello", "dear", "hallo", "liebe", "lieber", "moin", "hola", "querido", "querida"];
    let words: Vec<&str> =
        folded.split(|c: char| is_separator(c) || c.is_whitespace()).filter(|w| !w.is_empty()).collect();
    words.first().is_some_and(|first| GREETINGS.contains(first)) && words.len() <= 2
}

/// Lowercase, apostrophes dropped, accents folded, emoji and other symbols
/// turned into spaces; separators kept.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            '\'' | '’' | '`' | '´' => {}
            'á' | 'à' | 'â' | 'ä' | 'ã' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'í' | 'ì' | 'î' | 'ï' => out.push('i'),
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => out.push('o'),
            'ú' | 'ù' | 'û' | 'ü' => out.push('u'),
            'ñ' => out.push('n'),
            'ç' => out.push('c'),
            'ß' => out.push_str("ss"),
            c if c.is_alphanumeric() || c.is_whitespace() || is_separator(c) || c == '_' => out.push(c),
            _ => out.push(' '),
        }
    }
    out
}

#[cfg(test)]
mod tests;
