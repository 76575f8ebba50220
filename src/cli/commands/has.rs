//! `cacheman has`: answer by exit status whether a key is present.

use std::ffi::OsString;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::json::KeyForm;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;

/// Exit 0 if the key has a fresh value (not expired, invalidated or stale), 1 if not; print nothing
#[derive(Debug, Args)]
#[command(after_help = "Example:
  cacheman has users alice || fetch-user alice | cacheman set users alice")]
pub struct HasArgs {
    /// The cache
    pub cache: String,
    /// The key
    #[arg(value_parser = clap::value_parser!(OsString))]
    pub key: OsString,
    #[command(flatten)]
    pub key_form: KeyForm,
}

pub fn run(ctx: &Context, args: HasArgs) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let key = args.key_form.bytes(&args.key)?;
    Ok(
        match crate::watch::checked_get(&*ctx.store, &cache, &key)? {
            Some(hit) if !hit.stale => ExitCode::Success,
            _ => ExitCode::Miss,
        },
    )
}
