//! What every command gets: the resolved store, and the follow-up a write needs
//! (printing notices, starting a background sync).

use std::path::Path;
use std::process::{Command, Stdio};

use std::os::unix::process::CommandExt;

use crate::cli::args::GlobalArgs;
use crate::error::{IoContext, Result};
use crate::local::LocalStore;
use crate::name::CacheName;
use crate::resolve::{self, Location};
use crate::store::WriteReport;

pub struct Context {
    pub location: Location,
    pub store: LocalStore,
}

impl Context {
    pub fn new(global: &GlobalArgs, dir_from_env: bool) -> Result<Context> {
        let cwd = std::env::current_dir().at(Path::new("."))?;
        let location = match (&global.dir, dir_from_env) {
            (Some(dir), true) => resolve::resolve(None, Some(dir.clone().into_os_string()), &cwd)?,
            (flag, _) => resolve::resolve(flag.as_deref(), None, &cwd)?,
        };
        if global.verbose {
            eprintln!(
                "cacheman: store: {} (from {})",
                location.path.display(),
                location.source
            );
        }
        let store = LocalStore::new(&location.path).with_deferred_sync();
        Ok(Context { location, store })
    }

    /// Reports what a write left behind and starts a background sync when due.
    pub fn after_write(&self, cache: &CacheName, report: &WriteReport) {
        for notice in &report.notices {
            eprintln!("cacheman: warning: {notice}");
        }
        if report.sync_due
            && let Err(e) = self.spawn_background_sync(cache)
        {
            eprintln!("cacheman: warning: could not start a background sync: {e}");
        }
    }

    /// Starts `cacheman sync --background CACHE` detached, so that a large merge
    /// never stalls the write that made it due.
    fn spawn_background_sync(&self, cache: &CacheName) -> Result<()> {
        let exe = std::env::current_exe().at(Path::new("/proc/self/exe"))?;
        Command::new(&exe)
            .arg("--dir")
            .arg(&self.location.path)
            .args(["sync", "--background", cache.as_str()])
            .env_remove("CACHEMAN_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .at(&exe)?;
        Ok(())
    }
}
