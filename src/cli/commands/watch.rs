//! `cacheman watch`: a foreground process that invalidates caches when their
//! bound files change, and runs the store's autosync timers meanwhile.

use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value as Json, json};

use crate::cli::commands::check::invalidated_list;
use crate::cli::context::{Context, SyncJob, SyncOutcome};
use crate::cli::hint::hint;
use crate::cli::{json, output, parse};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, IoContext, Result, Stream};
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::{Invalidation, SyncResult, WATCHER_LOCK};
use crate::watch::watcher::{Message, Report, Watcher};
use crate::watch::watches::{LastFailure, Problem, describe};

/// How often the autosync rules are checked, and the store looked at, while watching.
const TICK: Duration = Duration::from_secs(1);
/// The longest --debounce window.
const MAX_DEBOUNCE: Duration = Duration::from_secs(3600);

/// Invalidate caches when their bound files change (runs in the foreground)
#[derive(Debug, Args)]
#[command(
    after_help = "Watches every path bound with `cacheman bind` and, when bound files are
written, created, deleted or replaced (editors' write-and-rename saves too),
invalidates their caches with all their dependents, once per cache for a burst
of changes: when that cache's paths have been quiet for a --debounce window (at
most 1h), or 20 windows after the burst began. Caches changed in the same burst
are invalidated together. Bindings added or removed while it runs take effect
at once, each checked for changes made before it was watched; on start every
binding is. A change is what `cacheman check` counts as one (touching or
chmod-ing a bound path is; reading it, a hard link or a chown is not): events
only say when to compare the bound paths with their recorded fingerprint.

It also runs the store's autosync timers, and on SIGINT or SIGTERM syncs every
cache with pending changes and exits 0 (a second signal exits at once). One
watcher runs per store: a second one is refused (exit 2). If the store is
deleted while it runs, it exits 3. Each action is logged as one line on stderr
(with --json, every line is a JSON object).

Examples:
  cacheman watch
  cacheman watch --debounce 1s --json 2>> watch.log &"
)]
pub struct WatchArgs {
    /// How long bound files must stay quiet before their caches are invalidated
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "100ms",
        allow_hyphen_values = true
    )]
    pub debounce: String,
    /// Log actions as JSON lines
    #[arg(long)]
    pub json: bool,
    /// Log warnings only
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
}

pub fn run(ctx: &Context, args: WatchArgs) -> Result<ExitCode> {
    let log = Log {
        json: args.json,
        quiet: args.quiet,
    };
    if ctx.verbose && log.json {
        use std::os::unix::ffi::OsStrExt;
        let path = ctx.location.path.as_os_str().as_bytes();
        let fields = json!({ "path": json::bytes(path), "from": ctx.location.source.to_string() });
        log.line("store", fields, String::new());
    }
    match watch(ctx, &args, log) {
        Err(e) if log.json => {
            log.fatal(&e.to_string(), hint(&e).as_deref());
            Ok(e.exit_code())
        }
        result => result,
    }
}

fn watch(ctx: &Context, args: &WatchArgs, log: Log) -> Result<ExitCode> {
    let debounce = parse::duration("--debounce", &args.debounce)?;
    if debounce > MAX_DEBOUNCE {
        return Err(Error::usage(format!(
            "--debounce: {:?} is longer than the longest window, 1h",
            args.debounce
        )));
    }
    let store = &ctx.store;
    // Held while watching; once it no longer holds (the store was deleted or
    // replaced), this watcher guards nothing and a second one could start.
    let Some(lease) = store.try_lock(WATCHER_LOCK)? else {
        return Err(Error::usage_with_hint(
            format!(
                "another `cacheman watch` is already watching {}",
                store.location()
            ),
            "one watcher per store is enough; stop the other one first",
        ));
    };
    let (inbox, messages) = mpsc::channel();
    forward_signals(inbox.clone())?;
    let mut watcher = match Watcher::start(store.clone(), debounce, inbox) {
        Ok((watcher, reports)) => {
            log.reports(reports);
            watcher
        }
        Err(problem) => {
            log.fatal(&problem.message, problem.hint);
            return Ok(ExitCode::Store);
        }
    };
    let (jobs, queue) = mpsc::channel();
    let mut last_failure = LastFailure::default();
    let syncer =
        ctx.spawn_syncer_reporting(queue, move |outcome| log.synced(outcome, &mut last_failure));
    let mut next_tick = Instant::now() + TICK;
    let signal = loop {
        let wake = watcher
            .deadline()
            .map_or(next_tick, |due| due.min(next_tick));
        let mut look_at_store = false;
        match messages.recv_timeout(wake.saturating_duration_since(Instant::now())) {
            Ok(Message::Fs(Ok(event))) => look_at_store = watcher.note(&event),
            Ok(Message::Fs(Err(e))) => log.problem(&describe(&e, None)),
            Ok(Message::Stop(number)) => break Some(number),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break None,
        }
        let now = Instant::now();
        if now >= next_tick {
            look_at_store = true;
            let _ = jobs.send(SyncJob::Due);
            next_tick = now + TICK;
        }
        if look_at_store && !lease.held() {
            log.fatal(
                &format!(
                    "the store {} was deleted or replaced while watching",
                    store.location()
                ),
                Some("start `cacheman watch` again for the store as it is now"),
            );
            return Ok(ExitCode::Store);
        }
        if watcher.deadline().is_some_and(|due| due <= now) {
            log.reports(watcher.flush(now, false));
        }
    };
    log.reports(watcher.flush(Instant::now(), true));
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

/// Sends SIGINT and SIGTERM to the main loop as [`Message::Stop`]; a second
/// one exits at once (with 128 + its number), leaving a hung final sync.
fn forward_signals(inbox: Sender<Message>) -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).on(Stream::Signals)?;
    thread::spawn(move || {
        let mut numbers = signals.forever();
        if let Some(number) = numbers.next() {
            let _ = inbox.send(Message::Stop(number));
        }
        if let Some(number) = numbers.next() {
            std::process::exit(128 + number);
        }
    });
    Ok(())
}

