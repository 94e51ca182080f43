//! `verify`, `replay` and `report`: the audit-trail subcommands.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use tollgate::Event;
use tollgate::record::reader::Events;
use tollgate::record::replay::{ReplayOptions, render_replay};
use tollgate::record::report::{
    Integrity, ReportFilter, ReportFormat, build_report, render_report,
};
use tollgate::record::time::parse_micros;
use tollgate::record::verify::{VerifyOptions, verify_files_with};
use tollgate::record::{ReadError, read_key_file};

use super::Failure;

/// The most events `replay` and `report` load.
const MAX_EVENTS: usize = 5_000_000;

fn read_error(error: ReadError) -> Failure {
    Failure(error.to_string())
}

fn load_key(path: Option<&str>) -> Result<Option<Vec<u8>>, Failure> {
    path.map(|p| read_key_file(p).map_err(|e| Failure(format!("cannot read key file {p}: {e}"))))
        .transpose()
}

pub(super) fn verify(
    files: &[String],
    key: Option<&str>,
    sealed: bool,
    allow_partial: bool,
) -> Result<ExitCode, Failure> {
    let mut options = VerifyOptions::new()
        .require_sealed(sealed)
        .allow_partial(allow_partial);
    options.key = load_key(key)?;
    let report = verify_files_with(files, &options).map_err(read_error)?;
    for finding in &report.findings {
        println!("{finding}");
    }
    if report.findings_truncated {
        println!("(more findings not shown)");
    }
    let signed = if options.key.is_some() {
        format!(", {} signed", report.signed_checkpoints)
    } else {
        String::new()
    };
    println!(
        "{}: {} events in {} file(s), {} checkpoints{signed}",
        if report.is_intact() {
            "intact"
        } else {
            "TAMPERED"
        },
        report.events,
        report.files.len(),
        report.checkpoints
    );
    if report.unprotected_tail > 0 && report.is_intact() {
        println!(
            "note: the last {} event(s) follow the last checkpoint; removing them from the end would not be detectable (use --sealed to require a sealed trail)",
            report.unprotected_tail
        );
    }
    if options.key.is_none() && report.checkpoints > 0 {
        println!("note: checkpoint HMACs not checked (no --key)");
    }
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Every event of the files, in seq order; lines that are not events are reported on
/// stderr and skipped.
fn load_events(files: &[String]) -> Result<Vec<Event>, Failure> {
    let mut events = Vec::new();
    for file in files {
        for item in Events::open(file).map_err(read_error)? {
            match item {
                Ok((_, event)) => events.push(event),
                Err(error @ ReadError::Malformed { .. }) => {
                    eprintln!("tollgate: warning: skipped {error}");
                }
                Err(error) => return Err(read_error(error)),
            }
            if events.len() > MAX_EVENTS {
                return Err(Failure(format!(
                    "more than {MAX_EVENTS} events; filter the files first"
                )));
            }
        }
    }
    events.sort_by_key(|e| e.seq);
    Ok(events)
}

pub(super) fn replay(files: &[String], session: Option<String>) -> Result<ExitCode, Failure> {
    let events = load_events(files)?;
    let mut options = ReplayOptions::new().color(std::io::stdout().is_terminal());
    options.session = session;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    render_replay(&events, &options, &mut out).map_err(|e| Failure(e.to_string()))?;
    out.flush().map_err(|e| Failure(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}

fn parse_time(option: &str, text: Option<&str>) -> Result<Option<i64>, Failure> {
    text.map(|t| {
        parse_micros(t).ok_or_else(|| {
            Failure(format!(
                "--{option}: `{t}` is not an RFC 3339 time or a YYYY-MM-DD date"
            ))
        })
    })
    .transpose()
}

pub(super) fn report(
    files: &[String],
    format: &str,
    since: Option<&str>,
    until: Option<&str>,
    subject: Option<String>,
    key: Option<&str>,
) -> Result<ExitCode, Failure> {
    let format: ReportFormat = format.parse().map_err(Failure)?;
    let mut filter = ReportFilter::new();
    filter.since = parse_time("since", since)?;
    filter.until = parse_time("until", until)?;
    filter.subject = subject;
    let mut options = VerifyOptions::new();
    options.key = load_key(key)?;
    let verified = verify_files_with(files, &options).map_err(read_error)?;
    let events = load_events(files)?;
    let report = build_report(&events, &filter, Integrity::from(&verified));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    render_report(&report, format, &mut out).map_err(|e| Failure(e.to_string()))?;
    out.flush().map_err(|e| Failure(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}
