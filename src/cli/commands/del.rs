//! `cacheman del`: delete keys.

use std::ffi::OsString;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::json::KeyForm;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;

/// Delete keys; exit 1 if none of them existed
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman del users alice
  cacheman del users alice bob carol
  cacheman del blobs YQBi --key-base64       # the key a\\0b")]
pub struct DelArgs {
    /// The cache
    pub cache: String,
    /// The keys to delete
    #[arg(required = true, value_parser = clap::value_parser!(OsString))]
    pub keys: Vec<OsString>,
    #[command(flatten)]
    pub key_form: KeyForm,
}

pub fn run(ctx: &Context, args: DelArgs) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let keys = args
        .keys
        .iter()
        .map(|key| args.key_form.bytes(key))
        .collect::<Result<Vec<_>>>()?;
    let keys: Vec<&[u8]> = keys.iter().map(AsRef::as_ref).collect();
    let (deleted, report) = ctx.store.delete(&cache, &keys)?;
    ctx.after_write(&cache, &report);
    Ok(if deleted > 0 {
        ExitCode::Success
    } else {
        ExitCode::Miss
    })
}
