//! `cacheman gc`: drop expired entries, evict least recently used ones over the
//! limits, and delete orphaned blobs and abandoned temporary files.

use std::io::Write;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::per_cache::{PerCache, every_cache};
use crate::cli::progress::{Activity, Unit};
use crate::cli::settings::human_bytes;
use crate::cli::{output, parse};
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::reports::{GcLimits, GcReport};

/// Collect garbage: expired entries, entries over the limits (least recently used
/// first), orphaned blobs and temporary files (every cache if none named), and
/// what `run` left behind
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman gc
  cacheman gc thumbs --max-bytes 100MiB     # shrink once, below the cache's own limit

The cache's own --max-entries/--max-bytes are enforced at every sync as well; gc
also applies tighter one-off limits. Recency comes from each cache's counters
file, which every hit stamps (approximate: a lossy table of 16384 slots); an
entry never read counts as used when it was written. A sync already deletes
the blobs of the values it drops; gc also deletes every other blob no entry
refers to (a writer puts its blob in place under the lock gc takes, so a write
in progress never loses its blob).")]
pub struct GcArgs {
    /// The caches to collect
    pub caches: Vec<String>,
    /// Keep at most N entries, evicting the least recently used
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub max_entries: Option<String>,
    /// Keep at most this many key and value bytes (4096, 64K = 64 KiB, 10MB = 10^7, 1GiB)
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
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
    let caches = match args.caches.is_empty() {
        true => every_cache(ctx, "nothing to collect")?,
        false => super::sync::existing_caches(ctx, &args.caches)?,
    };
    // One damaged cache is reported on its own and the others still collected.
    let mut each = PerCache::default();
    for cache in &caches {
        let collected = each.run(|| {
            // The collection runs inside the store: a spinner shows it goes on.
            let spinner = Activity::new(Unit::Bytes, &format!("collecting {cache}"));
            let report = ctx.store.gc_reporting(cache, limits, &spinner);
            spinner.finish_and_clear();
            report
        });
        if let Some(report) = collected {
            output::write_all(out, describe(cache, &report).as_bytes())?;
        }
    }
    let every = args.caches.is_empty();
    let tidied = crate::run::sweep::sweep(&*ctx.store, &caches, every);
    if tidied > 0 {
        let files = output::plural(tidied, "file", "files");
        let line = format!("run: removed {files} of finished runs (locks, spools, notes)\n");
        output::write_all(out, line.as_bytes())?;
    }
    Ok(each.exit_code())
}

fn describe(cache: &CacheName, r: &GcReport) -> String {
    format!(
        "{cache}: dropped {} expired or invalidated and evicted {} over the limits ({} freed); {} left; removed {} ({}, {} orphaned) and {} ({})\n",
        r.dropped,
        r.evicted,
        human_bytes(r.bytes),
        output::plural(r.entries, "entry", "entries"),
        output::plural(r.blobs.files, "blob file", "blob files"),
        human_bytes(r.blobs.bytes),
        r.orphans.files,
        output::plural(r.temporary.files, "temporary file", "temporary files"),
        human_bytes(r.temporary.bytes),
    )
}
