//! `cacheman info`: which store is in use, and why; for a shared store, the
//! server's details too.

use std::io::Write;

use clap::Args;
use serde_json::json;

use crate::cli::context::Context;
use crate::cli::output;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::store_url::StoreSpec;

/// Show which store is in use and why
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman info
  du -sh \"$(cacheman info --path)\"")]
pub struct InfoArgs {
    /// Print only the store's path (for a shared store, its URL, password masked)
    #[arg(long, conflicts_with = "json")]
    pub path: bool,
    /// Print a JSON object
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: InfoArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let name = ctx.location.name();
    if args.path {
        writeln!(out, "{name}").map_err(output::stdout_error)?;
        return Ok(ExitCode::Success);
    }
    let caches = ctx.store.list()?.len();
    let (exists, namespace) = match &ctx.location.spec {
        StoreSpec::Local(path) => (path.is_dir(), None),
        StoreSpec::Redis(target) => (true, Some(target.namespace.as_str())),
    };
    let details = ctx.store.details()?;
    if args.json {
        let mut info = json!({
            "store": name,
            "source": ctx.location.source.to_string(),
            "exists": exists,
            "caches": caches,
            "version": env!("CARGO_PKG_VERSION"),
        });
        if let Some(namespace) = namespace {
            info["namespace"] = json!(namespace);
        }
        if !details.is_empty() {
            let fields: serde_json::Map<_, _> =
                details.into_iter().map(|(k, v)| (k, json!(v))).collect();
            info["details"] = fields.into();
        }
        writeln!(out, "{info}").map_err(output::stdout_error)?;
        return Ok(ExitCode::Success);
    }
    let state = if exists { "" } else { " (not created yet)" };
    let mut lines = vec![
        ("store".to_string(), format!("{name}{state}")),
        ("from".to_string(), ctx.location.source.to_string()),
    ];
    if let Some(namespace) = namespace {
        lines.push(("namespace".to_string(), namespace.to_string()));
    }
    lines.push(("caches".to_string(), caches.to_string()));
    lines.push(("version".to_string(), env!("CARGO_PKG_VERSION").to_string()));
    // What the store says of itself, less what is already shown.
    for (name, value) in details {
        if !lines.iter().any(|(shown, _)| *shown == name) {
            lines.push((name, value));
        }
    }
    output::write_all(out, aligned(&lines).as_bytes())?;
    Ok(ExitCode::Success)
}

/// `name: value` lines, the values in one column (at least 9 characters in).
fn aligned(lines: &[(String, String)]) -> String {
    let width = lines
        .iter()
        .map(|(name, _)| name.len() + 2)
        .max()
        .unwrap_or(0);
    let width = width.max(9);
    lines
        .iter()
        .map(|(name, value)| format!("{:<width$}{value}\n", format!("{name}:")))
        .collect()
}
