//! The watching engine behind `cacheman watch`: file-system events matched to
//! bound caches, and per-cache debounced invalidations. Each flush rescans the
//! due caches' coverage, adding watches before reading each directory, so no
//! change falls between a scan and a watch, and compares it with the recorded
//! fingerprint as `check` does: events only say when to look.
//!
//! It reaches the store only through the `Store` interface. When the bindings
//! changed is learnt from a neutral signal: a store kept in a local directory
//! has it watched too (not its subdirectories), and any change of an entry
//! directly in it (a local store's manifest is one) reads the bindings again;
//! a store without a directory has them read again every [`POLL`].

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use notify::EventKind;
use notify::event::{ModifyKind, RenameMode};

use crate::bindings::fingerprint::{Scan, Verdict};
use crate::bindings::pattern::{Compiled, Pattern, Relevance, canonical_or_same, compile_all};
use crate::bindings::{Binding, Finding};
use crate::error::Result;
use crate::name::CacheName;
use crate::store::{Invalidation, Store};
use crate::watch::pending::{self, Pending};
use crate::watch::watches::{Added, LastFailure, Problem, Watches, describe};

/// How soon a change that could not be acted on (the bindings could not be
/// read or recorded) is tried again.
const RETRY: Duration = Duration::from_secs(1);

/// How often the bindings of a store without a directory are read again.
pub const POLL: Duration = Duration::from_secs(1);

/// What the watcher's inbox receives.
pub enum Message {
    Fs(notify::Result<notify::Event>),
    /// SIGINT or SIGTERM: finish up and stop.
    Stop(i32),
}

/// Something the watcher did, for the log.
pub enum Report {
    Invalidated {
        cache: CacheName,
        /// This cache's cascade (caches invalidated in one flush share an epoch).
        invalidation: Invalidation,
        /// The first few changed paths (none for a catch-up check).
        paths: Vec<PathBuf>,
        /// How many paths changed in all.
        count: usize,
    },
    /// The bindings changed: how many caches are bound, and how many
    /// directories (inotify watches) are watched now.
    Watching {
        caches: usize,
        dirs: usize,
    },
    Warning(Problem),
}

/// A bound cache's patterns, compiled (none when they do not compile).
struct Bound {
    patterns: Vec<Pattern>,
    compiled: Vec<Compiled>,
}

pub struct Watcher {
    store: Arc<dyn Store>,
    /// The store's directory, made canonical as bound paths are, if it has
    /// one: left out of every scan, and watched for the bindings changing.
    store_dir: Option<PathBuf>,
    watches: Watches,
    bound: BTreeMap<CacheName, Bound>,
    pending: Pending,
    /// When the bindings are read again (at once after a change in the
    /// store's directory).
    reload_at: Option<Instant>,
    /// Whether the last flush doubted what it read (see [`Watcher::doubtful`]).
    doubted: bool,
    /// Reports made between flushes.
    queued: Vec<Report>,
    /// The last failure to read or record the bindings, reported once.
    last_error: LastFailure,
}

impl Watcher {
    /// Starts watching the store's directory (if it has one) and every
    /// binding, with a catch-up check of each (for changes made while no
    /// watcher ran). A system limit met on the way is the error.
    pub fn start(
        store: Arc<dyn Store>,
        debounce: Duration,
        inbox: Sender<Message>,
    ) -> Result<(Watcher, Vec<Report>), Problem> {
        let notify = notify::recommended_watcher(move |event| {
            let _ = inbox.send(Message::Fs(event));
        })
        .map_err(|e| describe(&e, None))?;
        let store_dir = store.directory().map(canonical_or_same);
        let mut watches = Watches::new(notify);
        if let Some(dir) = &store_dir {
            pin_store_dir(&mut watches, dir)?;
        }
        let mut watcher = Watcher {
            store_dir,
            store,
            watches,
            bound: BTreeMap::new(),
            pending: Pending::new(debounce),
            reload_at: Some(Instant::now()),
            doubted: false,
            queued: Vec::new(),
            last_error: LastFailure::default(),
        };
        let mut reports = watcher.flush(Instant::now(), false);
        if !reports.iter().any(|r| matches!(r, Report::Watching { .. })) {
            reports.push(watcher.watching());
        }
        let limit = reports.iter().find_map(|report| match report {
            Report::Warning(problem) if problem.limit => Some(problem.clone()),
            _ => None,
        });
        match limit {
            Some(problem) => Err(problem),
            None => Ok((watcher, reports)),
        }
    }

