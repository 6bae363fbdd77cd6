use super::*;

#[test]
fn the_built_in_catalog_is_complete_on_its_own_with_eight_or_more_variants_per_track() {
    let catalog = Catalog::parse_standalone(BUILT_IN).unwrap();
    for track in Track::ALL {
        assert!(catalog.variants(track).len() >= 8, "{track}");
    }
    let built_in = Catalog::built_in();
    for locale in Locale::SUPPORTED.map(|l| Locale::parse(l).unwrap()) {
        for track in Track::ALL {
            assert!(built_in.own_variants(&locale, track).len() >= 8, "{locale} {track}");
        }
    }
    for kind in DeliveryKind::with_mail_words() {
        assert!(catalog.own_mail(&Locale::en(), kind).is_some(), "{kind:?}");
    }
    assert!(catalog.own_frame(&Locale::en()).is_some());
    assert!(catalog.own_notes(&Locale::en()).is_some());
}

#[test]
fn rotation_never_repeats_the_last_variant() {
    let catalog = Catalog::built_in();
    let mut last: Option<String> = None;
    for _ in 0..20 {
        let next = catalog.next_variant(&Locale::en(), Track::CheckIn, last.as_deref()).variant.clone();
        assert_ne!(Some(&next), last.as_ref());
        last = Some(next);
    }
}

#[test]
fn the_least_recently_seen_variant_comes_next_and_never_the_last_one() {
    let catalog = Catalog::built_in();
    let variants: Vec<&str> = catalog.variants(Track::Support).iter().map(|n| n.variant.as_str()).collect();
    let t = |d| DateTime::parse_from_rfc3339(d).unwrap().with_timezone(&Utc);
    let mut seen: HashMap<&str, DateTime<Utc>> = HashMap::new();
    assert_eq!(catalog.least_recent_variant(&Locale::en(), Track::Support, &seen, None).variant, variants[0]);
    for (i, v) in variants.iter().enumerate() {
        seen.insert(v, t("2026-01-01T00:00:00Z") + chrono::Duration::days(i as i64));
    }
    // The oldest is variants[0], unless it was the last one shown.
    assert_eq!(catalog.least_recent_variant(&Locale::en(), Track::Support, &seen, None).variant, variants[0]);
    assert_eq!(
        catalog.least_recent_variant(&Locale::en(), Track::Support, &seen, Some(variants[0])).variant,
        variants[1]
    );
    seen.remove(variants[3]);
    assert_eq!(
        catalog.least_recent_variant(&Locale::en(), Track::Support, &seen, None).variant,
        variants[3],
        "never seen first"
    );
}

fn entry(track: &str, variant: &str, subject: &str, body: &str) -> String {
    format!("[[nudge]]\ntrack = {track:?}\nvariant = {variant:?}\nsubject = {subject:?}\nbody = {body:?}\n")
}

#[test]
fn errors_name_the_bad_entry() {
    let mut text = String::new();
    for t in Track::ALL {
        text += &entry(t.key(), "a", "Hello", "Body one.");
        text += &entry(t.key(), "b", "Hello", "Body two.");
    }
    assert!(Catalog::parse(&text).is_ok());
    let bad = format!("{text}{}", entry("gardening", "a", "x", "y"));
    let err = format!("{:#}", Catalog::parse(&bad).unwrap_err());
    let number = format!("nudge #{}", 2 * Track::ALL.len() + 1);
    assert!(err.contains(&number) && err.contains("gardening"), "{err}");
    let bad = format!("{text}{}", entry("support", "c", "Line\nbreak", "y"));
    assert!(format!("{:#}", Catalog::parse(&bad).unwrap_err()).contains("variant \"c\""));
    let bad = format!("{text}{}", entry("support", "a", "dup", "y"));
    assert!(format!("{:#}", Catalog::parse(&bad).unwrap_err()).contains("used twice"));
    let short = entry("support", "a", "x", "y");
    assert!(format!("{:#}", Catalog::parse(&short).unwrap_err()).contains("needs at least"));
    let unknown_mail =
        "[en.mail.postcard]\nsubject='a'\nheading='a'\nbody='a'\nactions_intro='a'\naction='a'\nfooter='a'\n";
    assert!(format!("{:#}", Catalog::parse(unknown_mail).unwrap_err()).contains("mail \"postcard\": unknown mail"));
    assert!(format!("{:#}", Catalog::parse("[\"EN!\"]\n").unwrap_err()).contains("top-level key"));
}

