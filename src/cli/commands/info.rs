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
    if args.path {
        writeln!(out, "{}", ctx.location.name()).map_err(output::stdout_error)?;
        return Ok(ExitCode::Success);
    }
    let facts = Facts::of(ctx)?;
    match args.json {
        true => writeln!(out, "{}", facts.json()).map_err(output::stdout_error)?,
        false => output::write_all(out, facts.text().as_bytes())?,
    }
    Ok(ExitCode::Success)
}

/// What `info` says.
struct Facts {
    name: String,
    source: String,
    exists: bool,
    /// A shared store's namespace.
    namespace: Option<String>,
    /// A shared store's sidecar: this machine's directory for its local files.
    sidecar: Option<String>,
    caches: usize,
    /// What the store says of itself (a server's version, mode, ...).
    details: Vec<(String, String)>,
}

impl Facts {
    fn of(ctx: &Context) -> Result<Facts> {
        let (exists, namespace, sidecar) = match &ctx.location.spec {
            StoreSpec::Local(path) => (path.is_dir(), None, None),
            StoreSpec::Redis(target) => (
                true,
                Some(target.namespace.clone()),
                Some(ctx.location.path.display().to_string()),
            ),
        };
        Ok(Facts {
            name: ctx.location.name(),
            source: ctx.location.source.to_string(),
            exists,
            namespace,
            sidecar,
            caches: ctx.store.list()?.len(),
            details: ctx.store.details()?,
        })
    }

    fn json(&self) -> serde_json::Value {
        let mut info = json!({
            "store": self.name,
            "source": self.source,
            "exists": self.exists,
            "caches": self.caches,
            "version": env!("CARGO_PKG_VERSION"),
        });
        if let Some(namespace) = &self.namespace {
            info["namespace"] = json!(namespace);
        }
        if let Some(sidecar) = &self.sidecar {
            info["sidecar"] = json!(sidecar);
        }
        if !self.details.is_empty() {
            let details: serde_json::Map<_, _> = self
                .details
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            info["details"] = details.into();
        }
        info
    }

    fn text(&self) -> String {
        let state = if self.exists {
            ""
        } else {
            " (not created yet)"
        };
        let mut lines = vec![
            ("store".to_string(), format!("{}{state}", self.name)),
            ("from".to_string(), self.source.clone()),
        ];
        if let Some(namespace) = &self.namespace {
            lines.push(("namespace".to_string(), namespace.clone()));
        }
        if let Some(sidecar) = &self.sidecar {
            lines.push(("sidecar".to_string(), sidecar.clone()));
        }
        lines.push(("caches".to_string(), self.caches.to_string()));
        lines.push(("version".to_string(), env!("CARGO_PKG_VERSION").to_string()));
        // What the store says of itself, less what is already shown.
        for (name, value) in &self.details {
            if !lines.iter().any(|(shown, _)| shown == name) {
                lines.push((name.clone(), value.clone()));
            }
        }
        aligned(&lines)
    }
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
