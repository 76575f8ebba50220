//! The inotify watches a watcher holds: one non-recursive watch per directory
//! some binding's coverage depends on, shared between caches, with each
//! problem met adding them reported once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use notify::{RecursiveMode, Watcher as _};

use crate::name::CacheName;

/// Why a directory could not be watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub hint: Option<&'static str>,
    /// A system limit: fatal when watching starts.
    pub limit: bool,
}

/// The last failure reported, so that one met again and again (on every
/// retry or tick) is reported once, until something succeeds.
#[derive(Debug, Default)]
pub struct LastFailure(Option<String>);

impl LastFailure {
    /// True when `message` is not the last one reported, which it becomes.
    pub fn is_new(&mut self, message: &str) -> bool {
        let new = self.0.as_deref() != Some(message);
        if new {
            self.0 = Some(message.to_string());
        }
        new
    }

    /// Something succeeded: the next failure is news again.
    pub fn clear(&mut self) {
        self.0 = None;
    }
}

/// What adding a watch came to.
pub enum Added {
    Watched,
    /// The directory vanished first: look again later.
    Vanished,
    /// A problem not reported before.
    Problem(Problem),
    /// A problem already reported.
    Known,
}

pub struct Watches {
    notify: notify::RecommendedWatcher,
    /// Each watched directory and its inode when watched: a directory deleted
    /// and made again needs a new watch.
    dirs: BTreeMap<PathBuf, u64>,
    /// Per cache, the directories its bindings need.
    wanted: BTreeMap<CacheName, BTreeSet<PathBuf>>,
    /// Watched whatever the bindings are (the store's directory).
    pinned: BTreeSet<PathBuf>,
    /// Directories that could not be watched, already reported.
    failed: BTreeSet<PathBuf>,
    limit_reported: bool,
}

impl Watches {
    pub fn new(notify: notify::RecommendedWatcher) -> Watches {
        Watches {
            notify,
            dirs: BTreeMap::new(),
            wanted: BTreeMap::new(),
            pinned: BTreeSet::new(),
            failed: BTreeSet::new(),
            limit_reported: false,
        }
    }

    /// How many inotify watches are held.
    pub fn count(&self) -> usize {
        self.dirs.len()
    }

    /// Watches `dir` for good.
    pub fn pin(&mut self, dir: &Path, ino: u64) -> Added {
        self.pinned.insert(dir.to_path_buf());
        self.ensure(dir, ino)
    }

    /// Watches `dir` (whose inode is `ino`) unless it already is.
    pub fn ensure(&mut self, dir: &Path, ino: u64) -> Added {
        match self.dirs.get(dir) {
            Some(&watched) if watched == ino => return Added::Watched,
            Some(_) => self.drop_watch(dir),
            None => {}
        }
        match self.notify.watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.dirs.insert(dir.to_path_buf(), ino);
                self.failed.remove(dir);
                self.limit_reported = false;
                Added::Watched
            }
            Err(e) if is_not_found(&e) => Added::Vanished,
            Err(e) => {
                let problem = describe(&e, Some(dir));
                let known = match problem.limit {
                    true => std::mem::replace(&mut self.limit_reported, true),
                    false => !self.failed.insert(dir.to_path_buf()),
                };
                match known {
                    true => Added::Known,
                    false => Added::Problem(problem),
                }
            }
        }
    }

    /// Records the directories `cache` needs now (none once it is unbound),
    /// unwatching those that nothing needs any more.
    pub fn want(&mut self, cache: &CacheName, dirs: BTreeSet<PathBuf>) {
        let before = match dirs.is_empty() {
            true => self.wanted.remove(cache),
            false => self.wanted.insert(cache.clone(), dirs),
        };
        for dir in before.unwrap_or_default() {
            let needed =
                self.pinned.contains(&dir) || self.wanted.values().any(|d| d.contains(&dir));
            if !needed {
                self.failed.remove(&dir);
                if self.dirs.contains_key(&dir) {
                    self.drop_watch(&dir);
                }
            }
        }
    }

    /// Forgets the watches at and below `path`, which notify drops when it is
    /// deleted or moved away; returns the caches that needed them.
    pub fn forget(&mut self, path: &Path) -> Vec<CacheName> {
        let gone: Vec<PathBuf> = self
            .dirs
            .range(path.to_path_buf()..)
            .map(|(dir, _)| dir)
            .take_while(|dir| dir.starts_with(path))
            .cloned()
            .collect();
        for dir in &gone {
            self.drop_watch(dir);
        }
        self.wanted
            .iter()
            .filter(|(_, dirs)| gone.iter().any(|g| dirs.contains(g)))
            .map(|(cache, _)| cache.clone())
            .collect()
    }

    fn drop_watch(&mut self, dir: &Path) {
        // Notify may have dropped it already (the directory is gone).
        let _ = self.notify.unwatch(dir);
        self.dirs.remove(dir);
    }
}

