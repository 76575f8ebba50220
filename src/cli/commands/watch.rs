//! `cacheman watch`: a foreground process that invalidates caches when their
//! bound files change, and runs the store's autosync timers meanwhile.

use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value as Json, json};

use crate::cli::commands::check::invalidated_list;
use crate::cli::context::{Context, SyncJob};
use crate::cli::{json, output, parse};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, IoContext, Result};
use crate::exit_code::ExitCode;
use crate::local::fsutil::{self, LockGuard};
use crate::name::CacheName;
use crate::store::{Invalidation, Store, SyncResult};
use crate::watch::watcher::{Message, Report, Watcher, describe_notify_error};
use crate::watch::{self};

/// How often the autosync rules are checked while watching.
const AUTOSYNC_TICK: Duration = Duration::from_secs(1);

/// Invalidate caches when their bound files change (runs in the foreground)
#[derive(Debug, Args)]
#[command(
    after_help = "Watches every path bound with `cacheman bind` and, when bound files are
written, created, deleted or replaced (editors' write-and-rename saves too),
invalidates their caches with all their dependents: once per cache for a burst
of changes that ends with a quiet --debounce window (at most 20 windows after
its first change). Bindings added or removed while it runs take effect at once.
On start it first checks for changes made while no watcher ran.

It also runs the store's autosync timers, and on SIGINT or SIGTERM syncs every
cache with pending changes and exits 0. One watcher runs per store: a second one
is refused (exit 2). Each action is logged as one line on stderr.

Examples:
  cacheman watch
  cacheman watch --debounce 1s --json 2>> watch.log &"
)]
pub struct WatchArgs {
    /// How long bound files must stay quiet before their caches are invalidated
    #[arg(long, value_name = "DURATION", default_value = "100ms")]
    pub debounce: String,
    /// Log actions as JSON lines
    #[arg(long)]
    pub json: bool,
    /// Log warnings only
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
}

pub fn run(ctx: &Context, args: WatchArgs) -> Result<ExitCode> {
    let debounce = parse::duration("--debounce", &args.debounce)?;
    let store = &ctx.store;
    let log = Log {
        json: args.json,
        quiet: args.quiet,
    };
    fsutil::create_private_dir(store.root())?;
    let lock_path = store.root().join("watch.lock");
    let Some(_lock) = LockGuard::try_acquire(&lock_path)? else {
        return Err(Error::usage_with_hint(
            format!(
                "another `cacheman watch` is already watching {}",
                store.root().display()
            ),
            "one watcher per store is enough; stop the other one first",
        ));
    };
    let (inbox, messages) = mpsc::channel();
    forward_signals(inbox.clone())?;
    let mut watcher = match Watcher::new(store.clone(), debounce, inbox) {
        Ok(watcher) => watcher,
        Err(e) => return Ok(fatal(&e)),
    };
    watcher.reload()?;
    if let Err(e) = watcher.rewatch() {
        return Ok(fatal(&e));
    }
    // Caught up after the watches are in place, so no change falls between.
    for (cache, invalidation) in watch::check_all(store)? {
        log.invalidated(&cache, &invalidation, &[]);
    }
    log.watching(watcher.extent());
    let (jobs, queue) = mpsc::channel();
    let syncer = ctx.spawn_syncer(queue);
    let mut next_tick = Instant::now() + AUTOSYNC_TICK;
    let mut signal = None;
    while signal.is_none() {
        let wake = watcher
            .deadline()
            .map_or(next_tick, |due| due.min(next_tick));
        match messages.recv_timeout(wake.saturating_duration_since(Instant::now())) {
            Ok(Message::Fs(Ok(event))) => {
                if watcher.note(&event) && watcher.reload()? {
                    if let Err(e) = watcher.rewatch() {
                        log.warning(&describe_notify_error(&e).0);
                    }
                    log.watching(watcher.extent());
                }
            }
            Ok(Message::Fs(Err(e))) => log.warning(&describe_notify_error(&e).0),
            Ok(Message::Stop(number)) => signal = Some(number),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if watcher.deadline().is_some_and(|due| due <= Instant::now()) {
            log.reports(watcher.flush());
        }
        if Instant::now() >= next_tick {
            let _ = jobs.send(SyncJob::Due);
            next_tick = Instant::now() + AUTOSYNC_TICK;
        }
    }
    log.reports(watcher.flush());
    drop(jobs);
    let _ = syncer.join();
    sync_pending(ctx, &log)?;
    log.line("stop", json!({ "signal": signal }), "stopped".into());
    Ok(ExitCode::Success)
}

/// Syncs every cache with pending changes, as a watcher's last act.
fn sync_pending(ctx: &Context, log: &Log) -> Result<()> {
    for cache in ctx.store.list()? {
        if cache.pending == 0 {
            continue;
        }
        if let (SyncResult::Synced { merged_records, .. }, _) = ctx.store.sync(&cache.name, true)? {
            log.line(
                "sync",
                json!({ "cache": cache.name.as_str(), "merged": merged_records }),
                format!(
                    "{}: synced {}",
                    cache.name,
                    output::plural(merged_records, "pending change", "pending changes")
                ),
            );
        }
    }
    Ok(())
}

/// Sends SIGINT and SIGTERM to the main loop as [`Message::Stop`].
fn forward_signals(inbox: Sender<Message>) -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).at(&PathBuf::from("<signals>"))?;
    thread::spawn(move || {
        if let Some(number) = signals.forever().next() {
            let _ = inbox.send(Message::Stop(number));
        }
    });
    Ok(())
}

