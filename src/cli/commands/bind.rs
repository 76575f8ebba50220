//! `cacheman bind` and `unbind`: record which files a cache mirrors, so that
//! `watch`, `check` and `get --check-bindings` invalidate it when they change.

use std::ffi::OsString;
use std::path::Path;

use clap::Args;

use crate::bindings::Pattern;
use crate::cli::context::Context;
use crate::error::{IoContext, Result};
use crate::exit_code::ExitCode;
use crate::name::CacheName;

/// Bind a cache to files, directories or globs it mirrors
#[derive(Debug, Args)]
#[command(
    after_help = "Relative paths are taken from the working directory and stored absolute.
A directory binds everything under it; a glob (quote it) binds the paths it
matches, '*' within one directory and '**' across them, a matched directory
with everything under it. A path binds whatever
is there, a file or a whole tree, so a path that does not exist yet (name it
with a trailing '/' if it will be a directory) is covered once it appears. A
symbolic link named is followed now; links inside a tree are never followed.
Paths inside the store cannot be bound. The cache is created if needed.

Once bound, `cacheman watch` invalidates the cache (and its dependents) when a
bound file is written, created, deleted, replaced, touched or chmod-ed (not
when only its ctime moves: an access-time update, a hard link, a chown);
without a watcher, `cacheman check` or `get --check-bindings` notice the same
changes from the files' stat data.

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
    after_help = "Paths are named as for `bind` (relative ones from the working directory),
with or without a trailing '/'; `cacheman ls --json` shows the stored forms.
Says which paths were not bound, and exits 1 if none of them was.

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
    ctx.store.bind(&cache, &patterns)?;
    Ok(ExitCode::Success)
}

/// Exits 1 when none of the paths was bound, as `undepend` does for edges.
pub fn unbind(ctx: &Context, args: UnbindArgs) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let patterns = match args.all {
        true => None,
        false => Some(resolve_all(&args.paths)?),
    };
    let removed = ctx.store.unbind(&cache, patterns.as_deref())?.changed;
    for named in patterns.iter().flatten() {
        if !removed.iter().any(|p| p.same_path(named)) {
            say!("cacheman: {} was not bound to '{cache}'", named.shown());
        }
    }
    Ok(match removed.is_empty() {
        true => ExitCode::Miss,
        false => ExitCode::Success,
    })
}

fn resolve_all(paths: &[OsString]) -> Result<Vec<Pattern>> {
    let cwd = std::env::current_dir().at(Path::new("."))?;
    paths.iter().map(|p| Pattern::resolve(p, &cwd)).collect()
}
