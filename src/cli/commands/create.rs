//! `cacheman create`: make a cache with chosen settings.

use clap::Args;

use crate::cli::context::Context;
use crate::cli::settings::SettingArgs;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::CacheSettings;

/// Create a cache with settings (writing to a missing cache creates it with defaults)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman create sessions --ttl 30m --volatile
  cacheman create thumbnails --max-bytes 500MiB --max-entries 100000
  cacheman create ledger --durable --autosync 1:1")]
pub struct CreateArgs {
    /// The name: letters, digits, '.', '_' and '-', not starting with '.', at most 128 bytes
    pub cache: String,
    #[command(flatten)]
    pub settings: SettingArgs,
    /// Keep it in the runtime directory (tmpfs): fast, and gone after a reboot
    #[arg(long)]
    pub volatile: bool,
    /// Succeed without changes if the cache already exists
    #[arg(short = 'p', long)]
    pub exist_ok: bool,
}

pub fn run(ctx: &Context, args: CreateArgs) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let mut settings = CacheSettings {
        volatile: args.volatile,
        ..CacheSettings::default()
    };
    args.settings.apply(&mut settings)?;
    ctx.store.create(&cache, &settings, args.exist_ok)?;
    Ok(ExitCode::Success)
}
