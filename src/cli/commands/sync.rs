//! `cacheman sync`: merge pending changes into durable snapshots now.

use clap::Args;

use crate::cli::context::Context;
use crate::cli::output;
use crate::cli::per_cache::PerCache;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::{SyncResult, unknown_cache};

/// Merge pending changes into each cache's snapshot and fsync it (all caches if none named)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman sync                     # every cache, before a shutdown say
  cacheman sync users -q")]
pub struct SyncArgs {
    /// The caches to sync
    pub caches: Vec<String>,
    /// Print nothing on success
    #[arg(short, long)]
    pub quiet: bool,
    /// Skip a cache another process is already syncing, and print nothing
    /// (what a write starts on its own when a journal grows long)
    #[arg(long, hide = true)]
    pub background: bool,
}

pub fn run(ctx: &Context, args: SyncArgs) -> Result<ExitCode> {
    let caches = if args.caches.is_empty() {
        ctx.store.list()?.into_iter().map(|c| c.name).collect()
    } else {
        existing_caches(ctx, &args.caches)?
    };
    let quiet = args.quiet || args.background;
    // A cache that cannot be synced (a volatile one whose folder is unsafe)
    // is reported on its own and the others still synced.
    let mut each = PerCache::default();
    for cache in &caches {
        let Some((result, report)) = each.run(|| ctx.store.sync(cache, !args.background)) else {
            continue;
        };
        ctx.after_write(cache, &report);
        if quiet {
            continue;
        }
        match result {
            SyncResult::Busy => say!("{cache}: another process is syncing it"),
            SyncResult::Clean => say!("{cache}: nothing to sync"),
            SyncResult::Synced {
                merged_records,
                entries,
                dropped,
                evicted,
            } => {
                let mut extra = String::new();
                if dropped > 0 {
                    extra.push_str(&format!(", dropped {dropped} expired or invalidated"));
                }
                if evicted > 0 {
                    extra.push_str(&format!(", evicted {evicted} over the limits"));
                }
                say!(
                    "{cache}: merged {}, {}{extra}",
                    output::plural(merged_records, "change", "changes"),
                    output::plural(entries, "entry", "entries")
                );
            }
        }
    }
    Ok(each.exit_code())
}

/// The named caches, refusing a bad or unknown name before anything is done.
pub fn existing_caches(ctx: &Context, names: &[String]) -> Result<Vec<CacheName>> {
    let caches = names
        .iter()
        .map(|name| CacheName::new(name))
        .collect::<Result<Vec<_>>>()?;
    for cache in &caches {
        if ctx.store.settings(cache)?.is_none() {
            return Err(unknown_cache(cache));
        }
    }
    Ok(caches)
}
