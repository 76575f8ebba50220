//! `cacheman get --or-run`: a key's value, or the one a command prints,
//! stored (see [`crate::or_create`]); a stale value is printed at once while
//! a detached `cacheman get --refresh` rebuilds it.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::cli::commands::get::GetArgs;
use crate::cli::context::Context;
use crate::cli::{output, parse};
use crate::error::{Error, IoContext, Result};
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::or_create::{Found, Got, Recipe};
use crate::run::capture::{self, Outcome};

/// Why no value came: the store failed, or the command did (its status).
enum Failure {
    Store(Error),
    Command(u8),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Store(e)
    }
}

pub fn run(
    ctx: &Context,
    args: &GetArgs,
    cache: &CacheName,
    key: &[u8],
    out: &mut dyn Write,
) -> Result<ExitCode> {
    let (ttl, stale) = parse::ttl_and_stale(args.ttl.as_deref(), args.stale.as_deref())?;
    let recipe = Recipe {
        cache,
        key,
        ttl,
        stale,
        validate: None,
    };
    if args.command[0].is_empty() {
        return Err(Error::usage("the command name is empty"));
    }
    if key.contains(&0) {
        return Err(Error::usage(
            "a key with a NUL byte cannot be passed to the command in CACHEMAN_KEY",
        ));
    }
    let store = &*ctx.store;
    let build = || build(&args.command, key);
    let got = if args.refresh {
        recipe.refresh(store, build).map(|_| ())
    } else {
        match recipe.lookup(store)? {
            Some(Found::Fresh(value)) => return print(out, &value),
            Some(Found::Stale(value)) => {
                if recipe.idle(store)? {
                    let again = super::run::this_again(["get", "--refresh"]);
                    crate::detach::spawn(&store.reopen_args()?, &again, Stdio::null())?;
                }
                return print(out, &value);
            }
            None => recipe.build_waiting(store, build).and_then(|got| {
                if let Got::NotStored(_, e) = &got {
                    say!("cacheman: warning: {e}");
                }
                print(out, &got.into_value())
                    .map(drop)
                    .map_err(Failure::Store)
            }),
        }
    };
    match got {
        Ok(()) => Ok(ExitCode::Success),
        Err(Failure::Store(e)) => Err(e),
        Err(Failure::Command(code)) => Ok(ExitCode::Command(code)),
    }
}

fn print(out: &mut dyn Write, value: &[u8]) -> Result<ExitCode> {
    output::write_all(out, value)?;
    Ok(ExitCode::Success)
}

/// Runs the command with the key in `CACHEMAN_KEY`: its stdout on exit 0.
fn build(argv: &[OsString], key: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut command = Command::new(&argv[0]);
    command
        .args(&argv[1..])
        .env("CACHEMAN_KEY", OsStr::from_bytes(key));
    let (outcome, value) =
        capture::run_stdout(&mut command, &output::Stderr).at(Path::new(&argv[0]))?;
    match outcome {
        Outcome::Exited(0) => Ok(value),
        outcome => Err(Failure::Command(outcome.code())),
    }
}
