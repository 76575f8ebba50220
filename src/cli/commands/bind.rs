//! `cacheman bind` and `unbind`: record which files a cache mirrors, so that
//! `watch`, `check` and `get --check-bindings` invalidate it when they change.

use std::ffi::OsString;
use std::path::Path;

use clap::Args;

use crate::cli::context::Context;
use crate::error::{IoContext, Result};
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::watch::{Pattern, bindings};

/// Bind a cache to files, directories or globs it mirrors
#[derive(Debug, Args)]
#[command(
    after_help = "Relative paths are taken from the working directory and stored absolute.
A directory binds everything under it; a glob (quote it) binds the files it
matches, '*' within one directory and '**' across them. A path that does not
exist yet is a file. The cache is created if needed.

Once bound, `cacheman watch` invalidates the cache (and its dependents) when a
bound file is written, created, deleted or replaced; without a watcher,
`cacheman check` or `get --check-bindings` notice the change from the files'
stat data.

Examples:
  cacheman bind config ~/.config/app/config.toml
  cacheman bind templates templates/
  cacheman bind sources 'src/**/*.rs' Cargo.toml"
)]
pub struct BindArgs {
    /// The cache
    pub cache: String,
    /// Files, directories or glob patterns
    #[arg(required = true, value_parser = clap::value_parser!(OsString))]
    pub paths: Vec<OsString>,
}

/// Remove some or all of a cache's file bindings
#[derive(Debug, Args)]
#[command(
    after_help = "Paths are named as for `bind` (relative ones from the working directory);
`cacheman ls --json` shows the stored forms. Exits 1 if none of them was bound.

Examples:
  cacheman unbind config ~/.config/app/config.toml
  cacheman unbind sources --all"
)]
pub struct UnbindArgs {
    /// The cache
    pub cache: String,
    /// The bound paths to remove
    #[arg(required_unless_present = "all", value_parser = clap::value_parser!(OsString))]
    pub paths: Vec<OsString>,
    /// Remove every binding of the cache
    #[arg(long, conflicts_with = "paths")]
    pub all: bool,
}

pub fn bind(ctx: &Context, args: BindArgs) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let patterns = resolve_all(&args.paths)?;
    bindings::bind(&ctx.store, &cache, &patterns)?;
    Ok(ExitCode::Success)
}

/// Exits 1 when none of the paths was bound, as `undepend` does for edges.
pub fn unbind(ctx: &Context, args: UnbindArgs) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let patterns = match args.all {
        true => None,
        false => Some(resolve_all(&args.paths)?),
    };
    Ok(
        match bindings::unbind(&ctx.store, &cache, patterns.as_deref())? {
            0 => ExitCode::Miss,
            _ => ExitCode::Success,
        },
    )
}

fn resolve_all(paths: &[OsString]) -> Result<Vec<Pattern>> {
    let cwd = std::env::current_dir().at(Path::new("."))?;
    paths.iter().map(|p| Pattern::resolve(p, &cwd)).collect()
}
