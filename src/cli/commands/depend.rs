//! `cacheman depend` and `cacheman undepend`: add and remove dependency edges.

use clap::Args;

use crate::cli::context::Context;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;

/// Make caches depend on ROOT: invalidating ROOT then invalidates them too
#[derive(Debug, Args)]
#[command(after_help = "Example:
  cacheman depend sources objects && cacheman depend objects binaries
  cacheman invalidate sources      # clears objects and binaries too

An edge that would close a cycle is refused, and the cycle is shown.")]
pub struct DependArgs {
    /// The cache depended on (created if missing)
    pub root: String,
    /// The caches that depend on it (created if missing)
    #[arg(required = true)]
    pub dependents: Vec<String>,
}

/// Remove dependency edges; exit 1 if none of them existed
#[derive(Debug, Args)]
#[command(after_help = "Example:
  cacheman undepend sources objects # invalidating sources leaves objects alone")]
pub struct UndependArgs {
    /// The cache depended on
    pub root: String,
    /// The caches that should no longer depend on it
    #[arg(required = true)]
    pub dependents: Vec<String>,
}

fn names(root: &str, dependents: &[String]) -> Result<(CacheName, Vec<CacheName>)> {
    let dependents = dependents
        .iter()
        .map(|d| CacheName::new(d))
        .collect::<Result<_>>()?;
    Ok((CacheName::new(root)?, dependents))
}

pub fn depend(ctx: &Context, args: DependArgs) -> Result<ExitCode> {
    let (root, dependents) = names(&args.root, &args.dependents)?;
    ctx.store.depend(&root, &dependents)?;
    Ok(ExitCode::Success)
}

pub fn undepend(ctx: &Context, args: UndependArgs) -> Result<ExitCode> {
    let (root, dependents) = names(&args.root, &args.dependents)?;
    Ok(match ctx.store.undepend(&root, &dependents)? {
        0 => ExitCode::Miss,
        _ => ExitCode::Success,
    })
}
