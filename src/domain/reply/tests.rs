use proptest::prelude::*;

use super::*;

const QUOTED_NUDGE: &str = "\
On Mon, 1 Dec 2026 at 08:30, tend <nudges@example.org> wrote:
> Ask what still feels hard
>
> Today, ask one open question: what part still feels hard for you?
> - Done: https://tend.example.org/n/abc?a=done
";

fn reply(first: &str) -> String {
    format!("{first}\n\n{QUOTED_NUDGE}")
}

#[test]
fn the_words_people_write_are_read_in_three_languages() {
    let cases = [
        ("Done, thanks!", ReplyWord::Done),
        ("done!", ReplyWord::Done),
        ("DID IT 🎉", ReplyWord::Done),
        ("Yes", ReplyWord::Done),
        ("✅ done", ReplyWord::Done),
        ("ok, done. It went well", ReplyWord::Done),
        ("Erledigt, danke!", ReplyWord::Done),
        ("Hab ich gemacht.", ReplyWord::Done),
        ("¡Sí, lo hice!", ReplyWord::Done),
        ("Listo 👍", ReplyWord::Done),
        ("partly", ReplyWord::Partly),
        ("Sort of.", ReplyWord::Partly),
        ("Teilweise", ReplyWord::Partly),
        ("más o menos", ReplyWord::Partly),
        ("Not yet", ReplyWord::NotYet),
        ("No, not yet.", ReplyWord::NotYet),
        ("I didn't", ReplyWord::NotYet),
        ("Noch nicht", ReplyWord::NotYet),
        ("Leider nicht 😕", ReplyWord::NotYet),
        ("Todavía no", ReplyWord::NotYet),
        ("tomorrow please", ReplyWord::Tomorrow),
        ("Skip", ReplyWord::Tomorrow),
        ("Remind me tomorrow!", ReplyWord::Tomorrow),
        ("Morgen bitte", ReplyWord::Tomorrow),
        ("Später", ReplyWord::Tomorrow),
        ("Mañana, por favor", ReplyWord::Tomorrow),
        ("pause this track", ReplyWord::Pause),
        ("Pausieren bitte", ReplyWord::Pause),
        ("Pausar", ReplyWord::Pause),
    ];
    for (line, word) in cases {
        assert_eq!(read_reply(&reply(line)), Some(word), "{line:?}");
    }
}

#[test]
fn unclear_replies_are_not_guessed() {
    for line in [
        "Thanks for this, I'll think about it",
        "yes, partly",
        "done most of it",
        "What does this mean?",
        "👍",
        "Can we talk?",
        "Nein, erledigt",
        "",
    ] {
        assert_eq!(read_reply(&reply(line)), None, "{line:?}");
    }
}

#[test]
fn the_first_meaningful_line_skips_greetings_and_stops_at_quotes_and_signatures() {
    assert_eq!(first_meaningful_line("Hi tend,\n\nDone, thanks!\n-- \nAnna"), Some("Done, thanks!"));
    assert_eq!(first_meaningful_line("> Done\nnot yet"), Some("not yet"));
    assert_eq!(first_meaningful_line("\n\nSent from my iPhone\n\n> Done"), None);
    assert_eq!(first_meaningful_line(QUOTED_NUDGE), None);
    let german = "Am 01.12.2026 um 08:30 schrieb tend <nudges@example.org>:\n> Erledigt";
    assert_eq!(first_meaningful_line(german), None);
    let spanish = "El lun, 1 dic 2026 a las 8:30, tend (<nudges@example.org>) escribió:\n> Hecho";
    assert_eq!(first_meaningful_line(spanish), None);
    let wrapped = "On Mon, 1 Dec 2026 at 08:30, tend <\nnudges@example.org> wrote:\n> done";
    assert_eq!(first_meaningful_line(wrapped), None);
    let outlook = "\n________________________________\nFrom: tend <nudges@example.org>\nSent: Monday\n";
    assert_eq!(first_meaningful_line(outlook), None);
    assert_eq!(first_meaningful_line("Von meinem iPhone gesendet"), None);
}

#[test]
fn every_phrase_belongs_to_one_answer_and_reads_as_it() {
    for (word, phrases) in words::PHRASES {
        for phrase in phrases {
            assert_eq!(fold(phrase), *phrase, "phrases are written folded: {phrase:?}");
            assert_eq!(answer_in(phrase), Some(word), "{phrase:?}");
            let elsewhere = words::PHRASES.iter().filter(|(_, list)| list.contains(phrase)).count();
            assert_eq!(elsewhere, 1, "{phrase:?} is in two lists");
            assert!(!words::FILLERS.contains(phrase), "{phrase:?} is a filler too");
        }
    }
}

#[test]
fn each_word_presses_its_button() {
    assert_eq!(ReplyWord::Done.action(), Action::Done);
    assert_eq!(ReplyWord::Tomorrow.action(), Action::Snooze);
    assert_eq!(ReplyWord::Pause.action(), Action::PauseTrack);
}

proptest! {
    #[test]
    fn any_text_is_read_or_left_unclear_without_panicking(text in "\\PC{0,300}") {
        let _ = read_reply(&text);
    }

    #[test]
    fn any_mix_of_lines_quotes_and_words_is_read_without_panicking(
        lines in proptest::collection::vec(
            prop_oneof![
                "(>|-- |On |Am |El |Sent from my )?[a-zA-Zäöüñé ,.!:👍]{0,40}".prop_map(|s| s),
                Just("wrote:".to_owned()),
                Just("\r".to_owned()),
            ],
            0..12,
        )
    ) {
        let _ = read_reply(&lines.join("\n"));
    }
}
