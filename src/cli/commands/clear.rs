//! `cacheman clear`: remove every entry of a cache, keeping its settings.

use clap::Args;

use crate::cli::context::Context;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;

/// Remove every entry of a cache (in constant time), keeping its settings
#[derive(Debug, Args)]
#[command(after_help = "Example:
  cacheman clear thumbs             # empty, with its TTL, limits and edges kept")]
pub struct ClearArgs {
    /// The cache
    pub cache: String,
}

pub fn run(ctx: &Context, args: ClearArgs) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let report = ctx.store.clear(&cache)?;
    ctx.after_write(&cache, &report);
    Ok(ExitCode::Success)
}
