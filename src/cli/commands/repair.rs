//! `cacheman repair`: recover what is intact in a damaged cache, moving the
//! damaged files into its `quarantine/` folder, and say what was done.

use std::io::Write;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::{output, progress};
use crate::error::{Error, Result};
use crate::exit_code::ExitCode;
use crate::inspect::{repair, verify};
use crate::name::CacheName;

/// Recover a damaged cache: keep every intact entry, quarantine damaged files
#[derive(Debug, Args)]
#[command(
    after_help = "Cuts a torn journal tail, leaves damaged records out, rebuilds the snapshot
and its hash table from every readable record, and drops entries whose blob is
missing or damaged. Damaged files go to the cache's quarantine/ folder, never
deleted. Holds the locks a sync holds, so it is safe beside other commands.
Prints what it did; a sound cache is left alone (\"nothing to repair\")."
)]
pub struct RepairArgs {
    /// The cache to repair
    pub cache: String,
}

pub fn run(ctx: &Context, args: RepairArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let name = CacheName::new(&args.cache)?;
    let cache = ctx.store.find(&name)?.ok_or_else(|| {
        Error::usage_with_hint(
            format!("no cache named '{name}'"),
            "`cacheman ls` lists the caches",
        )
    })?;
    let bar = progress::bar(
        verify::expected_entries(&cache.dir),
        &format!("repairing {name}"),
    );
    let actions = repair::repair_cache(&cache.dir, ctx.store.clock().now_ms(), &bar)?;
    bar.finish_and_clear();
    let mut text = String::new();
    if actions.is_empty() {
        text.push_str(&format!("{name}: nothing to repair\n"));
    }
    for action in actions {
        text.push_str(&format!("{name}: {action}\n"));
    }
    output::write_all(out, text.as_bytes())?;
    Ok(ExitCode::Success)
}
