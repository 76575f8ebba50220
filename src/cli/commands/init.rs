//! `cacheman init`: make a per-project store (`.cacheman/`) that commands run
//! below it will find.

use clap::Args;
use std::path::PathBuf;

use crate::cli::context::Context;
use crate::error::{IoContext, Result};
use crate::exit_code::ExitCode;
use crate::local::{fsutil, trusted};
use crate::resolve::PROJECT_DIR;

/// Create a .cacheman/ store in DIR, used by every command run below it
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to put .cacheman/ [default: the working directory]
    pub dir: Option<PathBuf>,
}

pub fn run(_ctx: &Context, args: InitArgs) -> Result<ExitCode> {
    let base = match args.dir {
        Some(dir) => dir,
        None => std::env::current_dir().at(&PathBuf::from("."))?,
    };
    // Named canonically (its files are opened with no link followed), and
    // refused when it exists but is not the user's own.
    let store = trusted::open_root(&base.join(PROJECT_DIR))?;
    if store.is_dir() {
        say!("store already exists: {}", store.display());
    } else {
        fsutil::create_private_dir(&store)?;
        say!("created store: {}", store.display());
    }
    Ok(ExitCode::Success)
}
