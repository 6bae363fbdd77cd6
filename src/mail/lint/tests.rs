use super::*;

#[test]
fn the_built_in_catalog_passes_every_rule() {
    let problems = lint(&Catalog::built_in());
    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{}", list.join("\n"));
}

#[test]
fn shared_words_is_the_overlap_of_distinct_words_over_the_smaller_set() {
    // {ask, one, question} vs {ask, one, small, thing, today}: 2 shared / 3.
    assert!((shared_words("Ask one question.", "Ask one small thing today, one.") - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(shared_words("Walk.", "Talk."), 0.0);
    assert_eq!(shared_words("", "Talk."), 0.0);
}

#[test]
fn problems_name_locale_track_variant_and_reason() {
    let problem = Problem {
        locale: Locale::en(),
        entry: Entry::Nudge { track: Track::Support, variant: "ask-your-gp".into() },
        rule: Rule::SubjectLength,
        reason: "subject has 64 characters (at most 60)".into(),
    };
    assert_eq!(problem.to_string(), "[en] track support, variant ask-your-gp: subject has 64 characters (at most 60)");
}
