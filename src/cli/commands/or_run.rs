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
use crate::store_url::StoreSpec;

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
    check(args, key)?;
    let store = &*ctx.store;
    let build = || build(&args.command, key);
    let got = match args.refresh {
        true => recipe.refresh(store, build).map(|_| ()),
        false => match recipe.lookup(store) {
            Err(e) if super::run::store_down(&e) => return without_store(args, key, e, out),
            Err(e) => return Err(e),
            Ok(Some(Found::Fresh(value))) => return print(out, &value),
            Ok(Some(Found::Stale(value))) => {
                // A read-only store takes no refresher's lease: the old value will do.
                if !read_only(ctx) && recipe.idle(store)? {
                    let again = super::run::this_again(["get", "--refresh"]);
                    crate::detach::spawn(&store.reopen_args()?, &again, Stdio::null())?;
                }
                return print(out, &value);
            }
            Ok(None) if read_only(ctx) => {
                say!(
                    "cacheman: warning: the store is read-only: running the command without storing its result"
                );
                plain(args, key, out)
            }
            Ok(None) => recipe.build_waiting(store, build).and_then(|got| {
                if let Got::NotStored(_, e) = &got {
                    say!("cacheman: warning: {e}");
                }
                print(out, &got.into_value())
                    .map(drop)
                    .map_err(Failure::Store)
            }),
        },
    };
    status(got)
}

/// `get --or-run` when its store cannot be reached: a warning, and the
/// command run plainly, its output printed and not stored (as `run` does).
pub fn without_store(
    args: &GetArgs,
    key: &[u8],
    error: Error,
    out: &mut dyn Write,
) -> Result<ExitCode> {
    check(args, key)?;
    if args.refresh {
        return Err(error);
    }
    say!("cacheman: warning: {error}; running the command without the cache");
    status(plain(args, key, out))
}

/// Refuses a command that cannot be run with this key, before anything runs.
fn check(args: &GetArgs, key: &[u8]) -> Result<()> {
    if args.command[0].is_empty() {
        return Err(Error::usage("the command name is empty"));
    }
    if key.contains(&0) {
        return Err(Error::usage(
            "a key with a NUL byte cannot be passed to the command in CACHEMAN_KEY",
        ));
    }
    Ok(())
}

/// Runs the command and prints what it printed, storing nothing.
fn plain(args: &GetArgs, key: &[u8], out: &mut dyn Write) -> Result<(), Failure> {
    let value = build(&args.command, key)?;
    print(out, &value).map(drop).map_err(Failure::Store)
}

/// Whether the store was named read-only.
fn read_only(ctx: &Context) -> bool {
    matches!(&ctx.location.spec, StoreSpec::Redis(target) if target.read_only)
}

/// The exit status of a value printed, or the failure.
fn status(got: Result<(), Failure>) -> Result<ExitCode> {
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
