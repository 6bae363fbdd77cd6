//! Syllables of Spanish words: one per vowel nucleus. Two vowels side by
//! side share a syllable (a diphthong) when one of them is an unstressed
//! i, u or ü (ciu-dad, a-gua); two strong vowels (a, e, o) are two
//! syllables (pa-se-o), and so is a stressed í or ú beside any vowel
//! (dí-a, re-ú-ne). A final y after a vowel is a vowel (hoy, muy). The u of
//! "que", "qui", "gue", "gui" is silent (guí-a).

#[derive(Clone, Copy, PartialEq, Eq)]
enum Vowel {
    Strong,
    /// i, u, ü without an accent, or a final y.
    Weak,
    /// í or ú: always a syllable of its own.
    StressedWeak,
}

fn vowel(c: char, at_end: bool) -> Option<Vowel> {
    match c {
        'a' | 'e' | 'o' | 'á' | 'é' | 'ó' => Some(Vowel::Strong),
        'i' | 'u' | 'ü' => Some(Vowel::Weak),
        'y' if at_end => Some(Vowel::Weak),
        'í' | 'ú' => Some(Vowel::StressedWeak),
        _ => None,
    }
}

/// The u of que, qui, gue, gui (not güe, güi) is not spoken.
fn silent_u(letters: &[char], i: usize) -> bool {
    letters[i] == 'u'
        && i > 0
        && matches!(letters[i - 1], 'q' | 'g')
        && letters.get(i + 1).is_some_and(|next| matches!(next, 'e' | 'i' | 'é' | 'í'))
}

/// Syllables in one word (at least one).
pub fn syllables(word: &str) -> usize {
    let letters: Vec<char> = word.to_lowercase().chars().filter(|c| c.is_alphabetic()).collect();
    let mut count = 0;
    let mut previous: Option<Vowel> = None;
    for (i, &c) in letters.iter().enumerate() {
        if silent_u(&letters, i) {
            continue;
        }
        let current = vowel(c, i + 1 == letters.len());
        if let Some(v) = current {
            let diphthong = previous.is_some_and(|p| {
                let one_weak = p == Vowel::Weak || v == Vowel::Weak;
                let no_stressed = p != Vowel::StressedWeak && v != Vowel::StressedWeak;
                one_weak && no_stressed
            });
            if !diphthong {
                count += 1;
            }
        }
        previous = current;
    }
    count.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_of_everyday_spanish_words() {
        let table = [
            ("hoy", 1),
            ("que", 1),
            ("paseo", 3),
            ("ciudad", 2),
            ("día", 2),
            ("confianza", 3),
            ("escucha", 3),
            ("pareja", 3),
            ("tranquilos", 3),
            ("puedes", 2),
            ("guía", 2),
            ("compromiso", 4),
            ("terapia", 3),
        ];
        for (word, expected) in table {
            assert_eq!(syllables(word), expected, "{word}");
        }
    }
}
