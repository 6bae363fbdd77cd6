//! Words, sentences, syllables and the reading-ease score made for each
//! language ([`Formula`]):
//!
//! - English, Flesch (1948):
//!   `206.835 - 1.015 x (words / sentences) - 84.6 x (syllables / words)`;
//! - German, Amstad's adaptation of Flesch (1978):
//!   `180 - (words / sentences) - 58.5 x (syllables / words)`;
//! - Spanish, Fernández Huerta (1959, in the form corrected by Law, 2011):
//!   `206.84 - 0.60 x (syllables per 100 words) - 1.02 x (sentences per 100 words)`.
//!
//! All three read alike: higher is easier, 60-70 is plain everyday text. The
//! syllable counts are heuristics of our own (vowel groups, with the rules
//! each language needs: English silent endings, German diphthongs, Spanish
//! diphthongs and hiatus); they are exact for most short everyday words and
//! off by one on some longer ones, which moves a 40-word passage's score by a
//! few points at most. Any other locale is scored with the English formula.

mod german;
mod spanish;

use crate::domain::Locale;

/// The reading-ease formula for a locale's texts, and the least score the
/// rubric accepts (config/RUBRIC.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formula {
    Flesch,
    Amstad,
    FernandezHuerta,
}

impl Formula {
    pub fn for_locale(locale: &Locale) -> Self {
        match locale.language() {
            "de" => Formula::Amstad,
            "es" => Formula::FernandezHuerta,
            _ => Formula::Flesch,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Formula::Flesch => "Flesch reading ease",
            Formula::Amstad => "Amstad reading ease",
            Formula::FernandezHuerta => "Fernández Huerta reading ease",
        }
    }

    /// The rubric's least acceptable score: 60, plain everyday text, on
    /// each formula's scale (Amstad and Fernández Huerta calibrated theirs to
    /// read like Flesch's).
    pub fn minimum(self) -> f64 {
        match self {
            Formula::Flesch | Formula::Amstad | Formula::FernandezHuerta => 60.0,
        }
    }

    /// Syllables in one word, by the language's rules.
    pub fn syllables(self, word: &str) -> usize {
        match self {
            Formula::Flesch => syllables(word),
            Formula::Amstad => german::syllables(word),
            Formula::FernandezHuerta => spanish::syllables(word),
        }
    }

    pub fn counts(self, text: &str) -> Counts {
        let words = words(text);
        Counts {
            words: words.len(),
            sentences: sentences(text).len().max(1),
            syllables: words.iter().map(|w| self.syllables(w)).sum(),
        }
    }

    /// The score of a passage; `None` for a passage without words.
    pub fn score(self, text: &str) -> Option<f64> {
        let c = self.counts(text);
        if c.words == 0 {
            return None;
        }
        let (w, s, y) = (c.words as f64, c.sentences as f64, c.syllables as f64);
        Some(match self {
            Formula::Flesch => 206.835 - 1.015 * (w / s) - 84.6 * (y / w),
            Formula::Amstad => 180.0 - (w / s) - 58.5 * (y / w),
            Formula::FernandezHuerta => 206.84 - 0.60 * (100.0 * y / w) - 1.02 * (100.0 * s / w),
        })
    }
}

/// A word is a run of letters, digits and inner apostrophes; lowercased,
/// with typographic apostrophes folded to `'`.
pub fn words(text: &str) -> Vec<String> {
    let folded = text.replace(['\u{2019}', '\u{2018}'], "'").to_lowercase();
    folded
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(str::to_owned)
        .collect()
}

/// Sentences: runs of text ended by `.`, `!` or `?` (a run of them counts
/// once), or by the end of a paragraph. Empty pieces do not count.
pub fn sentences(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for paragraph in text.split("\n\n") {
        let mut current = String::new();
        let mut chars = paragraph.chars().peekable();
        while let Some(c) = chars.next() {
            current.push(c);
            let ends = matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| n.is_whitespace());
            if ends {
                push_sentence(&mut found, &mut current);
            }
        }
        push_sentence(&mut found, &mut current);
    }
    found
}

fn push_sentence(found: &mut Vec<String>, current: &mut String) {
    let sentence = current.split_whitespace().collect::<Vec<_>>().join(" ");
    if sentence.chars().any(char::is_alphanumeric) {
        found.push(sentence);
    }
    current.clear();
}

/// Syllables in one English word (at least one). Numbers count one per
/// digit group.
pub fn syllables(word: &str) -> usize {
    let letters: String = word.to_lowercase().chars().filter(char::is_ascii_alphabetic).collect();
    if letters.is_empty() {
        return 1;
    }
    if letters.len() <= 3 {
        return 1;
    }
    let stem = strip_silent_ending(&letters);
    let mut count = 0;
    let mut previous_vowel = false;
    for (i, c) in stem.chars().enumerate() {
        // A leading y is a consonant (yes, you, your).
        let vowel = matches!(c, 'a' | 'e' | 'i' | 'o' | 'u') || (c == 'y' && i > 0);
        if vowel && !previous_vowel {
            count += 1;
        }
        previous_vowel = vowel;
    }
    count.max(1)
}

