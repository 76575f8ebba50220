//! Writing to stdout, and turning clap's errors into cacheman's one-line form.

use std::fmt::Display;
use std::io::{self, Write};

use clap::CommandFactory;

use crate::error::{Error, Result, Stream};
use crate::exit_code::ExitCode;
use crate::reporter::{NotStarted, Reporter};

/// Maps a failed write to stdout into an error (a closed pipe is recognised later
/// and ends the command quietly).
pub fn stdout_error(source: io::Error) -> Error {
    Error::Stream {
        on: Stream::Stdout,
        source,
    }
}

/// Writes bytes to stdout.
pub fn write_all(out: &mut dyn Write, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes).map_err(stdout_error)
}

/// Flushes stdout.
pub fn flush(out: &mut dyn Write) -> Result<()> {
    out.flush().map_err(stdout_error)
}

/// True for a write to a closed stdout, as in `cacheman get c k | head -c1`.
pub fn is_broken_pipe(error: &Error) -> bool {
    error.io_kind() == Some(io::ErrorKind::BrokenPipe)
}

/// Shows the library's warnings and notices on stderr.
pub struct Stderr;

impl Reporter for Stderr {
    fn warning(&self, text: &dyn Display) {
        say!("cacheman: warning: {text}");
    }

    fn explain(&self, line: &dyn Display) {
        say!("cacheman: explain: {line}");
    }

    fn not_started(&self, failure: &NotStarted<'_>) {
        let shown = failure.program.to_string_lossy();
        say!("cacheman: error: cannot run '{shown}': {}", failure.error);
        if failure.error.kind() != io::ErrorKind::NotFound {
            return;
        }
        match failure.file_exists {
            true => say!("hint: the file exists: its interpreter (its #! line) was not found"),
            false => {
                say!("hint: check the name and $PATH; commands run directly, not through a shell")
            }
        }
    }
}

/// What a clap error amounts to: text to show (help, version) with its status,
/// or a one-line usage error with a hint.
pub enum ClapOutcome {
    Text { text: String, code: ExitCode },
    Usage { message: String, hint: String },
}

/// Classifies a clap error and reduces a usage error to cacheman's one-line form.
pub fn describe_clap_error(error: &clap::Error) -> ClapOutcome {
    describe(error, None)
}

/// [`describe_clap_error`], with the hint pointing at the help of `subcommand`
/// (the one the command line names) when clap's text names none.
fn describe(error: &clap::Error, subcommand: Option<&str>) -> ClapOutcome {
    use clap::error::ErrorKind;
    let rendered = error.render().to_string();
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            return ClapOutcome::Text {
                text: rendered,
                code: ExitCode::Success,
            };
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            let commands: Vec<String> = crate::cli::Cli::command()
                .get_subcommands()
                .filter(|c| !c.is_hide_set())
                .map(|c| c.get_name().to_string())
                .collect();
            return ClapOutcome::Usage {
                message: "no command given".into(),
                hint: format!("commands: {}; see 'cacheman --help'", commands.join(", ")),
            };
        }
        _ => {}
    }
    let lines: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut message = lines
        .first()
        .unwrap_or(&"invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    if message.ends_with(':') {
        let listed: Vec<&str> = lines[1..]
            .iter()
            .take_while(|l| l.starts_with('<') || l.starts_with('-'))
            .copied()
            .collect();
        message = format!("{} {}", message, listed.join(", "));
    }
    let tip = lines.iter().find_map(|l| l.strip_prefix("tip: "));
    let subcommand = usage_subcommand(&lines).or(subcommand);
    let hint = match (tip, subcommand) {
        (Some(tip), _) => tip.to_string(),
        (None, Some(sub)) => format!("see 'cacheman {sub} --help'"),
        (None, None) => "see 'cacheman --help'".to_string(),
    };
    ClapOutcome::Usage { message, hint }
}

fn usage_subcommand<'a>(lines: &[&'a str]) -> Option<&'a str> {
    lines
        .iter()
        .find_map(|l| l.strip_prefix("Usage: cacheman "))
        .and_then(|rest| rest.split_whitespace().next())
        .filter(|word| word.chars().all(|c| c.is_ascii_lowercase()))
}

/// Prints a clap error: help and version as clap renders them, a usage error as
/// one `cacheman: error:` line plus a hint (pointing at the help of
/// `subcommand`, the one the command line names), with status 2.
pub fn clap_error(error: &clap::Error, subcommand: Option<&str>) -> ExitCode {
    match describe(error, subcommand) {
        ClapOutcome::Text { code, .. } => match error.print() {
            // A closed pipe ends quietly, as it does for every command.
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                say!("cacheman: error: writing to stdout failed: {e}");
                ExitCode::Store
            }
            _ => code,
        },
        ClapOutcome::Usage { message, hint } => {
            say!("cacheman: error: {message}");
            say!("hint: {hint}");
            ExitCode::Usage
        }
    }
}

/// Left-aligned columns separated by two spaces, with a header row.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

/// Writes a value as one line of JSON.
pub fn json_line(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(|e| stdout_error(e.into()))?;
    out.write_all(b"\n").map_err(stdout_error)
}

/// A count and its noun: `1 entry`, `2 entries`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
