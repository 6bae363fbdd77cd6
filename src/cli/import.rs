//! `tend subscriber import FILE.csv [--preconfirmed]`: bulk import.
//!
//! The file has a header line naming its columns: `email` is required;
//! `timezone`, `time`, `tracks`, `discreet` and `locale` are optional, in
//! any order (the usual header is `email,timezone,time,tracks`). Tracks are
//! separated by `;`; `discreet` is on, off, true, false, yes or no; `locale`
//! is en, de or es. Empty fields take the defaults (UTC, 08:30, the default
//! tracks, not discreet, en). Fields
//! may be wrapped in double quotes, with `""` for a quote inside.
//!
//! Each row is checked on its own: a bad row is reported on stderr with its
//! row number (the file's line number, the header being row 1) and the
//! reason, and the good rows are imported. Only addresses tend does not know
//! yet are added; a known address, whatever its status, is left alone. That
//! makes a second run of the same file change nothing and send nothing, and it
//! means an import never re-subscribes someone who unsubscribed. New
//! subscribers confirm by double opt-in (through `subscriptions::subscribe`,
//! which queues the mail and applies the per-address limit) unless the
//! operator says `--preconfirmed`. A row whose inbox has had its
//! confirmation mails for now is not added: importing the file again later
//! adds it.
//!
//! Exit status: 0 if every row was imported or already known, 2 if any row
//! was rejected or the file itself is unusable, 1 on a database failure.

use std::path::Path;

use sqlx::PgPool;

use super::UsageError;
use super::progress::Progress;
use crate::domain::Scheduling;
use crate::domain::{Locale, SubscriberEmail, TimeOfDay, TimeZone, Track, TrackSet, parse_on_off};
use crate::store::{self, subscribers::Preferences};
use crate::subscriptions::{self, SubscribeOutcome, SubscribeRequest};

const DEFAULT_ZONE: &str = "UTC";
const DEFAULT_TIME: &str = "08:30";
const COLUMNS: [&str; 6] = ["email", "timezone", "time", "tracks", "discreet", "locale"];
/// The header an error message suggests: the optional `discreet` and
/// `locale` are left out.
const USUAL_HEADER: &str = "email,timezone,time,tracks";

pub struct ImportOptions {
    pub preconfirmed: bool,
    pub max_per_day: u32,
    pub scheduling: Scheduling,
}

/// What happened to the rows of one file.
#[derive(Debug, Default)]
struct Tally {
    queued: u64,
    activated: u64,
    rate_limited: u64,
    known: u64,
    rejected: u64,
}

pub async fn run(pool: &PgPool, path: &Path, options: ImportOptions) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    let requests = parse_requests(&text, &options).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    let mut progress = Progress::new("import", requests.len() as u64);
    let mut tally = Tally::default();
    for request in requests {
        match request {
            Ok(request) => import_one(pool, request, options.scheduling, &mut tally).await?,
            Err(message) => {
                tally.rejected += 1;
                progress.note(&message);
            }
        }
        progress.tick();
    }
    progress.finish();
    let total = tally.queued + tally.activated + tally.rate_limited + tally.known + tally.rejected;
    println!(
        "{}: {} rows: {} added ({} confirmation mails queued, {} active), {} not added yet (their inbox has had \
         its confirmation mails for now; import the file again later), {} already known, {} rejected",
        path.display(),
        total,
        tally.queued + tally.activated,
        tally.queued,
        tally.activated,
        tally.rate_limited,
        tally.known,
        tally.rejected
    );
    if tally.rejected > 0 {
        return Err(UsageError(format!(
            "{} of {total} rows were rejected (reasons above); the other rows were imported",
            tally.rejected
        ))
        .into());
    }
    Ok(())
}

async fn import_one(
    pool: &PgPool,
    request: SubscribeRequest,
    scheduling: Scheduling,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    if store::subscribers::find_by_email(pool, &request.email).await?.is_some() {
        tally.known += 1;
        return Ok(());
    }
    match subscriptions::subscribe(pool, request, scheduling).await? {
        SubscribeOutcome::ConfirmationQueued { .. } => tally.queued += 1,
        SubscribeOutcome::Activated { .. } => tally.activated += 1,
        SubscribeOutcome::RateLimited => tally.rate_limited += 1,
        // Someone subscribed between our look-up and now.
        SubscribeOutcome::AlreadySubscribed { .. } => tally.known += 1,
    }
    Ok(())
}

