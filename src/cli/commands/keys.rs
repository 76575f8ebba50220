//! `cacheman keys`: list keys, optionally filtered by a glob.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use clap::Args;
use globset::{GlobBuilder, GlobMatcher};

use crate::cli::context::Context;
use crate::cli::{json, output};
use crate::error::{Error, Result};
use crate::exit_code::ExitCode;
use crate::name::CacheName;

/// List the live keys of a cache, sorted
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman keys users
  cacheman keys users 'admin-*'
  cacheman keys users -0 | xargs -0 cacheman del users")]
pub struct KeysArgs {
    /// The cache
    pub cache: String,
    /// Only keys matching this glob (*, ?, [abc], {a,b}; '*' also matches '/')
    pub glob: Option<String>,
    /// Print a JSON array of keys
    #[arg(long, conflicts_with = "null")]
    pub json: bool,
    /// End each key with NUL instead of a newline
    #[arg(short = '0', long)]
    pub null: bool,
}

pub fn run(ctx: &Context, args: KeysArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let matcher = args.glob.as_deref().map(matcher).transpose()?;
    let keys: Vec<Vec<u8>> = ctx
        .store
        .keys(&cache)?
        .into_iter()
        .filter(|key| {
            matcher
                .as_ref()
                .is_none_or(|m| m.is_match(Path::new(OsStr::from_bytes(key))))
        })
        .collect();
    if args.json {
        let list: Vec<_> = keys.iter().map(|k| json::bytes(k)).collect();
        output::json_line(out, &list)?;
    } else {
        let end = if args.null { b"\0" } else { b"\n" };
        for key in &keys {
            output::write_all(out, key)?;
            output::write_all(out, end)?;
        }
    }
    Ok(ExitCode::Success)
}

/// A key glob: `*`, `?`, `[abc]`, `{a,b}`, where `*` also matches `/`.
pub fn matcher(glob: &str) -> Result<GlobMatcher> {
    GlobBuilder::new(glob)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| Error::usage(format!("invalid glob {glob:?}: {}", e.kind())))
}