    /// Notes an event against the bindings; returns true when it touched the
    /// store's directory itself (then check that the store is still there).
    pub fn note(&mut self, event: &notify::Event) -> bool {
        if matches!(event.kind, EventKind::Access(_)) {
            return false;
        }
        let now = Instant::now();
        if event.need_rescan() {
            self.queued.push(Report::Warning(Problem {
                message: "the kernel's inotify event queue overflowed; rescanning every binding"
                    .into(),
                hint: Some("if it happens often, raise fs.inotify.max_queued_events"),
                limit: false,
            }));
            for cache in self.bound.keys() {
                self.pending.note(cache, None, now);
            }
            return true;
        }
        let removal = matches!(
            event.kind,
            EventKind::Remove(_)
                | EventKind::Modify(ModifyKind::Name(RenameMode::From | RenameMode::Any))
        );
        let structural = is_structural(&event.kind);
        let mut store_touched = false;
        for path in &event.paths {
            if removal {
                for cache in self.watches.forget(path) {
                    self.pending.note(&cache, Some(path), now);
                }
            }
            if let Some(dir) = self.store_dir.as_ref().filter(|dir| path.starts_with(dir)) {
                let own = path == dir || path.parent() == Some(dir);
                store_touched |= own && removal;
                // An entry of the store's directory changed: the bindings
                // may have (the signal for reading them again).
                if path.parent() == Some(dir) {
                    self.reload_at.get_or_insert(now);
                }
                // The store's own files are no change, but the store's
                // directory appearing or vanishing is one to a tree holding it.
                if !(path == dir && structural) {
                    continue;
                }
            }
            for (cache, bound) in &self.bound {
                let relevance = bound
                    .compiled
                    .iter()
                    .map(|pattern| pattern.relevance(path))
                    .max();
                let noted = match relevance {
                    Some(Relevance::Definite) => true,
                    Some(Relevance::Maybe) => structural,
                    _ => false,
                };
                if noted {
                    self.pending.note(cache, Some(path), now);
                }
            }
        }
        store_touched
    }

    /// When [`Watcher::flush`] is due next.
    pub fn deadline(&self) -> Option<Instant> {
        match (self.reload_at, self.pending.deadline()) {
            (Some(reload), Some(due)) => Some(reload.min(due)),
            (reload, due) => reload.or(due),
        }
    }

    /// Reads the bindings again and acts on the caches due at `now` (all of
    /// them with `all`): each changed one is invalidated with its dependents,
    /// all in one write of the store.
    pub fn flush(&mut self, now: Instant, all: bool) -> Vec<Report> {
        let mut reports = std::mem::take(&mut self.queued);
        self.reload_at = self.store_dir.is_none().then(|| now + POLL);
        let read = self.store.bindings();
        let doubtful = self.doubtful(&read);
        let trusted = !doubtful || self.doubted;
        self.doubted = doubtful;
        let bindings = match read {
            Ok(bindings) if trusted => bindings,
            failed => {
                if let (Err(e), true) = (failed, trusted) {
                    self.failed(format!("cannot read the bindings: {e}"), &mut reports);
                }
                self.reload_at = Some(now + RETRY);
                for (cache, change) in self.pending.take_due(now, all) {
                    self.pending.retry(cache, change, now + RETRY);
                }
                return reports;
            }
        };
        let rebound = self.apply(&bindings, now, &mut reports);
        let mut findings = Vec::new();
        let mut causes = BTreeMap::new();
        for (cache, change) in self.pending.take_due(now, all) {
            let Some(compared) = bindings.get(cache.as_str()) else {
                continue;
            };
            let Some(scan) = self.rescan(&cache, now, &mut reports) else {
                continue;
            };
            let (fingerprint, changed) = match scan.compare(&compared.fingerprint) {
                Verdict::Unchanged => continue,
                Verdict::Settled(fingerprint) => (fingerprint, false),
                Verdict::Changed(fingerprint) => (fingerprint, true),
            };
            if changed {
                causes.insert(cache.clone(), change);
            }
            findings.push(Finding {
                cache,
                compared: compared.clone(),
                fingerprint,
                changed,
            });
        }
        match self.store.record_findings(findings, false) {
            Ok(recorded) => {
                self.last_error.clear();
                for (cache, invalidation) in recorded.invalidated {
                    let change = causes.remove(&cache);
                    reports.push(Report::Invalidated {
                        count: change.as_ref().map_or(0, pending::Change::count),
                        paths: change.map(|c| c.paths).unwrap_or_default(),
                        cache,
                        invalidation,
                    });
                }
                // Another process recorded first: compare with its fingerprint.
                for cache in recorded.outdated {
                    if let Some(change) = causes.remove(&cache) {
                        self.pending.retry(cache, change, now);
                    }
                }
            }
            Err(e) => {
                self.failed(format!("cannot invalidate: {e}"), &mut reports);
                for (cache, change) in causes {
                    self.pending.retry(cache, change, now + RETRY);
                }
            }
        }
        if rebound {
            reports.push(self.watching());
        }
        reports
    }

    /// Whether a read of the bindings is to be looked at again before it is
    /// acted on: while caches are bound, a failure, or every binding gone
    /// with every cache, is most likely the store being deleted, which the
    /// caller notices within a tick (rather than take every binding as gone
    /// at once, or warn about it).
    fn doubtful(&self, read: &Result<BTreeMap<String, Binding>>) -> bool {
        let gone = |bindings: &BTreeMap<String, Binding>| {
            bindings.is_empty() && self.store.cache_names().is_ok_and(|n| n.is_empty())
        };
        !self.bound.is_empty() && read.as_ref().map_or(true, gone)
    }

