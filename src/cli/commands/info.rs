//! `cacheman info`: which store is in use, and why.

use std::io::Write;

use clap::Args;
use serde_json::json;

use crate::cli::context::Context;
use crate::cli::output;
use crate::error::Result;
use crate::exit_code::ExitCode;

/// Show which store is in use and why
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman info
  du -sh \"$(cacheman info --path)\"")]
pub struct InfoArgs {
    /// Print only the store's path
    #[arg(long, conflicts_with = "json")]
    pub path: bool,
    /// Print a JSON object
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: InfoArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let path = ctx.location.path.display().to_string();
    if args.path {
        writeln!(out, "{path}").map_err(output::stdout_error)?;
        return Ok(ExitCode::Success);
    }
    let caches = ctx.store.list()?.len();
    let exists = ctx.location.path.is_dir();
    if args.json {
        let info = json!({
            "store": path,
            "source": ctx.location.source.to_string(),
            "exists": exists,
            "caches": caches,
            "version": env!("CARGO_PKG_VERSION"),
        });
        writeln!(out, "{info}").map_err(output::stdout_error)?;
    } else {
        let state = if exists { "" } else { " (not created yet)" };
        let text = format!(
            "store:   {path}{state}\nfrom:    {}\ncaches:  {caches}\nversion: {}\n",
            ctx.location.source,
            env!("CARGO_PKG_VERSION")
        );
        output::write_all(out, text.as_bytes())?;
    }
    Ok(ExitCode::Success)
}
