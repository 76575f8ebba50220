//! `cacheman incr`: add to a key's decimal integer value, atomically, and
//! print the new value.

use std::ffi::OsString;
use std::io::Write;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::json::KeyForm;
use crate::cli::{output, parse};
use crate::error::{Error, Result};
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::Ttl;

/// Add to a key's integer value (atomically) and print the new value
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman incr hits /index.html
  cacheman incr stock widget --by -3
  n=$(cacheman incr rate \"api:$user\" --ttl 1m); [ \"$n\" -le 100 ] || exit 1   # 100 a minute

A missing or expired entry counts as 0 and is created (with --ttl); an existing
one keeps its expiry. A value that is not a decimal integer, or a sum past the
64-bit range, exits 2 and changes nothing. Concurrent increments never lose one.")]
pub struct IncrArgs {
    /// The cache (created with default settings if it does not exist)
    pub cache: String,
    /// The key
    #[arg(value_parser = clap::value_parser!(OsString))]
    pub key: OsString,
    /// Add N instead of 1 (may be negative)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub by: Option<String>,
    /// When the entry is created, expire it after this long (30s, 10m, 2h) or
    /// 'never'; default: the cache's TTL
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub ttl: Option<String>,
    #[command(flatten)]
    pub key_form: KeyForm,
}

pub fn run(ctx: &Context, args: IncrArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let by = args.by.as_deref().map_or(Ok(1), by)?;
    let ttl = args
        .ttl
        .as_deref()
        .map(parse::ttl)
        .transpose()?
        .unwrap_or(Ttl::CacheDefault);
    let key = args.key_form.bytes(&args.key)?;
    let (value, report) = ctx.store.incr(&cache, &key, by, ttl)?;
    ctx.after_write(&cache, &report);
    writeln!(out, "{value}").map_err(output::stdout_error)?;
    Ok(ExitCode::Success)
}

/// The increment `--by` gives.
pub fn by(text: &str) -> Result<i64> {
    text.parse().map_err(|_| {
        Error::usage(format!(
            "--by {text:?} is not a decimal integer in the 64-bit range"
        ))
    })
}
