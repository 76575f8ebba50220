//! `cacheman config`: show or change the settings of a cache, or the store's
//! default autosync rules.

use std::io::Write;

use clap::Args;
use serde_json::json;

use crate::autosync::Autosync;
use crate::cli::context::Context;
use crate::cli::output;
use crate::cli::settings::{self, SettingArgs};
use crate::error::{Error, Result};
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::unknown_cache;

/// Show or change a cache's settings, or (without CACHE) the store's autosync rules
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman config                         # the store's default autosync rules
  cacheman config --autosync 60:1000,300:1
  cacheman config thumbs --max-bytes 1GiB --ttl never
  cacheman config ledger --autosync default   # follow the store's rules again")]
pub struct ConfigArgs {
    /// The cache; without it, the store-wide defaults
    pub cache: Option<String>,
    #[command(flatten)]
    pub settings: SettingArgs,
    /// Print the settings as a JSON object
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: ConfigArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let store = &ctx.store;
    let Some(name) = &args.cache else {
        return store_defaults(ctx, &args, out);
    };
    let cache = CacheName::new(name)?;
    let unknown = || unknown_cache(&cache);
    let current = match args.settings.any() {
        true => store.configure(&cache, &|settings| args.settings.apply(settings))?,
        false => store.settings(&cache)?.ok_or_else(unknown)?,
    };
    let effective = current
        .autosync
        .clone()
        .unwrap_or(store.default_autosync()?);
    if args.json {
        let mut object = settings::to_json(&current, &effective);
        object["name"] = json!(cache.as_str());
        writeln!(out, "{object}").map_err(output::stdout_error)?;
    } else {
        let limit = |v: Option<u64>, show: fn(u64) -> String| v.map_or("none".into(), show);
        let source = if current.autosync.is_some() {
            ""
        } else {
            " (store default)"
        };
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let text = format!(
            "ttl:         {}\nmax-entries: {}\nmax-bytes:   {}\nautosync:    {effective}{source}\ndurable:     {}\nvolatile:    {}\ncheck-bindings: {}\n",
            settings::human_ttl(current.ttl_ms),
            limit(current.max_entries, |n| n.to_string()),
            limit(current.max_bytes, settings::exact_bytes),
            yes_no(current.durable),
            yes_no(current.volatile),
            yes_no(current.check_bindings),
        );
        output::write_all(out, text.as_bytes())?;
    }
    Ok(ExitCode::Success)
}

fn store_defaults(ctx: &Context, args: &ConfigArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let s = &args.settings;
    if s.ttl.is_some()
        || s.max_entries.is_some()
        || s.max_bytes.is_some()
        || s.durable.is_some()
        || s.check_bindings.is_some()
    {
        return Err(Error::usage_with_hint(
            "only --autosync has a store-wide default",
            "name a cache to change its other settings: cacheman config CACHE ...",
        ));
    }
    if let Some(rules) = &s.autosync {
        let rules: Autosync = match rules.trim() {
            "default" => Autosync::default(),
            rules => rules.parse()?,
        };
        ctx.store.set_default_autosync(&rules)?;
    }
    let rules = ctx.store.default_autosync()?;
    if args.json {
        writeln!(out, "{}", json!({ "autosync": rules.to_string() }))
            .map_err(output::stdout_error)?;
    } else {
        writeln!(out, "autosync: {rules}").map_err(output::stdout_error)?;
    }
    Ok(ExitCode::Success)
}
