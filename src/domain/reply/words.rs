//! The words people write back, in English, German and Spanish, as the
//! reader compares them: lowercase, apostrophes dropped, accents folded
//! (`sí` is `si`, `mañana` is `manana`, `später` is `spater`, `ß` is `ss`).
//! A clause is an answer when it is one of these phrases, with only
//! politeness ([`FILLERS`]) around it.

use super::ReplyWord;

/// Each answer's phrases, every language together (no phrase is in two lists).
pub(super) const PHRASES: [(ReplyWord, &[&str]); 5] = [
    (ReplyWord::Done, DONE),
    (ReplyWord::Partly, PARTLY),
    (ReplyWord::NotYet, NOT_YET),
    (ReplyWord::Tomorrow, TOMORROW),
    (ReplyWord::Pause, PAUSE),
];

const DONE: &[&str] = &[
    // en
    "done",
    "done it",
    "all done",
    "did it",
    "i did it",
    "i did",
    "did",
    "yes",
    "yes i did",
    "yep",
    "yeah",
    "yup",
    "y",
    "sure did",
    "completed",
    "complete",
    "finished",
    "it went well",
    "went well",
    "it worked",
    "success",
    // de
    "erledigt",
    "gemacht",
    "hab ich gemacht",
    "habe ich gemacht",
    "ich habs gemacht",
    "hab ich",
    "habe ich",
    "ja",
    "jap",
    "jep",
    "geschafft",
    "hab es geschafft",
    "hat geklappt",
    "fertig",
    "ist erledigt",
    // es
    "hecho",
    "listo",
    "lo hice",
    "ya lo hice",
    "si",
    "si lo hice",
    "terminado",
    "conseguido",
    "salio bien",
];

const PARTLY: &[&str] = &[
    // en
    "partly",
    "partially",
    "partly done",
    "sort of",
    "kind of",
    "kinda",
    "a bit",
    "a little",
    "somewhat",
    "half",
    "halfway",
    "half done",
    "some of it",
    // de
    "teilweise",
    "halb",
    "zum teil",
    "ein bisschen",
    "ein wenig",
    "so halb",
    "halbwegs",
    // es
    "en parte",
    "parcialmente",
    "a medias",
    "mas o menos",
    "un poco",
];

const NOT_YET: &[&str] = &[
    // en
    "not yet",
    "no",
    "nope",
    "nah",
    "not done",
    "not really",
    "didnt",
    "i didnt",
    "did not",
    "i did not",
    "havent",
    "i havent",
    "no not yet",
    "not yet sorry",
    "missed it",
    "i missed it",
    // de
    "noch nicht",
    "nein",
    "nee",
    "ne",
    "nicht",
    "leider nicht",
    "leider noch nicht",
    "nicht geschafft",
    "hab ich nicht",
    "habe ich nicht",
    "noch nicht geschafft",
    // es
    "todavia no",
    "aun no",
    "no lo hice",
    "no pude",
    "todavia no lo hice",
    "aun no lo hice",
];

const TOMORROW: &[&str] = &[
    // en
    "tomorrow",
    "remind me tomorrow",
    "tomorrow please",
    "ask me tomorrow",
    "later",
    "snooze",
    "skip",
    "skip today",
    "not today",
    "maybe tomorrow",
    // de
    "morgen",
    "morgen bitte",
    "erinnere mich morgen",
    "spater",
    "spaeter",
    "nicht heute",
    "heute nicht",
    "uberspringen",
    "ueberspringen",
    "auslassen",
    "vielleicht morgen",
    // es
    "manana",
    "recuerdamelo manana",
    "mas tarde",
    "hoy no",
    "saltar",
    "omitir",
    "quiza manana",
];

const PAUSE: &[&str] = &[
    // en
    "pause",
    "pause this",
    "pause it",
    "pause this track",
    "pause track",
    "pause the track",
    "take a break",
    // de
    "pausieren",
    "pausiere",
    "track pausieren",
    "diesen track pausieren",
    "eine pause",
    "pause machen",
    // es
    "pausar",
    "pausa",
    "pausar esto",
    "pausar este",
    "pausar esta pista",
    "hacer una pausa",
];

/// Words that may come before or after an answer without changing it.
pub(super) const FILLERS: &[&str] = &[
    "thanks", "thank", "you", "thx", "ty", "please", "pls", "plz", "ok", "okay", "oh", "hi", "hey", "hello", "today",
    "sorry", "danke", "dank", "vielen", "schon", "bitte", "hallo", "heute", "gracias", "muchas", "por", "favor",
    "hola", "hoy", "tend",
];

/// Lines that start a quoted message in the clients people use (after
/// folding): `On … wrote:`, `Am … schrieb …:`, `El … escribió:`, Outlook's
/// separators and the first line of its quoted header block.
pub(super) const QUOTE_STARTS: &[&str] = &[
    "-----original message-----",
    "-----ursprungliche nachricht-----",
    "-----mensaje original-----",
    "________________________________",
    "from:",
    "von:",
    "de:",
];

/// Lines that start a signature or a client's tag line.
pub(super) const SIGNATURE_STARTS: &[&str] = &[
    "-- ",
    "sent from my",
    "get outlook for",
    "von meinem",
    "gesendet von",
    "enviado desde mi",
    "obtener outlook para",
];

/// Subjects of out-of-office and vacation replies.
pub(super) const VACATION_SUBJECTS: &[&str] = &[
    // en
    "out of office",
    "out of the office",
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "auto response",
    "autoresponse",
    "vacation",
    "on holiday",
    "on leave",
    "away from",
    "away until",
    // de
    "abwesenheitsnotiz",
    "abwesenheit",
    "automatische antwort",
    "abwesend",
    "urlaub",
    "nicht im buro",
    "ausser haus",
    // es
    "fuera de la oficina",
    "fuera de oficina",
    "respuesta automatica",
    "de vacaciones",
    "ausente",
];
