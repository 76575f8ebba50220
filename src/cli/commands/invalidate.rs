//! `cacheman invalidate`: invalidate caches and, through the dependency graph,
//! everything that depends on them.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

use clap::Args;
use serde_json::json;

use crate::cli::context::Context;
use crate::cli::output;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::{InvalidateOptions, KeySelector};

/// Invalidate caches and every cache that depends on them
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman invalidate sources                  # sources, objects, binaries...
  cacheman invalidate sources --dry-run        # list them, in cascade order
  cacheman invalidate objects --soft           # stale: served to `get --stale-ok`
  cacheman invalidate pages --prefix /docs/    # some keys; dependents go whole

Whole caches are invalidated in one atomic write, whatever their sizes; the
space is reclaimed at their next sync. With --prefix or --match only those keys
of the named caches go, but every dependent is invalidated whole (any of its
entries may derive from them) unless --no-cascade is given.")]
pub struct InvalidateArgs {
    /// The caches to invalidate
    #[arg(required = true)]
    pub caches: Vec<String>,
    /// Mark entries stale instead of dropping them
    #[arg(long)]
    pub soft: bool,
    /// Invalidate the named caches only, not their dependents
    #[arg(long)]
    pub no_cascade: bool,
    /// List what would be invalidated, in cascade order, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Only keys that start with PREFIX
    #[arg(long, value_name = "PREFIX", value_parser = clap::value_parser!(OsString))]
    pub prefix: Option<OsString>,
    /// Only keys that match GLOB (as in `keys`)
    #[arg(long = "match", value_name = "GLOB", conflicts_with = "prefix")]
    pub glob: Option<String>,
    /// Print no summary
    #[arg(short, long)]
    pub quiet: bool,
    /// Print what was invalidated as a JSON object
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: InvalidateArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let caches: Vec<CacheName> = args
        .caches
        .iter()
        .map(|c| CacheName::new(c))
        .collect::<Result<_>>()?;
    let keys = match (&args.prefix, args.glob.as_deref()) {
        (Some(prefix), _) => Some(KeySelector::Prefix(prefix.as_bytes().to_vec())),
        (_, Some(glob)) => Some(KeySelector::Glob(crate::cli::commands::keys::matcher(
            glob,
        )?)),
        _ => None,
    };
    let some_keys = keys.is_some();
    let options = InvalidateOptions {
        soft: args.soft,
        cascade: !args.no_cascade,
        dry_run: args.dry_run,
        keys,
    };
    let done = ctx.store.invalidate(&caches, &options)?;
    let names: Vec<&str> = done.caches.iter().map(CacheName::as_str).collect();
    if args.json {
        let report = json!({
            "caches": names,
            "keys": some_keys.then_some(done.keys),
            "soft": args.soft,
            "dry_run": args.dry_run,
            "epoch": done.epoch,
        });
        output::json_line(out, &report)?;
    } else if args.dry_run {
        for name in &names {
            writeln!(out, "{name}").map_err(output::stdout_error)?;
        }
    }
    if !args.quiet && !args.json {
        let verb = match (args.dry_run, args.soft) {
            (true, true) => "would mark stale",
            (true, false) => "would invalidate",
            (false, true) => "marked stale",
            (false, false) => "invalidated",
        };
        let what = match (some_keys, names.len()) {
            (true, n) if n > caches.len() => format!(
                "{} in {}, and {} whole",
                output::plural(done.keys, "key", "keys"),
                args.caches.join(", "),
                output::plural(
                    (n - caches.len()) as u64,
                    "dependent cache",
                    "dependent caches"
                )
            ),
            (true, _) => format!(
                "{} in {}",
                output::plural(done.keys, "key", "keys"),
                args.caches.join(", ")
            ),
            (false, n) => format!(
                "{}: {}",
                output::plural(n as u64, "cache", "caches"),
                names.join(", ")
            ),
        };
        say!("{verb} {what}");
    }
    Ok(ExitCode::Success)
}
