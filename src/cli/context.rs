//! What every command gets: the resolved store, and the follow-up a write needs
//! (printing notices, starting a background sync).

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::thread;

use crate::cli::args::GlobalArgs;
use crate::error::{Error, IoContext, Result};
use crate::name::CacheName;
use crate::resolve::{self, Location};
use crate::scratch::Scratch;
use crate::store::{self, Store, WriteReport};
use crate::store_url::{RedisTarget, StoreSpec};

/// The variable naming the machine a shared store keeps this machine's
/// bindings under (default: the host name).
pub const HOST_ENV: &str = "CACHEMAN_HOST";

#[derive(Clone)]
pub struct Context {
    pub location: Location,
    /// The store, held only as the interface.
    pub store: Arc<dyn Store>,
    /// `-v`: say which store is in use.
    pub verbose: bool,
}

/// What a sync thread did with one job.
pub enum SyncOutcome {
    /// These caches were synced (none when nothing was due).
    Synced(Vec<CacheName>),
    Failed(Error),
}

/// Work for a long-running process's sync thread. (A sync that a write asks
/// for goes to a detached process, as after a lone command: see
/// [`Context::after_write`].)
pub enum SyncJob {
    /// Sync every cache whose autosync rules fire now.
    Due,
}

impl Context {
    /// The context of one command. With `-v`, the store is named on stderr,
    /// unless `own_log` (the command names it in its own log's format).
    pub fn new(global: &GlobalArgs, own_log: bool) -> Result<Context> {
        let location = Context::locate(global, own_log)?;
        let no_stats =
            global.no_stats || std::env::var_os("CACHEMAN_NO_STATS").is_some_and(|v| !v.is_empty());
        let store = store::open(&location.spec, location.reopen_args.clone(), !no_stats)?;
        Ok(Context {
            location,
            store,
            verbose: global.verbose,
        })
    }

    /// Where the store of one command is, found without opening it (nor
    /// connecting to a server); named on stderr with `-v` unless `own_log`.
    pub fn locate(global: &GlobalArgs, own_log: bool) -> Result<Location> {
        let cwd = std::env::current_dir().at(Path::new("."))?;
        let named = resolve::Named {
            store: global.store.as_deref(),
            dir: global.dir.as_deref(),
        };
        let mut location = resolve::resolve(named, |name| std::env::var_os(name), &cwd)?;
        if let StoreSpec::Redis(target) = &mut location.spec {
            machine(target)?;
        }
        if global.verbose && !own_log {
            say!(
                "cacheman: store: {} (from {})",
                location.name(),
                location.source
            );
        }
        Ok(location)
    }

    /// Starts the thread that runs a long-running process's syncs, so that no
    /// command waits for one; it ends when every sender of `queue` is gone. A
    /// failure is printed as a warning.
    pub fn spawn_syncer(&self, queue: Receiver<SyncJob>) -> thread::JoinHandle<()> {
        self.spawn_syncer_reporting(queue, |outcome| {
            if let SyncOutcome::Failed(e) = outcome {
                say!("cacheman: warning: background sync failed: {e}");
            }
        })
    }

    /// [`Context::spawn_syncer`], handing what each job did to `report`.
    pub fn spawn_syncer_reporting(
        &self,
        queue: Receiver<SyncJob>,
        mut report: impl FnMut(SyncOutcome) + Send + 'static,
    ) -> thread::JoinHandle<()> {
        let store = Arc::clone(&self.store);
        thread::spawn(move || {
            for job in queue {
                let SyncJob::Due = job;
                let result = store.autosync_due();
                report(match result {
                    Ok(synced) => SyncOutcome::Synced(synced),
                    Err(e) => SyncOutcome::Failed(e),
                });
            }
        })
    }

    /// Reports what a write left behind and starts a background sync when due.
    pub fn after_write(&self, cache: &CacheName, report: &WriteReport) {
        for notice in &report.notices {
            say!("cacheman: warning: {notice}");
        }
        if !report.sync_due {
            return;
        }
        if self.spawn_background_sync(cache).is_err() {
            say!("cacheman: warning: could not start a background sync of '{cache}'");
        }
    }

    /// Starts `cacheman sync --background CACHE` detached, so that a large merge
    /// never stalls the write that made it due.
    fn spawn_background_sync(&self, cache: &CacheName) -> Result<()> {
        let args = ["sync", "--background", cache.as_str()];
        crate::detach::spawn(&self.store.reopen_args()?, &args, Stdio::null())
    }
}

/// What a shared store is told of this machine: its name for bindings
/// (`CACHEMAN_HOST`, when set and not empty) and where its sidecar goes.
fn machine(target: &mut RedisTarget) -> Result<()> {
    if let Some(host) = std::env::var_os(HOST_ENV).filter(|h| !h.is_empty()) {
        let host = host
            .into_string()
            .map_err(|_| Error::usage(format!("{HOST_ENV} is not UTF-8")))?;
        target.host = Some(host);
    }
    target.sidecar_base = Scratch::default_base();
    Ok(())
}
