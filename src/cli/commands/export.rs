//! `cacheman export`: write a cache's live entries, with their times, to stdout
//! as JSON Lines or CSV.

use std::io::Write;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::progress::{self, Unit};
use crate::cli::transfer::{self, Format};
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;

/// Write a cache's entries to stdout, with their creation and expiry times
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman export users > users.jsonl
  cacheman export users --format csv > users.csv
  cacheman export users | cacheman import users-copy

JSON Lines: one object per entry, {\"key\", \"value\", \"created_ms\", \"expires_ms\",
\"stale\"}; a key or value that is not UTF-8 is {\"bytes\": \"<base64>\"}.
CSV: the header key,value,encoding,created_ms,expires_ms,stale; encoding is
'text' when key and value are both UTF-8, else 'base64' (both base64).
Times are milliseconds since the Unix epoch; an empty expires_ms never expires.
Entries come sorted by key; expired and invalidated ones are left out.")]
pub struct ExportArgs {
    /// The cache
    pub cache: String,
    /// The output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(ctx: &Context, args: ExportArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let entries = ctx.store.export(&cache)?;
    let bar = progress::bar(
        entries.len() as u64,
        Unit::Items,
        &format!("exporting {cache}"),
    );
    transfer::write(args.format, entries, out, &bar)?;
    bar.finish_and_clear();
    Ok(ExitCode::Success)
}
