//! The watching engine behind `cacheman watch`: notify watches on the bound
//! paths' directories, events matched to caches, and debounced invalidations.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use globset::GlobMatcher;
use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode, Watcher as _};

use crate::error::Result;
use crate::local::LocalStore;
use crate::name::CacheName;
use crate::store::Invalidation;
use crate::watch::bindings::{self, Binding};
use crate::watch::check;
use crate::watch::fingerprint::now_ns;
use crate::watch::pattern::Relevance;

/// A burst of changes is acted on at most this many debounce windows after
/// its first event, however long it goes on.
const MAX_DELAY_WINDOWS: u32 = 20;

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
        invalidation: Invalidation,
        /// The changed paths that led to it (some of them).
        paths: Vec<PathBuf>,
    },
    Warning(String),
}

/// A bound cache with its patterns' compiled globs.
struct Bound {
    cache: CacheName,
    binding: Binding,
    globs: Vec<Option<GlobMatcher>>,
}

/// Changes seen but not yet acted on.
#[derive(Default)]
struct Pending {
    /// Per cache: whether a bound file itself changed (else only a directory
    /// around them, which a scan decides), and the paths seen.
    caches: BTreeMap<String, (bool, BTreeSet<PathBuf>)>,
    first: Option<Instant>,
    last: Option<Instant>,
}

pub struct Watcher {
    store: LocalStore,
    store_root: PathBuf,
    manifest: PathBuf,
    notify: notify::RecommendedWatcher,
    /// Each watched directory: whether recursively, and its inode (a directory
    /// deleted and made again needs a new watch).
    watched: BTreeMap<PathBuf, (bool, Option<u64>)>,
    bound: Vec<Bound>,
    pending: Pending,
    debounce: Duration,
}

/// What inotify_add_watch and inotify_init fail with at their limits.
const ENOSPC: i32 = 28;
const EMFILE: i32 = 24;

/// Why a watch could not be added: the system's inotify limits are named,
/// since raising them is the fix.
pub fn describe_notify_error(error: &notify::Error) -> (String, Option<&'static str>) {
    let limit = match &error.kind {
        notify::ErrorKind::MaxFilesWatch => Some(ENOSPC),
        notify::ErrorKind::Io(e) => e.raw_os_error().filter(|c| [ENOSPC, EMFILE].contains(c)),
        _ => None,
    };
    match limit {
        Some(ENOSPC) => (
            "the system's limit on inotify watches is reached (too many watched directories)"
                .into(),
            Some(
                "raise it: sudo sysctl fs.inotify.max_user_watches=524288 (persist it in /etc/sysctl.d/)",
            ),
        ),
        Some(_) => (
            "the system's limit on inotify instances is reached".into(),
            Some(
                "raise it: sudo sysctl fs.inotify.max_user_instances=1024 (persist it in /etc/sysctl.d/)",
            ),
        ),
        None => (format!("cannot watch files: {error}"), None),
    }
}

impl Watcher {
    /// A watcher sending its events to `inbox`, with no paths watched yet
    /// (call [`Watcher::reload`], then [`Watcher::rewatch`]).
    pub fn new(
        store: LocalStore,
        debounce: Duration,
        inbox: Sender<Message>,
    ) -> notify::Result<Watcher> {
        let notify = notify::recommended_watcher(move |event| {
            let _ = inbox.send(Message::Fs(event));
        })?;
        let store_root = check::store_dir(&store);
        Ok(Watcher {
            manifest: store_root.join("manifest"),
            store_root,
            store,
            notify,
            watched: BTreeMap::new(),
            bound: Vec::new(),
            pending: Pending::default(),
            debounce,
        })
    }

    /// Reads the bindings; returns true when they differ from those read
    /// before (then call [`Watcher::rewatch`]).
    pub fn reload(&mut self) -> Result<bool> {
        let mut bound = Vec::new();
        for (name, binding) in bindings::all(&self.store)? {
            let globs = binding
                .patterns
                .iter()
                .map(|p| p.glob())
                .collect::<Result<_>>()?;
            bound.push(Bound {
                cache: CacheName::new(&name)?,
                binding,
                globs,
            });
        }
        let same = bound.len() == self.bound.len()
            && bound
                .iter()
                .zip(&self.bound)
                .all(|(a, b)| a.cache == b.cache && a.binding.patterns == b.binding.patterns);
        self.bound = bound;
        Ok(!same)
    }

    /// How many caches are bound, and how many directories are watched.
    pub fn extent(&self) -> (usize, usize) {
        (self.bound.len(), self.watched.len())
    }

