//! `cacheman repair`: recover what is intact in a damaged cache, moving the
//! damaged files into its `quarantine/` folder, and say what was done.

use std::io::Write;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::progress::{self, Unit};
use crate::cli::{output, per_cache};
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::local::inspect::{blobs, recover, repair, verify};
use crate::name::CacheName;
use crate::store::unknown_cache;

/// Recover a damaged cache (or manifest): keep every intact entry, quarantine damaged files
#[derive(Debug, Args)]
#[command(
    after_help = "Cuts a torn journal tail, leaves damaged records out, rebuilds the snapshot
and its hash table from every readable record, and drops entries whose blob is
missing or damaged. Damaged files go to the cache's quarantine/ folder, never
deleted. Holds the locks a sync holds, so it is safe beside other commands.
Prints what it did; a sound cache is left alone (\"nothing to repair\").
A file it cannot read (a permission refused, an I/O error) may be intact: it
stops with exit 3 and changes nothing. A cache whose HEAD is gone gets it
back from its journals and snapshots.

On a Redis store, `repair CACHE` finishes a cascade left unfinished, drops the
entries whose chunks are missing or damaged, and puts back in the key index the
entries it lost (`--manifest` is about local files).

--manifest rebuilds a store manifest that no longer reads back (every command
then fails) from its parts still intact and the directories under caches/; the
damaged file goes to STORE/quarantine/. What was damaged is lost, and said:
the settings of every cache (back to the defaults), the dependencies (depend
them again), the file bindings (bind them again). When the invalidation floors
or the bindings are lost, every cache is invalidated, so that no entry
invalidated before the damage can be served again.

Examples:
  cacheman repair users
  cacheman repair --manifest"
)]
pub struct RepairArgs {
    /// The cache to repair
    #[arg(required_unless_present = "manifest")]
    pub cache: Option<String>,
    /// Rebuild the store's manifest instead
    #[arg(long, conflicts_with = "cache")]
    pub manifest: bool,
}

pub fn run(ctx: &Context, args: RepairArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let text = match &args.cache {
        Some(name) => repair_cache(ctx, &CacheName::new(name)?)?,
        None => repair_manifest(ctx)?,
    };
    output::write_all(out, text.as_bytes())?;
    Ok(ExitCode::Success)
}

fn repair_cache(ctx: &Context, name: &CacheName) -> Result<String> {
    if ctx.store.as_local().is_none() {
        return super::store_check::repair(ctx, name);
    }
    let local = crate::store::local(&*ctx.store, "repair")?;
    let cache = local.find(name)?.ok_or_else(|| unknown_cache(name))?;
    // A volatile cache's files are gone after a reboot by design.
    let actions = match cache.settings.volatile && !cache.dir.path().exists() {
        true => Vec::new(),
        false => {
            // It checks every file, then reads the records again to rebuild.
            let work =
                2 * verify::record_bytes(&cache.dir) + blobs::total_bytes(&cache.dir.blobs_path());
            let bar = progress::bar(work, Unit::Bytes, &format!("repairing {name}"));
            let actions = repair::repair_cache(&cache.dir, ctx.store.clock().now_ms(), &bar)?;
            bar.finish_and_clear();
            actions
        }
    };
    let mut text = String::new();
    if actions.is_empty() {
        text.push_str(&format!("{name}: nothing to repair\n"));
    }
    for action in actions {
        text.push_str(&format!("{name}: {action}\n"));
    }
    Ok(text)
}

fn repair_manifest(ctx: &Context) -> Result<String> {
    if !per_cache::store_exists(ctx, "nothing to repair") {
        return Ok(String::new());
    }
    let Some(done) = recover::recover_manifest(crate::store::local(&*ctx.store, "repair")?)? else {
        return Ok("store: the manifest is sound: nothing to repair\n".into());
    };
    let mut lines = vec![format!("the manifest was damaged: {}", done.damage)];
    if let Some(copy) = &done.quarantined {
        lines.push(format!("put the damaged manifest in {}", copy.display()));
    }
    if !done.kept.is_empty() {
        lines.push(format!("kept {}", done.kept.join("; ")));
    }
    if !done.lost.is_empty() {
        lines.push(format!("lost {}", done.lost.join("; ")));
    }
    if !done.found.is_empty() {
        lines.push(format!(
            "named {} after their directories, with default settings: {}",
            output::plural(done.found.len() as u64, "cache", "caches"),
            done.found.join(", ")
        ));
    }
    if done.invalidated_all {
        lines.push(format!(
            "invalidated every cache at epoch {}: what was lost could otherwise let an entry invalidated before the damage be served",
            done.epoch
        ));
    }
    lines.push(format!(
        "rebuilt the manifest: {}, epoch {}",
        output::plural(done.caches as u64, "cache", "caches"),
        done.epoch
    ));
    Ok(lines
        .iter()
        .map(|line| format!("store: {line}\n"))
        .collect())
}
