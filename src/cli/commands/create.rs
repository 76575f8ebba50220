//! `cacheman create`: make a cache with chosen settings.

use clap::Args;

use crate::cli::context::Context;
use crate::cli::parse;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::{CacheSettings, Store, Ttl};

/// Create a cache with settings (writing to a missing cache creates it with defaults)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman create sessions --ttl 30m --volatile
  cacheman create thumbnails --max-bytes 500MiB --max-entries 100000")]
pub struct CreateArgs {
    /// The name: letters, digits, '.', '_' and '-', not starting with '.', at most 128 bytes
    pub cache: String,
    /// Default time to live of its entries (30s, 10m, 2h, 1day)
    #[arg(long, value_name = "DURATION")]
    pub ttl: Option<String>,
    /// Keep at most this many entries (least recently written go first)
    #[arg(long, value_name = "N")]
    pub max_entries: Option<String>,
    /// Keep at most this many key and value bytes (4096, 64K, 10MB, 1GiB)
    #[arg(long, value_name = "SIZE")]
    pub max_bytes: Option<String>,
    /// Keep it in the runtime directory (tmpfs): fast, and gone after a reboot
    #[arg(long)]
    pub volatile: bool,
    /// fsync every write before the command returns
    #[arg(long)]
    pub durable: bool,
    /// Succeed without changes if the cache already exists
    #[arg(short = 'p', long)]
    pub exist_ok: bool,
}

pub fn run(ctx: &Context, args: CreateArgs) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let ttl_ms = match args.ttl.as_deref().map(parse::ttl).transpose()? {
        Some(Ttl::After(d)) => Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        _ => None,
    };
    let settings = CacheSettings {
        ttl_ms,
        max_entries: args
            .max_entries
            .as_deref()
            .map(|n| parse::count("--max-entries", n))
            .transpose()?,
        max_bytes: args
            .max_bytes
            .as_deref()
            .map(|b| parse::size("--max-bytes", b))
            .transpose()?,
        volatile: args.volatile,
        durable: args.durable,
    };
    if args.exist_ok && ctx.store.settings(&cache)?.is_some() {
        return Ok(ExitCode::Success);
    }
    ctx.store.create(&cache, &settings)?;
    Ok(ExitCode::Success)
}
