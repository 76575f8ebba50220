//! `cacheman init`: make a per-project store (`.cacheman/`) that commands run
//! below it will find.

use clap::Args;
use std::path::PathBuf;

use crate::error::{Error, IoContext, Result};
use crate::exit_code::ExitCode;
use crate::local::{fsutil, trusted};
use crate::resolve::{Location, PROJECT_DIR};
use crate::store_url::StoreSpec;

/// Create a .cacheman/ store in DIR, used by every command run below it
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman init                   # .cacheman/ in the working directory
  cacheman init ~/src/app         # in another project (the directory must exist)")]
pub struct InitArgs {
    /// Where to put .cacheman/, an existing directory [default: the working directory]
    // Its own id: the global `--dir` is also called `dir`, and clap would
    // fill both from this argument (naming DIR the store in use).
    #[arg(id = "project_dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(location: &Location, args: InitArgs) -> Result<ExitCode> {
    // With a shared store named (--store, CACHEMAN_STORE), a project store
    // would never be used: say so rather than make it (without connecting).
    if let StoreSpec::Redis(target) = &location.spec {
        return Err(crate::store::unsupported(&target.display, "init"));
    }
    let base = match args.dir {
        Some(dir) => dir,
        None => std::env::current_dir().at(&PathBuf::from("."))?,
    };
    // As `git init` needs its target's parent: a typo makes nothing.
    if !base.is_dir() {
        return Err(Error::usage_with_hint(
            format!("{} is not an existing directory", base.display()),
            "create it first, or run `cacheman init` inside it",
        ));
    }
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
