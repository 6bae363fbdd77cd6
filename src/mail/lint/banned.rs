//! The banned-phrases lists (`config/banned-phrases.txt`, and one per
//! language tend ships: `.de.txt`, `.es.txt`) and matching them.
//!
//! One phrase a line; `#` starts a comment. Matching is by whole words,
//! ignoring case and punctuation, so `again` catches "Again," but not
//! "against". A trailing `*` on the last word matches any ending
//! (`diagnos*` catches "diagnose" and "diagnosis").

use super::readability::words;

use crate::domain::Locale;

const BUILT_IN: &str = include_str!("../../../config/banned-phrases.txt");
const GERMAN: &str = include_str!("../../../config/banned-phrases.de.txt");
const SPANISH: &str = include_str!("../../../config/banned-phrases.es.txt");

#[derive(Debug, Clone)]
pub struct BannedPhrases {
    phrases: Vec<Phrase>,
}

#[derive(Debug, Clone)]
struct Phrase {
    /// As written in the list, for messages.
    text: String,
    words: Vec<String>,
    /// The last word is a prefix.
    open_ended: bool,
}

impl BannedPhrases {
    /// The English list.
    pub fn built_in() -> Self {
        Self::parse(BUILT_IN)
    }

    /// The list written for a locale's language; the English one for a
    /// language without its own.
    pub fn for_locale(locale: &Locale) -> Self {
        match locale.language() {
            "de" => Self::parse(GERMAN),
            "es" => Self::parse(SPANISH),
            _ => Self::built_in(),
        }
    }

    pub fn parse(list: &str) -> Self {
        let phrases = list
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default().trim())
            .filter(|line| !line.is_empty())
            .map(|line| {
                let open_ended = line.ends_with('*');
                Phrase { text: line.to_owned(), words: words(line.trim_end_matches('*')), open_ended }
            })
            .filter(|p| !p.words.is_empty())
            .collect();
        Self { phrases }
    }

    /// Every listed phrase that occurs in `text`, as the list writes it.
    pub fn found_in(&self, text: &str) -> Vec<&str> {
        let text = words(text);
        self.phrases.iter().filter(|p| p.occurs_in(&text)).map(|p| p.text.as_str()).collect()
    }
}

impl Phrase {
    fn occurs_in(&self, text: &[String]) -> bool {
        let n = self.words.len();
        text.windows(n).any(|window| {
            window.iter().zip(&self.words).enumerate().all(|(i, (have, want))| {
                if self.open_ended && i == n - 1 { have.starts_with(want.as_str()) } else { have == want }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_whole_words_ignoring_case_and_punctuation() {
        let list = BannedPhrases::parse("# guilt\nagain\nshould have   # regret\ndiagnos*\n\n");
        assert_eq!(list.found_in("Try it. Again, gently."), ["again"]);
        assert!(list.found_in("Lean against the wall.").is_empty());
        assert_eq!(list.found_in("You SHOULD\nhave known."), ["should have"]);
        assert!(list.found_in("You should, have a rest.").len() == 1, "punctuation does not split a phrase");
        assert_eq!(list.found_in("No diagnosis here."), ["diagnos*"]);
    }

    #[test]
    fn the_built_in_list_names_the_rubric_examples() {
        let list = BannedPhrases::built_in();
        for phrase in ["You failed today.", "Try again.", "You should have called.", "Share your password."] {
            assert!(!list.found_in(phrase).is_empty(), "{phrase}");
        }
    }
}
