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
    match execute(cli) {
        Ok(code) => code,
        Err(e) if is_run => under_run(report(&e)),
        Err(e) => report(&e),
    }
}

/// Runs a parsed command and flushes its output: the binary's edge, where the
/// library's errors may gather context on their way to [`report`].
fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    let is_run = matches!(cli.command, args::Command::Run(_));
    let json_log = matches!(&cli.command, args::Command::Watch(watch) if watch.json);
    let mut stdout = std::io::stdout().lock();
    // The commands that need no store open none (nor connect to a server).
    let code = match cli.command {
        args::Command::Completions(args) => commands::completions::run(args, &mut stdout)?,
        args::Command::Inspect(args) => commands::inspect::run(args, &mut stdout)?,
        args::Command::Init(args) => {
            commands::init::run(&Context::locate(&cli.global, false)?, args)?
        }
        command => match (Context::new(&cli.global, json_log), command) {
            (Ok(ctx), command) => commands::dispatch(&ctx, command, &mut stdout)?,
            (Err(e), args::Command::Run(run)) if commands::run::unusable(&e) => {
                commands::run::without_store(&run, e, &mut stdout)?
            }
            (Err(e), args::Command::Get(get)) if get.or_run && commands::run::store_down(&e) => {
                commands::get::without_store(&get, e, &mut stdout)?
            }
            (Err(e), _) => return Err(e.into()),
        },
    };
    match output::flush(&mut stdout) {
        // `run` already chose the status of a run whose caller left.
        Err(e) if is_run && output::is_broken_pipe(&e) => Ok(code),
        flushed => Ok(flushed.map(|()| code)?),
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

/// The one place errors are printed: one line (the context chain, then the
/// library's message), a hint line where the CLI has one, and the exit status
/// the library's error maps to (3 for anything else).
fn report(error: &anyhow::Error) -> ExitCode {
    let library = error.downcast_ref::<Error>();
    if library.is_some_and(output::is_broken_pipe) {
        return ExitCode::Success;
    }
    // A stderr that cannot be written to (2>/dev/full) must not panic.
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "cacheman: error: {}", one_line(error));
    if let Some(hint) = library.and_then(hint::hint) {
        let _ = writeln!(stderr, "hint: {hint}");
    }
    library.map_or(ExitCode::Store, Error::exit_code)
}

/// The context chain joined by `: `, ending at the library's error, whose
/// message already names its cause.
fn one_line(error: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in error.chain() {
        parts.push(cause.to_string());
        if cause.is::<Error>() {
            break;
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_leads_the_line_and_the_library_error_ends_it() {
        let missing = Error::Io {
            path: "/s/manifest".into(),
            source: std::io::ErrorKind::NotFound.into(),
        };
        let error = anyhow::Error::from(missing).context("opening the store");
        assert_eq!(
            one_line(&error),
            "opening the store: /s/manifest: entity not found"
        );
        let library = error.downcast_ref::<Error>().expect("found under context");
        assert_eq!(library.exit_code(), ExitCode::Store);
    }
}
