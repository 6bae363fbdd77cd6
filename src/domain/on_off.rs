//! On/off choices as people type them: a form checkbox (`on`), a JSON
//! boolean (`true`), a CSV cell (`yes`), a flag. One parser for all of them,
//! so `discreet=maybe` is refused the same way everywhere.

/// A value that is not one of the accepted spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("choose on or off (also accepted: true, false, yes, no)")]
pub struct OnOffError;

/// `on`, `true`, `yes` are on; `off`, `false`, `no` are off; case and
/// surrounding white space are ignored. Anything else, the empty string
/// included, is an error: a caller with a default applies it before asking.
pub fn parse_on_off(input: &str) -> Result<bool, OnOffError> {
    match input.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(OnOffError),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_on_and_off_parses_and_nothing_else_does() {
        for on in ["on", "ON", " true ", "Yes"] {
            assert_eq!(parse_on_off(on), Ok(true), "{on}");
        }
        for off in ["off", "False", "no"] {
            assert_eq!(parse_on_off(off), Ok(false), "{off}");
        }
        for bad in ["maybe", "", "1", "onn", "y"] {
            assert_eq!(parse_on_off(bad), Err(OnOffError), "{bad}");
        }
    }
}