/// One line per action on stderr: text, or JSON lines.
#[derive(Clone, Copy)]
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
            say!("{line}");
        } else if !self.quiet || action == "warning" {
            say!("cacheman: watch: {text}");
        }
    }

    /// An error that ends the watcher.
    fn fatal(&self, message: &str, hint: Option<&str>) {
        match self.json {
            true => self.line(
                "error",
                json!({ "message": message, "hint": hint }),
                String::new(),
            ),
            false => {
                say!("cacheman: error: {message}");
                if let Some(hint) = hint {
                    say!("hint: {hint}");
                }
            }
        }
    }

    fn watching(&self, caches: usize, dirs: usize) {
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

    fn problem(&self, problem: &Problem) {
        let text = match problem.hint {
            Some(hint) => format!("warning: {}; {hint}", problem.message),
            None => format!("warning: {}", problem.message),
        };
        self.line(
            "warning",
            json!({ "message": problem.message, "hint": problem.hint }),
            text,
        );
    }

    fn invalidated(
        &self,
        cache: &CacheName,
        invalidation: &Invalidation,
        paths: &[PathBuf],
        count: usize,
    ) {
        use std::os::unix::ffi::OsStrExt;
        let shown: Vec<Json> = paths
            .iter()
            .map(|p| json::bytes(p.as_os_str().as_bytes()))
            .collect();
        let cause = match paths.first() {
            None => "bound files changed".to_string(),
            Some(one) if count <= 1 => format!("{} changed", one.display()),
            Some(one) => format!("{} and {} more changed", one.display(), count - 1),
        };
        self.line(
            "invalidate",
            json!({
                "cache": cache.as_str(),
                "invalidated": invalidation.caches.iter().map(CacheName::as_str).collect::<Vec<_>>(),
                "epoch": invalidation.epoch,
                "paths": shown,
                "changed": count,
            }),
            format!("{cache}: {cause}; {}", invalidated_list(&invalidation.caches)),
        );
    }

    /// What a background sync did; a failure is logged once until a sync
    /// succeeds (`last_failure` is the one logged).
    fn synced(&self, outcome: SyncOutcome, last_failure: &mut LastFailure) {
        match outcome {
            SyncOutcome::Synced(caches) => {
                last_failure.clear();
                for cache in caches {
                    self.line(
                        "sync",
                        json!({ "cache": cache.as_str(), "autosync": true }),
                        format!("{cache}: synced (autosync)"),
                    );
                }
            }
            SyncOutcome::Failed(e) => {
                let message = format!("background sync failed: {e}");
                if last_failure.is_new(&message) {
                    self.problem(&Problem {
                        message,
                        hint: None,
                        limit: false,
                    });
                }
            }
        }
    }

    fn reports(&self, reports: Vec<Report>) {
        for report in reports {
            match report {
                Report::Invalidated {
                    cache,
                    invalidation,
                    paths,
                    count,
                } => self.invalidated(&cache, &invalidation, &paths, count),
                Report::Watching { caches, dirs } => self.watching(caches, dirs),
                Report::Warning(problem) => self.problem(&problem),
            }
        }
    }
}