    fn watching(&self) -> Report {
        Report::Watching {
            caches: self.bound.len(),
            dirs: self.watches.count(),
        }
    }

    /// Brings the bound caches in line with `bindings`; a new or changed
    /// binding gets a catch-up check now. Returns whether anything changed.
    fn apply(
        &mut self,
        bindings: &BTreeMap<String, Binding>,
        now: Instant,
        reports: &mut Vec<Report>,
    ) -> bool {
        let mut old = std::mem::take(&mut self.bound);
        let mut changed = false;
        for (name, binding) in bindings {
            let Ok(cache) = CacheName::new(name) else {
                continue;
            };
            if let Some(same) = old
                .remove(&cache)
                .filter(|b| b.patterns == binding.patterns)
            {
                self.bound.insert(cache, same);
                continue;
            }
            changed = true;
            let compiled = match compile_all(&binding.patterns) {
                Ok(compiled) => {
                    self.pending.due_at(&cache, now);
                    compiled
                }
                Err(e) => {
                    reports.push(Report::Warning(Problem {
                        message: format!("the bindings of '{cache}' are not watched: {e}"),
                        hint: None,
                        limit: false,
                    }));
                    Vec::new()
                }
            };
            let patterns = binding.patterns.clone();
            self.bound.insert(cache, Bound { patterns, compiled });
        }
        for gone in old.keys() {
            changed = true;
            self.watches.want(gone, BTreeSet::new());
            self.pending.forget(gone);
        }
        changed
    }

    /// Scans what a bound cache covers, watching each directory before it is
    /// read and unwatching those it no longer needs.
    fn rescan(
        &mut self,
        cache: &CacheName,
        now: Instant,
        reports: &mut Vec<Report>,
    ) -> Option<Scan> {
        let bound = self.bound.get(cache)?;
        if bound.compiled.len() != bound.patterns.len() {
            return None;
        }
        let mut dirs = BTreeSet::new();
        let mut vanished = false;
        let watches = &mut self.watches;
        let scan = Scan::of(
            &bound.compiled,
            self.store_dir.as_deref(),
            &mut |dir, ino| {
                dirs.insert(dir.to_path_buf());
                match watches.ensure(dir, ino) {
                    Added::Problem(problem) => reports.push(Report::Warning(problem)),
                    Added::Vanished => vanished = true,
                    Added::Watched | Added::Known => {}
                }
            },
        );
        watches.want(cache, dirs);
        if vanished {
            self.pending.note(cache, None, now);
        }
        Some(scan)
    }

    /// Reports a failure to read or record the bindings, unless it was the last one reported.
    fn failed(&mut self, message: String, reports: &mut Vec<Report>) {
        if self.last_error.is_new(&message) {
            reports.push(Report::Warning(Problem {
                message,
                hint: None,
                limit: false,
            }));
        }
    }
}

/// Watches the store's directory for good (its own entries changing is the
/// signal that the bindings may have).
fn pin_store_dir(watches: &mut Watches, dir: &std::path::Path) -> Result<(), Problem> {
    let ino = std::fs::metadata(dir).map(|m| m.ino()).ok();
    match ino.map(|ino| watches.pin(dir, ino)) {
        Some(Added::Watched | Added::Known) => Ok(()),
        Some(Added::Problem(problem)) => Err(problem),
        None | Some(Added::Vanished) => Err(Problem {
            message: format!("the store {} vanished", dir.display()),
            hint: None,
            limit: false,
        }),
    }
}

/// Whether an event can change which paths exist where: only such an event
/// on a path that is not itself bound can change a cache's bound paths.
fn is_structural(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(ModifyKind::Name(_) | ModifyKind::Any)
            | EventKind::Any
            | EventKind::Other
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vanished_manifest_is_looked_at_again_before_the_bindings_count_as_gone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("store");
        let store = crate::store::open(
            &crate::store_url::StoreSpec::Local(root.clone()),
            None,
            true,
        )
        .unwrap();
        let cache = CacheName::new("cfg").unwrap();
        let pattern = Pattern::resolve(dir.path().join("a.conf").as_os_str(), dir.path()).unwrap();
        store.bind(&cache, &[pattern]).unwrap();
        let (inbox, _events) = std::sync::mpsc::channel();
        let (mut watcher, _) = Watcher::start(store, Duration::from_millis(1), inbox).unwrap();
        // What `rm -rf STORE` may have done by the time the watcher looks.
        std::fs::remove_file(root.join("manifest")).unwrap();
        std::fs::remove_dir_all(root.join("caches")).unwrap();
        let now = Instant::now();
        assert!(watcher.flush(now, false).is_empty(), "no 'watching 0'");
        assert_eq!(watcher.deadline(), Some(now + RETRY));
        let later = watcher.flush(now + RETRY, false);
        assert!(matches!(later[..], [Report::Watching { caches: 0, .. }]));
    }
}