/// Where each known column sits in a row.
#[derive(Debug, PartialEq)]
struct Columns {
    count: usize,
    email: usize,
    timezone: Option<usize>,
    time: Option<usize>,
    tracks: Option<usize>,
    discreet: Option<usize>,
    locale: Option<usize>,
}

/// A data row: its row number and its fields, or why it could not be split.
type Row = (usize, Result<Vec<String>, String>);

/// Every data row of a file as a subscribe request, or why it is refused
/// (`row N: reason`); `Err` if the file itself is unusable (no header, an
/// unknown column). Pure: no database, nothing written.
pub fn parse_requests(text: &str, options: &ImportOptions) -> Result<Vec<Result<SubscribeRequest, String>>, String> {
    let (columns, rows) = parse_file(text)?;
    Ok(rows
        .into_iter()
        .map(|(row_number, fields)| {
            fields
                .and_then(|fields| columns.request(&fields, options))
                .map_err(|reason| format!("row {row_number}: {reason}"))
        })
        .collect())
}

fn parse_file(text: &str) -> Result<(Columns, Vec<Row>), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line)).filter(|(_, l)| !l.trim().is_empty());
    let (header_row, header) =
        lines.next().ok_or_else(|| format!("the file is empty; expected a header line {USUAL_HEADER}"))?;
    let header = split_record(header).map_err(|e| format!("row {header_row} (header): {e}"))?;
    let columns = Columns::from_header(&header).map_err(|e| format!("row {header_row} (header): {e}"))?;
    let rows = lines.map(|(n, line)| (n, split_record(line))).collect();
    Ok((columns, rows))
}

impl Columns {
    fn from_header(names: &[String]) -> Result<Self, String> {
        let mut found: [Option<usize>; 6] = [None; 6];
        for (index, name) in names.iter().enumerate() {
            let name = name.trim().to_ascii_lowercase();
            let slot = COLUMNS
                .iter()
                .position(|c| *c == name)
                .ok_or_else(|| format!("unknown column {name:?}; the columns are {}", COLUMNS.join(",")))?;
            if found[slot].replace(index).is_some() {
                return Err(format!("column {name:?} appears twice"));
            }
        }
        let email = found[0].ok_or_else(|| format!("no \"email\" column; the header is {USUAL_HEADER}"))?;
        Ok(Columns {
            count: names.len(),
            email,
            timezone: found[1],
            time: found[2],
            tracks: found[3],
            discreet: found[4],
            locale: found[5],
        })
    }

    /// Parses one row into a subscribe request, or the reason it is refused.
    fn request(&self, fields: &[String], options: &ImportOptions) -> Result<SubscribeRequest, String> {
        if fields.len() > self.count {
            return Err(format!("{} fields, but the header has {}", fields.len(), self.count));
        }
        // A short row (trailing empty fields left out) takes the defaults.
        let field = |index: Option<usize>| index.and_then(|i| fields.get(i)).map_or("", |f| f.trim());
        let email = field(Some(self.email));
        let email = SubscriberEmail::parse(email).map_err(|e| format!("email {email:?}: {e}"))?;
        let zone =
            TimeZone::parse(or_default(field(self.timezone), DEFAULT_ZONE)).map_err(|e| format!("timezone: {e}"))?;
        let time = TimeOfDay::parse(or_default(field(self.time), DEFAULT_TIME)).map_err(|e| format!("time: {e}"))?;
        let tracks = match field(self.tracks) {
            "" => Track::defaults(),
            keys => TrackSet::parse(keys.split(';')).map_err(|e| format!("tracks {keys:?}: {e}"))?,
        };
        let discreet = match field(self.discreet) {
            "" => false,
            value => parse_on_off(value).map_err(|e| format!("discreet {value:?}: {e}"))?,
        };
        let locale = match field(self.locale) {
            "" => Locale::en(),
            value => Locale::parse_supported(value).map_err(|e| format!("locale: {e}"))?,
        };
        Ok(SubscribeRequest {
            email,
            preferences: Preferences { zone, time, max_per_day: options.max_per_day, discreet, locale },
            tracks,
            preconfirmed: options.preconfirmed,
            invitation: None,
        })
    }
}

