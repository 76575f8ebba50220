//! `cacheman drop`: delete a cache and all its files.

use clap::Args;

use crate::cli::context::Context;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::Store;

/// Delete a cache, its settings and all its files
#[derive(Debug, Args)]
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
