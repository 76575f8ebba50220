//! `cacheman gc`: drop expired entries, evict least recently used ones over the
//! limits, and delete orphaned blobs and abandoned temporary files.

use std::io::Write;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::settings::human_bytes;
use crate::cli::{output, parse, progress};
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::local::gc::{GcLimits, GcReport};
use crate::name::CacheName;
use crate::store::Store;

/// Collect garbage: expired entries, entries over the limits (least recently used
/// first), orphaned blobs and temporary files (every cache if none named)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman gc
  cacheman gc thumbs --max-bytes 100MiB     # shrink once, below the cache's own limit

The cache's own --max-entries/--max-bytes are enforced at every sync as well; gc
also applies tighter one-off limits. Recency comes from each cache's counters
file, which every hit stamps (approximate: a lossy table of 16384 slots); an
entry never read counts as used when it was written. A blob no entry refers to
is deleted once it is an hour old, so a write in progress never loses its blob.")]
pub struct GcArgs {
    /// The caches to collect
    pub caches: Vec<String>,
    /// Keep at most N entries, evicting the least recently used
    #[arg(long, value_name = "N")]
    pub max_entries: Option<String>,
    /// Keep at most this many key and value bytes (4096, 64K, 10MB, 1GiB)
    #[arg(long, value_name = "SIZE")]
    pub max_bytes: Option<String>,
}

pub fn run(ctx: &Context, args: GcArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let limits = GcLimits {
        max_entries: args
            .max_entries
            .as_deref()
            .map(|n| parse::count("--max-entries", n))
            .transpose()?,
        max_bytes: args
            .max_bytes
            .as_deref()
            .map(|b| parse::size("--max-bytes", b))
            .transpose()?,
    };
    let named = super::sync::existing_caches(ctx, &args.caches)?;
    let caches: Vec<_> = ctx
        .store
        .list()?
        .into_iter()
        .filter(|c| named.is_empty() || named.contains(&c.name))
        .collect();
    let bar = progress::bar(caches.iter().map(|c| c.entries).sum(), "entries");
    for cache in &caches {
        let report = ctx.store.gc(&cache.name, limits)?;
        bar.inc(cache.entries);
        output::write_all(out, describe(&cache.name, &report).as_bytes())?;
    }
    bar.finish_and_clear();
    Ok(ExitCode::Success)
}

fn describe(cache: &CacheName, r: &GcReport) -> String {
    format!(
        "{cache}: dropped {} expired or invalidated, evicted {} ({} freed), {} left; removed {} ({}) and {} ({})\n",
        r.dropped,
        r.evicted,
        human_bytes(r.bytes),
        output::plural(r.entries, "entry", "entries"),
        output::plural(r.orphans.files, "orphaned blob", "orphaned blobs"),
        human_bytes(r.orphans.bytes),
        output::plural(r.temporary.files, "temporary file", "temporary files"),
        human_bytes(r.temporary.bytes),
    )
}