/// What inotify_add_watch and inotify_init fail with at their limits.
const ENOSPC: i32 = 28;
const EMFILE: i32 = 24;

/// Why notify failed, for a log line; the system's inotify limits are named
/// with the sysctl that raises them, since that is the fix.
pub fn describe(error: &notify::Error, dir: Option<&Path>) -> Problem {
    let limit = match &error.kind {
        notify::ErrorKind::MaxFilesWatch => Some(ENOSPC),
        notify::ErrorKind::Io(e) => e.raw_os_error().filter(|c| [ENOSPC, EMFILE].contains(c)),
        _ => None,
    };
    let (message, hint) = match limit {
        Some(ENOSPC) => (
            "the system's limit on inotify watches is reached (too many watched directories)"
                .to_string(),
            Some(
                "raise it: sudo sysctl fs.inotify.max_user_watches=524288 (persist it in /etc/sysctl.d/)",
            ),
        ),
        Some(_) => (
            "the system's limit on inotify instances is reached".to_string(),
            Some(
                "raise it: sudo sysctl fs.inotify.max_user_instances=1024 (persist it in /etc/sysctl.d/)",
            ),
        ),
        None => {
            let cause = match &error.kind {
                notify::ErrorKind::Io(e) => e.to_string(),
                _ => error.to_string(),
            };
            match dir {
                Some(dir) => (format!("cannot watch {}: {cause}", dir.display()), None),
                None => (format!("watching files failed: {cause}"), None),
            }
        }
    };
    Problem {
        message,
        hint,
        limit: limit.is_some(),
    }
}

/// A directory that vanished before it could be watched.
fn is_not_found(error: &notify::Error) -> bool {
    match &error.kind {
        notify::ErrorKind::PathNotFound => true,
        notify::ErrorKind::Io(e) => e.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_met_again_is_reported_once_until_something_succeeds() {
        let mut last = LastFailure::default();
        assert!(last.is_new("disk full"));
        assert!(!last.is_new("disk full"));
        assert!(last.is_new("no permission"));
        last.clear();
        assert!(last.is_new("no permission"));
    }

    #[test]
    fn inotify_limits_are_named_with_the_sysctl_that_raises_them() {
        let full = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        let problem = describe(&full, None);
        assert!(problem.limit);
        assert!(problem.message.contains("limit on inotify watches"));
        assert!(
            problem
                .hint
                .unwrap()
                .contains("fs.inotify.max_user_watches")
        );
        let enospc = notify::Error::io(std::io::Error::from_raw_os_error(28));
        assert_eq!(describe(&enospc, None), problem);
        let emfile = notify::Error::io(std::io::Error::from_raw_os_error(24));
        assert!(
            describe(&emfile, None)
                .hint
                .unwrap()
                .contains("max_user_instances")
        );
        let denied = notify::Error::io(std::io::Error::from_raw_os_error(13));
        let problem = describe(&denied, Some(Path::new("/x")));
        assert!(!problem.limit);
        assert!(
            problem.message.starts_with("cannot watch /x: "),
            "{problem:?}"
        );
    }
}
