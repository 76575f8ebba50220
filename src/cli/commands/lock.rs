//! `cacheman lock`: run a command while holding a named lock of the store
//! (a lock file on the local store, a lease on Redis, so it holds across
//! machines). A holder that dies releases it: the kernel drops a local lock,
//! a Redis lease runs out.

use std::ffi::OsString;
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;

use crate::cli::context::Context;
use crate::cli::{output, parse};
use crate::error::{Error, Result};
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::run::memo;
use crate::store::{Lease, Store};

/// Run a command while holding a named lock of the store
#[derive(Debug, Args)]
#[command(
    override_usage = "cacheman lock [OPTIONS] <NAME> -- <COMMAND>...",
    after_help = "Examples:
  cacheman lock deploy -- ./deploy.sh production          # one deploy at a time
  cacheman lock --wait 10m nightly -- make release

Without --wait, a lock another process holds exits 1 at once; with it, the
command waits up to that long, then exits 1. The lock is released when the
command exits or is killed; a holder killed outright (kill -9) never wedges it
(on Redis it holds at most the lease, 15 s). The command runs directly (not
through a shell) with this process's stdin, stdout and stderr, and its exit
status is returned."
)]
pub struct LockArgs {
    /// The lock's name (letters, digits, '.', '_' and '-')
    pub name: String,
    /// Wait up to this long (30s, 10m) for a held lock
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub wait: Option<String>,
    /// The command and its arguments
    #[arg(required = true, last = true, value_name = "COMMAND", value_parser = clap::value_parser!(OsString))]
    pub command: Vec<OsString>,
}

pub fn run(ctx: &Context, args: LockArgs) -> Result<ExitCode> {
    let name = lock_name(&args.name)?;
    let wait = args
        .wait
        .as_deref()
        .map(|text| parse::duration("--wait", text))
        .transpose()?;
    if args.command[0].is_empty() {
        return Err(Error::usage("the command name is empty"));
    }
    let Some(lease) = take(&*ctx.store, &name, wait.unwrap_or_default())? else {
        say!("cacheman: lock '{}' is held by another process", args.name);
        return Ok(ExitCode::Miss);
    };
    let code = memo::run_plain(&args.command, &output::Stderr);
    drop(lease);
    code.map(ExitCode::Command)
}

/// The store's name of the lock the user calls `name`: apart from `run`'s
/// and `get --or-run`'s own.
fn lock_name(name: &str) -> Result<String> {
    match CacheName::new(name) {
        Ok(_) => Ok(format!("named.{name}")),
        Err(Error::InvalidName { name, why }) => {
            Err(Error::usage(format!("invalid lock name {name:?}: {why}")))
        }
        Err(e) => Err(e),
    }
}

/// Takes the lock, asking again with doubling pauses (10 ms to 250 ms)
/// until `wait` has passed; `None` when it stayed held.
fn take(store: &dyn Store, name: &str, wait: Duration) -> Result<Option<Box<dyn Lease>>> {
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(10);
    loop {
        if let Some(lease) = store.try_lock(name)? {
            return Ok(Some(lease));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        thread::sleep(pause.min(left));
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}
