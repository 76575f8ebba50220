//! `cacheman drop`: delete a cache and all its files.

use clap::Args;

use crate::cli::context::Context;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;

/// Delete a cache, its settings and all its files
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman drop sessions
  cacheman drop sources --force     # also removes the edges of caches depending on it")]
pub struct DropArgs {
    /// The cache
    pub cache: String,
    /// Drop it even though other caches depend on it, removing those edges
    #[arg(long)]
    pub force: bool,
}

pub fn run(ctx: &Context, args: DropArgs) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    ctx.store.drop_cache(&cache, args.force)?;
    Ok(ExitCode::Success)
}
