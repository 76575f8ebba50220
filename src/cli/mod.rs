//! The command line: clap definitions, one module per subcommand, and the single
//! place where errors become messages and exit statuses.

mod args;
mod commands;
mod context;
pub mod generate;
mod hint;
mod json;
mod output;
mod parse;
mod per_cache;
pub mod progress;
mod settings;
mod transfer;

use std::ffi::OsString;
use std::io::Write;

use clap::{CommandFactory, FromArgMatches};

pub use args::Cli;
use context::Context;

use crate::error::Error;
use crate::exit_code::ExitCode;

/// Runs `cacheman` with the process's arguments and returns its exit status.
pub fn main() -> std::process::ExitCode {
    run(std::env::args_os()).into()
}

/// Runs `cacheman` with the given arguments (the first is the program name).
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    let under_run = |code: ExitCode| match code {
        ExitCode::Usage | ExitCode::Store | ExitCode::Miss => ExitCode::Command(RUN_FAILED),
        other => other,
    };
    let cli = match Cli::parse_fast(&args).map_or_else(|| parse(&args), Ok) {
        Ok(cli) => cli,
        Err(e) => {
            let subcommand = args::subcommand_index(&args)
                .and_then(|at| args.get(at)?.to_str())
                .filter(|name| args::lone_subcommand(name).is_some());
            let code = output::clap_error(&e, subcommand);
            return if subcommand == Some("run") {
                under_run(code)
            } else {
                code
            };
        }
    };
    let is_run = matches!(cli.command, args::Command::Run(_));
    let json_log = matches!(&cli.command, args::Command::Watch(watch) if watch.json);
    let mut stdout = std::io::stdout().lock();
    let result = Context::new(&cli.global, json_log)
        .and_then(|ctx| commands::dispatch(&ctx, cli.command, &mut stdout))
        .and_then(|code| match output::flush(&mut stdout) {
            // `run` already chose the status of a run whose caller left.
            Err(e) if is_run && output::is_broken_pipe(&e) => Ok(code),
            flushed => flushed.map(|()| code),
        });
    match result {
        Ok(code) => code,
        Err(e) if is_run => under_run(report(&e)),
        Err(e) => report(&e),
    }
}

/// Parses with the whole command tree: for help, version, errors and anything
/// else [`Cli::parse_fast`] leaves alone.
fn parse(args: &[OsString]) -> Result<Cli, clap::Error> {
    let mut command = Cli::command();
    let parsed = command.try_get_matches_from_mut(args);
    // The process ends soon: tearing the parser's tree down is wasted work.
    std::mem::forget(command);
    Cli::from_arg_matches(&parsed?)
}

/// The status of `run` when cacheman itself fails, as `env` and `timeout` use.
const RUN_FAILED: u8 = 125;

/// Prints an error as one line (plus a hint line) and picks the exit status.
fn report(error: &Error) -> ExitCode {
    if output::is_broken_pipe(error) {
        return ExitCode::Success;
    }
    // A stderr that cannot be written to (2>/dev/full) must not panic.
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "cacheman: error: {error}");
    if let Some(hint) = hint::hint(error) {
        let _ = writeln!(stderr, "hint: {hint}");
    }
    error.exit_code()
}
