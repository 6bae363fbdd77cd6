//! Syllables of German words: one per vowel, where a diphthong or a long
//! vowel spelled with two letters (ai, au, äu, ei, eu, ey, ie, aa, ee, oo) is
//! one. German spells no silent vowel, so the rest is counting: Ver-trau-en
//! (au, then e), The-a-ter, Ra-di-o. An ie spoken as two (Fa-mi-li-e) counts
//! one short; rare in everyday words.

const PAIRS: [&str; 10] = ["ai", "au", "äu", "ei", "eu", "ey", "ie", "aa", "ee", "oo"];

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'ä' | 'ö' | 'ü' | 'y')
}

/// Syllables in one word (at least one).
pub fn syllables(word: &str) -> usize {
    let letters: Vec<char> = word.to_lowercase().chars().filter(|c| c.is_alphabetic()).collect();
    let mut count = 0;
    let mut i = 0;
    while i < letters.len() {
        if !is_vowel(letters[i]) {
            i += 1;
            continue;
        }
        count += 1;
        let pair: String = letters[i..letters.len().min(i + 2)].iter().collect();
        i += if PAIRS.contains(&pair.as_str()) { 2 } else { 1 };
    }
    count.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_of_everyday_german_words() {
        let table = [
            ("du", 1),
            ("heute", 2),
            ("Vertrauen", 3),
            ("Gegenüber", 4),
            ("zuhören", 3),
            ("Zeit", 1),
            ("einfach", 2),
            ("Gespräch", 2),
            ("Entschuldigung", 4),
            ("Beratungsstelle", 5),
            ("ruhig", 2),
            ("spazieren", 3),
            ("neue", 2),
            ("Theater", 3),
        ];
        for (word, expected) in table {
            assert_eq!(syllables(word), expected, "{word}");
        }
    }
}