    /// Brings the watched directories in line with the bindings (directories
    /// appear and vanish, so [`Watcher::flush`] runs it too). The store's
    /// directory is watched as well, so that `bind` and `unbind` are seen.
    pub fn rewatch(&mut self) -> notify::Result<()> {
        let mut wanted: BTreeMap<PathBuf, bool> = BTreeMap::new();
        wanted.insert(self.store_root.clone(), false);
        for bound in &self.bound {
            for pattern in &bound.binding.patterns {
                for (dir, recursive) in pattern.watch_roots() {
                    let entry = wanted.entry(dir).or_default();
                    *entry |= recursive;
                }
            }
        }
        for (dir, watched) in self.watched.clone() {
            if wanted.get(&dir) != Some(&watched.0) || inode(&dir) != watched.1 {
                let _ = self.notify.unwatch(&dir);
                self.watched.remove(&dir);
            }
        }
        for (dir, recursive) in wanted {
            if self.watched.contains_key(&dir) {
                continue;
            }
            let mode = match recursive {
                true => RecursiveMode::Recursive,
                false => RecursiveMode::NonRecursive,
            };
            let ino = inode(&dir);
            match self.notify.watch(&dir, mode) {
                Ok(()) => {
                    self.watched.insert(dir, (recursive, ino));
                }
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Notes an event's paths against the bindings; returns true when the
    /// manifest changed (call [`Watcher::reload`]).
    pub fn note(&mut self, event: &notify::Event) -> bool {
        if matches!(event.kind, EventKind::Access(_)) {
            return false;
        }
        let now = Instant::now();
        let mut manifest_changed = false;
        for path in &event.paths {
            if path == &self.manifest {
                manifest_changed = true;
                continue;
            }
            if path.starts_with(&self.store_root) {
                continue;
            }
            for bound in &self.bound {
                let relevance = match relevance(bound, path) {
                    _ if event.need_rescan() => Relevance::Maybe,
                    Relevance::Maybe if !is_structural(&event.kind) => Relevance::Unrelated,
                    relevance => relevance,
                };
                if relevance == Relevance::Unrelated {
                    continue;
                }
                let entry = self
                    .pending
                    .caches
                    .entry(bound.cache.to_string())
                    .or_default();
                entry.0 |= relevance == Relevance::Definite;
                entry.1.insert(path.clone());
                self.pending.first.get_or_insert(now);
                self.pending.last = Some(now);
            }
        }
        manifest_changed
    }

    /// When the pending changes are due: after a quiet debounce window, or at
    /// most [`MAX_DELAY_WINDOWS`] windows after the first.
    pub fn deadline(&self) -> Option<Instant> {
        let quiet = self.pending.last? + self.debounce;
        let longest = self.pending.first? + self.debounce * MAX_DELAY_WINDOWS;
        Some(quiet.min(longest))
    }

    /// Acts on the pending changes: each cache whose bound files changed is
    /// invalidated once, with its dependents.
    pub fn flush(&mut self) -> Vec<Report> {
        let pending = std::mem::take(&mut self.pending);
        let mut reports = Vec::new();
        for (name, (definite, paths)) in pending.caches {
            let Ok(cache) = CacheName::new(&name) else {
                continue;
            };
            let result = match definite {
                true => invalidate_now(&self.store, &cache),
                false => check::check_cache(&self.store, &cache),
            };
            match result {
                Ok(Some(invalidation)) => reports.push(Report::Invalidated {
                    cache,
                    invalidation,
                    paths: paths.into_iter().collect(),
                }),
                Ok(None) => {}
                Err(e) => {
                    reports.push(Report::Warning(format!("cannot invalidate '{cache}': {e}")))
                }
            }
        }
        if let Err(e) = self.rewatch() {
            let (message, _) = describe_notify_error(&e);
            reports.push(Report::Warning(message));
        }
        reports
    }
}

fn inode(dir: &Path) -> Option<u64> {
    std::fs::metadata(dir).ok().map(|meta| meta.ino())
}

/// A directory that vanished before it could be watched: the next rewatch
/// watches what is there instead.
fn is_not_found(error: &notify::Error) -> bool {
    match &error.kind {
        notify::ErrorKind::PathNotFound => true,
        notify::ErrorKind::Io(e) => e.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}

/// Whether an event can change which files exist where: only such an event
/// on a path that is not itself bound can change a cache's bound files.
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

fn relevance(bound: &Bound, path: &Path) -> Relevance {
    bound
        .binding
        .patterns
        .iter()
        .zip(&bound.globs)
        .map(|(pattern, glob)| pattern.relevance(glob.as_ref(), path))
        .max()
        .unwrap_or(Relevance::Unrelated)
}

/// Invalidates a cache whose bound file itself changed, recording a fresh
/// fingerprint; `None` when it is no longer bound.
fn invalidate_now(store: &LocalStore, cache: &CacheName) -> Result<Option<Invalidation>> {
    let Some(binding) = bindings::of(store, cache)? else {
        return Ok(None);
    };
    let taken_ns = now_ns();
    let scan = check::scan(store, &binding.patterns)?;
    check::invalidate_and_record(store, cache, &binding, taken_ns, &scan).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inotify_limits_are_named_with_the_sysctl_that_raises_them() {
        let full = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        let (message, hint) = describe_notify_error(&full);
        assert!(message.contains("limit on inotify watches"), "{message}");
        assert!(hint.unwrap().contains("fs.inotify.max_user_watches"));
        let enospc = notify::Error::io(std::io::Error::from_raw_os_error(28));
        assert_eq!(describe_notify_error(&enospc).0, message);
        let emfile = notify::Error::io(std::io::Error::from_raw_os_error(24));
        assert!(
            describe_notify_error(&emfile)
                .1
                .unwrap()
                .contains("max_user_instances")
        );
    }
}
