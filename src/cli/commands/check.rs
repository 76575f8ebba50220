//! `cacheman check`: invalidate every cache whose bound files changed since
//! they were last checked, for cron jobs, git hooks and CI without a watcher.

use std::io::Write;

use clap::Args;
use serde_json::json;

use crate::cli::context::Context;
use crate::cli::output;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::unknown_cache;
use crate::watch;

/// Invalidate the caches whose bound files changed (for cron, git hooks, CI)
#[derive(Debug, Args)]
#[command(
    after_help = "Compares each bound cache's files (inodes, modes, sizes and nanosecond
mtimes; contents of files written in the two seconds before the last record)
with what was recorded at its last bind, check or invalidation, and invalidates
each changed cache with its dependents, as `cacheman watch` would. Prints one
line per invalidated cache. One change is one invalidation however many check
it at once (a watcher too).

Exits 0 whether or not something was invalidated (so a failing check never
aborts a hook); --status exits 1 when something was.

Examples:
  cacheman check                        # e.g. in .git/hooks/post-checkout
  cacheman check config --status || echo 'config changed'
  */5 * * * * cacheman check --quiet    # crontab"
)]
pub struct CheckArgs {
    /// Check only these caches (default: every bound cache)
    pub caches: Vec<String>,
    /// Print a JSON array of {"cache", "invalidated": [...], "epoch"}
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when some cache was invalidated
    #[arg(long)]
    pub status: bool,
    /// Print nothing
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
}

pub fn run(ctx: &Context, args: CheckArgs, out: &mut dyn Write) -> Result<ExitCode> {
    // Every name is checked before anything is invalidated.
    let mut only = Vec::new();
    for name in &args.caches {
        let cache = CacheName::new(name)?;
        if ctx.store.settings(&cache)?.is_none() {
            return Err(unknown_cache(&cache));
        }
        only.push(cache);
    }
    let only = (!only.is_empty()).then_some(only.as_slice());
    let done = watch::check_all(&*ctx.store, only)?;
    if args.json {
        let list: Vec<_> = done
            .iter()
            .map(|(cache, inv)| {
                json!({
                    "cache": cache.as_str(),
                    "invalidated": inv.caches.iter().map(CacheName::as_str).collect::<Vec<_>>(),
                    "epoch": inv.epoch,
                })
            })
            .collect();
        output::json_line(out, &list)?;
    } else if !args.quiet {
        let mut text = String::new();
        for (cache, inv) in &done {
            text.push_str(&format!(
                "{cache}: bound files changed; {}\n",
                invalidated_list(&inv.caches)
            ));
        }
        output::write_all(out, text.as_bytes())?;
    }
    Ok(match args.status && !done.is_empty() {
        true => ExitCode::Miss,
        false => ExitCode::Success,
    })
}

/// "invalidated a, b" for a log or report line.
pub fn invalidated_list(caches: &[CacheName]) -> String {
    let names: Vec<&str> = caches.iter().map(CacheName::as_str).collect();
    format!("invalidated {}", names.join(", "))
}