/// Drops an ending that adds no syllable: the silent `e` (make, promise),
/// `es` after most consonants (makes), `ed` except after t or d (walked, but
/// want-ed). A consonant + `le` ending is spoken (ta-ble) and stays.
fn strip_silent_ending(word: &str) -> &str {
    let bytes = word.as_bytes();
    let n = bytes.len();
    let before = |k: usize| bytes.get(n.wrapping_sub(k)).copied().map(char::from);
    let is_vowel = |c: Option<char>| c.is_some_and(|c| "aeiouy".contains(c));
    if word.ends_with("ed") && !matches!(before(3), Some('t' | 'd')) && !is_vowel(before(3)) {
        return &word[..n - 2];
    }
    if word.ends_with("es") && !matches!(before(3), Some('s' | 'x' | 'z' | 'c' | 'g' | 'h')) && !is_vowel(before(3)) {
        return &word[..n - 2];
    }
    if word.ends_with('e') && !word.ends_with("ee") {
        let spoken_le = word.ends_with("le") && !is_vowel(before(3));
        if !spoken_le {
            return &word[..n - 1];
        }
    }
    word
}

/// The counts the score is made of, for messages and tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counts {
    pub words: usize,
    pub sentences: usize,
    pub syllables: usize,
}

/// The English counts of a passage.
pub fn counts(text: &str) -> Counts {
    Formula::Flesch.counts(text)
}

/// Flesch reading ease of an English passage; `None` for a passage without words.
pub fn flesch_reading_ease(text: &str) -> Option<f64> {
    Formula::Flesch.score(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_of_everyday_words() {
        let table = [
            ("the", 1),
            ("cat", 1),
            ("trust", 1),
            ("keep", 1),
            ("comes", 1),
            ("make", 1),
            ("walked", 1),
            ("wanted", 2),
            ("slowly", 2),
            ("promise", 2),
            ("today", 2),
            ("table", 2),
            ("partner", 2),
            ("agree", 2),
            ("boxes", 2),
            ("changes", 2),
            ("together", 3),
            ("yesterday", 3),
            ("apology", 4),
            ("understanding", 4),
            ("facilitates", 4),
            ("communication", 5),
            ("10", 1),
        ];
        for (word, expected) in table {
            assert_eq!(syllables(word), expected, "{word}");
        }
    }

    #[test]
    fn sentences_end_at_stops_and_paragraphs() {
        assert_eq!(sentences("Ask. Then listen! Why? Because...").len(), 4);
        assert_eq!(sentences("Say, I hear you, and wait. It is 3.5 times easier").len(), 2);
        assert_eq!(sentences("First paragraph without a stop\n\nSecond one.").len(), 2);
        assert_eq!(sentences("  \n\n ").len(), 0);
    }

    fn close(actual: Option<f64>, expected: f64) {
        let actual = actual.unwrap();
        assert!((actual - expected).abs() < 0.01, "{actual} != {expected}");
    }

    // Each expected score is worked out by hand from the formula:
    // 206.835 - 1.015 x words/sentences - 84.6 x syllables/words.
    #[test]
    fn a_one_sentence_of_one_syllable_words() {
        // 6 words, 1 sentence, 6 syllables: 206.835 - 6.09 - 84.6 = 116.145
        assert_eq!(counts("The cat sat on the mat."), Counts { words: 6, sentences: 1, syllables: 6 });
        close(flesch_reading_ease("The cat sat on the mat."), 116.145);
    }

    #[test]
    fn a_short_nudge() {
        // Trust(1) comes(1) back(1) slow-ly(2). Keep(1) one(1) small(1)
        // prom-ise(2) to-day(2). 9 words, 2 sentences, 12 syllables:
        // 206.835 - 1.015 x 4.5 - 84.6 x 12/9 = 206.835 - 4.5675 - 112.8 = 89.4675
        let text = "Trust comes back slowly. Keep one small promise today.";
        assert_eq!(counts(text), Counts { words: 9, sentences: 2, syllables: 12 });
        close(flesch_reading_ease(text), 89.4675);
    }

    #[test]
    fn a_passage_with_apostrophes_and_two_paragraphs() {
        // It's(1) fine(1) to(1) say(1) no(1). \n\n You(1) can(1) of-fer(2)
        // less(1) and(1) keep(1) it(1). 12 words, 2 sentences, 13 syllables:
        // 206.835 - 1.015 x 6 - 84.6 x 13/12 = 206.835 - 6.09 - 91.65 = 109.095
        let text = "It's fine to say no.\n\nYou can offer less and keep it.";
        assert_eq!(counts(text), Counts { words: 12, sentences: 2, syllables: 13 });
        close(flesch_reading_ease(text), 109.095);
    }

    #[test]
    fn dense_clinical_prose_scores_far_below_sixty() {
        // com-mu-ni-ca-tion(5) fa-cil-i-tates(4) un-der-stand-ing(4): 3 words,
        // 1 sentence, 13 syllables: 206.835 - 3.045 - 84.6 x 13/3 = -162.81
        close(flesch_reading_ease("Communication facilitates understanding."), -162.81);
        assert_eq!(flesch_reading_ease("..."), None);
    }
}