/// A notify failure that stops the watcher before it starts, reported with
/// the fix when it is an inotify limit.
fn fatal(error: &notify::Error) -> ExitCode {
    let (message, hint) = describe_notify_error(error);
    eprintln!("cacheman: error: {message}");
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
    ExitCode::Store
}

/// One line per action on stderr: text, or JSON lines.
struct Log {
    json: bool,
    quiet: bool,
}

impl Log {
    fn line(&self, action: &str, fields: Json, text: String) {
        if self.json {
            let mut line = json!({ "time": json::time(SystemClock.now_ms()), "action": action });
            if let (Some(line), Some(fields)) = (line.as_object_mut(), fields.as_object()) {
                line.extend(fields.clone());
            }
            eprintln!("{line}");
        } else if !self.quiet || action == "warning" {
            eprintln!("cacheman: watch: {text}");
        }
    }

    fn watching(&self, (caches, dirs): (usize, usize)) {
        self.line(
            "watch",
            json!({ "caches": caches, "dirs": dirs }),
            format!(
                "watching {} in {}",
                output::plural(caches as u64, "bound cache", "bound caches"),
                output::plural(dirs as u64, "directory", "directories")
            ),
        );
    }

    fn warning(&self, message: &str) {
        self.line(
            "warning",
            json!({ "message": message }),
            format!("warning: {message}"),
        );
    }

    fn invalidated(&self, cache: &CacheName, invalidation: &Invalidation, paths: &[PathBuf]) {
        let shown: Vec<Json> = paths
            .iter()
            .map(|p| json::bytes(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str())))
            .collect();
        let cause = match paths {
            [] => "bound files changed".to_string(),
            [one] => format!("{} changed", one.display()),
            [one, rest @ ..] => format!("{} and {} more changed", one.display(), rest.len()),
        };
        self.line(
            "invalidate",
            json!({
                "cache": cache.as_str(),
                "invalidated": invalidation.caches.iter().map(CacheName::as_str).collect::<Vec<_>>(),
                "epoch": invalidation.epoch,
                "paths": shown,
            }),
            format!("{cache}: {cause}; {}", invalidated_list(&invalidation.caches)),
        );
    }

    fn reports(&self, reports: Vec<Report>) {
        for report in reports {
            match report {
                Report::Invalidated {
                    cache,
                    invalidation,
                    paths,
                } => self.invalidated(&cache, &invalidation, &paths),
                Report::Warning(message) => self.warning(&message),
            }
        }
    }
}