fn or_default<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.is_empty() { default } else { value }
}

/// Splits one CSV line: commas separate fields; a field may be wrapped in
/// double quotes, inside which a comma is literal and `""` is one quote.
/// Quoted fields spanning lines are not supported (no column needs them).
fn split_record(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, '"') => return Err("a quote in the middle of an unquoted field".to_owned()),
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, c) if was_quoted && c.is_whitespace() => {}
            (false, _) if was_quoted => return Err("text after a closing quote".to_owned()),
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".to_owned());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ImportOptions {
        ImportOptions {
            preconfirmed: false,
            max_per_day: 1,
            scheduling: Scheduling { jitter: chrono::Duration::zero() },
        }
    }

    #[test]
    fn records_split_on_commas_and_respect_quotes() {
        assert_eq!(split_record("a,b,,d").unwrap(), ["a", "b", "", "d"]);
        assert_eq!(split_record(r#""x,y","say ""hi""",z"#).unwrap(), ["x,y", r#"say "hi""#, "z"]);
        assert_eq!(split_record(r#" "q" ,r"#).unwrap(), ["q", "r"]);
        assert!(split_record(r#""open"#).is_err());
        assert!(split_record(r#"ab"c"#).is_err());
        assert!(split_record(r#""a"b"#).is_err());
    }

    #[test]
    fn the_header_may_reorder_or_leave_out_optional_columns() {
        let header = |s: &str| Columns::from_header(&split_record(s).unwrap());
        let columns = header("Tracks, EMAIL").unwrap();
        assert_eq!((columns.email, columns.tracks, columns.timezone), (1, Some(0), None));
        assert!(header("email,zone").unwrap_err().contains("\"zone\""));
        assert!(header("timezone,time").unwrap_err().contains("no \"email\" column"));
        assert!(header("email,email").unwrap_err().contains("twice"));
    }

    #[test]
    fn empty_fields_take_the_defaults() {
        let (columns, rows) = parse_file("\u{feff}email,timezone,time,tracks\r\na@example.com,,,\r\n\r\n").unwrap();
        assert_eq!(rows.len(), 1);
        let (number, fields) = rows.into_iter().next().unwrap();
        assert_eq!(number, 2);
        let request = columns.request(&fields.unwrap(), &options()).unwrap();
        assert_eq!(request.preferences.zone.name(), "UTC");
        assert_eq!(request.tracks, Track::defaults());
    }

    #[test]
    fn each_bad_field_is_named_with_its_value() {
        let (columns, _) = parse_file("email,timezone,time,tracks\n").unwrap();
        let reason = |line: &str| columns.request(&split_record(line).unwrap(), &options()).unwrap_err();
        assert!(reason("nope,,,").contains("email \"nope\""));
        assert!(reason("a@example.com,Moon/Base,,").contains("Moon/Base"));
        assert!(reason("a@example.com,,7pm,").contains("7pm"));
        assert!(reason("a@example.com,,,check-in;yoga").contains("yoga"));
        assert!(reason("a@example.com,,,,extra").contains("5 fields"));
        let (columns, _) = parse_file("email,discreet\n").unwrap();
        let reason = columns.request(&split_record("a@example.com,maybe").unwrap(), &options()).unwrap_err();
        assert!(reason.contains("discreet \"maybe\""), "{reason}");
    }

    #[test]
    fn the_discreet_column_takes_every_spelling_of_on_and_off() {
        let (columns, _) = parse_file("email,discreet\n").unwrap();
        let discreet = |cell: &str| {
            columns
                .request(&split_record(&format!("a@example.com,{cell}")).unwrap(), &options())
                .unwrap()
                .preferences
                .discreet
        };
        for (cell, want) in [("on", true), ("YES", true), ("true", true), ("off", false), ("no", false), ("", false)] {
            assert_eq!(discreet(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn an_empty_file_asks_for_the_header() {
        assert!(parse_file("\n  \n").unwrap_err().contains("email,timezone,time,tracks"));
    }
}