#[test]
fn an_operator_file_replaces_only_the_tracks_and_tables_it_lists() {
    let built_in = Catalog::built_in();
    let mut text = String::new();
    text += &entry("support", "near-you", "Find help near you", "Look up one counsellor. Read their page.");
    text += &entry("support", "at-work", "Ask at work", "Some jobs pay for counselling. Ask today.");
    let catalog = Catalog::parse(&text).unwrap();
    assert_eq!(catalog.variants(Track::Support).len(), 2);
    assert_eq!(catalog.variants(Track::CheckIn), built_in.variants(Track::CheckIn));
    assert_eq!(catalog.mail(&Locale::en(), DeliveryKind::Welcome), built_in.mail(&Locale::en(), DeliveryKind::Welcome));
}

#[test]
fn a_translated_locale_reads_its_own_words_and_falls_back_to_en_for_the_rest() {
    let en = Catalog::built_in();
    let first = en.variants(Track::CheckIn)[0].clone();
    let text = format!(
        "[[fr.nudge]]\ntrack = 'check-in'\nvariant = {:?}\nsubject = 'Dix minutes au calme'\nbody = 'Demande.'\n\n\
         [fr.mail.keep_going]\nsubject='Encore?'\nheading='Encore?'\nbody='Oui.'\nactions_intro='Ici:'\naction='Continuer'\nfooter='Voilà.'\n",
        first.variant
    );
    let catalog = Catalog::parse(&text).unwrap();
    let fr = Locale::parse("fr").unwrap();
    assert_eq!(catalog.nudge_in(&fr, Track::CheckIn, &first.variant).unwrap().subject, "Dix minutes au calme");
    let second = &en.variants(Track::CheckIn)[1];
    assert_eq!(catalog.nudge_in(&fr, Track::CheckIn, &second.variant), Some(second), "en where fr has none");
    assert_eq!(
        catalog.rotation(&fr, Track::CheckIn),
        en.variants(Track::CheckIn),
        "a few translations rotate the en names"
    );
    assert_eq!(catalog.mail(&fr, DeliveryKind::KeepGoing).subject, "Encore?");
    assert_eq!(catalog.mail(&fr, DeliveryKind::Confirm), en.mail(&Locale::en(), DeliveryKind::Confirm));
    assert_eq!(catalog.notes(&fr), en.notes(&Locale::en()));
    let it = Locale::parse("it").unwrap();
    assert_eq!(catalog.mail(&it, DeliveryKind::Welcome), en.mail(&Locale::en(), DeliveryKind::Welcome));
}

#[test]
fn german_and_spanish_rotate_through_their_own_words() {
    let catalog = Catalog::built_in();
    for tag in ["de", "es"] {
        let locale = Locale::parse(tag).unwrap();
        let rotation = catalog.rotation(&locale, Track::Patience);
        assert!(rotation.len() >= 8 && rotation.iter().all(|n| n.locale == locale), "{tag}");
        assert!(rotation.iter().all(|n| catalog.nudge(Track::Patience, &n.variant).is_none()), "own names");
        let next = catalog.next_variant(&locale, Track::Patience, Some(&rotation[0].variant));
        assert_eq!(next, &rotation[1]);
        let shown = catalog.nudge_by_fingerprint(Track::Patience, variant_fingerprint(&rotation[2].variant));
        assert_eq!(shown, Some(&rotation[2]), "an answer link finds the text in its own language");
    }
}

#[test]
fn placeholders_are_found_and_broken_braces_are_reported() {
    let found = placeholders("You did {done} of {sent}. {not_yet} {Done!} {open } close}");
    assert_eq!(found[..3], [Ok("done"), Ok("sent"), Ok("not_yet")]);
    assert!(found[3..].iter().all(Result::is_err), "{found:?}");
    assert_eq!(placeholders("{unclosed"), [Err("{unclosed")]);
    assert_eq!(fill("{done} of {sent}", &[("done", "3"), ("sent", "4")]), "3 of 4");
}
