//! `cacheman ls`: the caches with their sizes and settings.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use serde_json::json;

use crate::cli::context::Context;
use crate::cli::{json, output};
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::store::{CacheSummary, Store};

/// List the caches with entry counts, sizes and settings
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Print a JSON array with one object per cache
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: LsArgs) -> Result<ExitCode> {
    let caches = ctx.store.list()?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let list: Vec<_> = caches.iter().map(to_json).collect();
        serde_json::to_writer(&mut out, &list).map_err(|e| output::stdout_error(e.into()))?;
        writeln!(out).map_err(output::stdout_error)?;
    } else if !caches.is_empty() {
        let header = [
            "NAME", "ENTRIES", "SIZE", "PENDING", "TTL", "LIMITS", "FLAGS",
        ];
        let rows: Vec<Vec<String>> = caches.iter().map(to_row).collect();
        output::write_all(&mut out, output::table(&header, &rows).as_bytes())?;
    }
    output::flush(&mut out)?;
    Ok(ExitCode::Success)
}

fn to_json(cache: &CacheSummary) -> serde_json::Value {
    let s = &cache.settings;
    json!({
        "name": cache.name.as_str(),
        "entries": cache.entries,
        "bytes": cache.bytes,
        "pending": cache.pending,
        "last_sync": cache.last_sync_ms.map_or(serde_json::Value::Null, json::time),
        "ttl_ms": s.ttl_ms,
        "max_entries": s.max_entries,
        "max_bytes": s.max_bytes,
        "volatile": s.volatile,
        "durable": s.durable,
    })
}

fn to_row(cache: &CacheSummary) -> Vec<String> {
    let s = &cache.settings;
    let ttl = s.ttl_ms.map_or("-".into(), |ms| {
        humantime::format_duration(Duration::from_millis(ms)).to_string()
    });
    let mut limits = Vec::new();
    if let Some(n) = s.max_entries {
        limits.push(format!("{n} entries"));
    }
    if let Some(b) = s.max_bytes {
        limits.push(human_bytes(b));
    }
    let flags: Vec<&str> = [(s.volatile, "volatile"), (s.durable, "durable")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    vec![
        cache.name.to_string(),
        cache.entries.to_string(),
        human_bytes(cache.bytes),
        cache.pending.to_string(),
        ttl,
        dash_if_empty(limits.join(", ")),
        dash_if_empty(flags.join(",")),
    ]
}

fn human_bytes(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).display().iec().to_string()
}

fn dash_if_empty(text: String) -> String {
    if text.is_empty() { "-".into() } else { text }
}
