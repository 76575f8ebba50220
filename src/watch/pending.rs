//! Changes seen but not acted on yet, per cache, and when each is due: once the
//! cache's own paths were quiet for a debounce window, or at most
//! [`MAX_DELAY_WINDOWS`] windows after its first change.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::name::CacheName;

/// However long a burst goes on, it is acted on this many windows after its start.
pub const MAX_DELAY_WINDOWS: u32 = 20;
/// The paths kept per cache for the log.
const PATHS_KEPT: usize = 10;
/// Distinct paths counted per cache; past it the count is a lower bound.
const PATHS_COUNTED: usize = 100_000;

/// One cache's changes.
#[derive(Debug, Clone)]
pub struct Change {
    /// The first few changed paths.
    pub paths: Vec<PathBuf>,
    seen: HashSet<u64>,
    first: Instant,
    last: Instant,
    due: Instant,
}

impl Change {
    /// How many distinct paths changed (at least).
    pub fn count(&self) -> usize {
        self.seen.len().max(self.paths.len())
    }
}

pub struct Pending {
    caches: BTreeMap<CacheName, Change>,
    debounce: Duration,
}

impl Pending {
    pub fn new(debounce: Duration) -> Pending {
        Pending {
            caches: BTreeMap::new(),
            debounce,
        }
    }

    /// Notes a change for `cache`, due a debounce window from now.
    pub fn note(&mut self, cache: &CacheName, path: Option<&Path>, now: Instant) {
        let debounce = self.debounce;
        let change = self.entry(cache, now);
        change.last = now;
        let longest = (debounce.checked_mul(MAX_DELAY_WINDOWS))
            .and_then(|delay| change.first.checked_add(delay));
        let quiet = now.checked_add(debounce);
        change.due = match (quiet, longest) {
            (Some(quiet), Some(longest)) => quiet.min(longest),
            _ => now,
        };
        if let Some(path) = path {
            let mut hasher = DefaultHasher::new();
            path.hash(&mut hasher);
            if change.seen.len() < PATHS_COUNTED
                && change.seen.insert(hasher.finish())
                && change.paths.len() < PATHS_KEPT
            {
                change.paths.push(path.to_path_buf());
            }
        }
    }

    /// Makes `cache` due at `at` (a catch-up check), keeping what was noted.
    pub fn due_at(&mut self, cache: &CacheName, at: Instant) {
        let change = self.entry(cache, at);
        change.due = change.due.min(at);
    }

    fn entry(&mut self, cache: &CacheName, now: Instant) -> &mut Change {
        self.caches.entry(cache.clone()).or_insert_with(|| Change {
            paths: Vec::new(),
            seen: HashSet::new(),
            first: now,
            last: now,
            due: now,
        })
    }

    pub fn forget(&mut self, cache: &CacheName) {
        self.caches.remove(cache);
    }

    /// When the next cache is due.
    pub fn deadline(&self) -> Option<Instant> {
        self.caches.values().map(|c| c.due).min()
    }

    /// Takes the caches due at `now`, and with them those quiet for half a
    /// window already (the same burst), so that caches sharing dependents are
    /// invalidated together. Everything with `all`.
    pub fn take_due(&mut self, now: Instant, all: bool) -> Vec<(CacheName, Change)> {
        let any_due = self.caches.values().any(|c| c.due <= now);
        if !any_due && !all {
            return Vec::new();
        }
        let half = self.debounce / 2;
        let (due, rest) = std::mem::take(&mut self.caches)
            .into_iter()
            .partition(|(_, c)| {
                all || c.due <= now || c.last.checked_add(half).is_some_and(|t| t <= now)
            });
        self.caches = rest;
        due.into_iter().collect()
    }

    /// Puts back a change that could not be acted on, due again at `at`.
    pub fn retry(&mut self, cache: CacheName, mut change: Change, at: Instant) {
        change.due = at;
        self.caches.insert(cache, change);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> CacheName {
        CacheName::new(n).unwrap()
    }

    #[test]
    fn each_cache_waits_for_its_own_quiet_window() {
        let window = Duration::from_millis(100);
        let mut pending = Pending::new(window);
        let start = Instant::now();
        let (noisy, calm) = (name("noisy"), name("calm"));
        pending.note(&calm, None, start);
        for step in 0..4 {
            pending.note(&noisy, None, start + window / 2 * step);
        }
        let at = start + window;
        let due: Vec<_> = pending
            .take_due(at, false)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(due, vec![calm], "noisy's changes do not hold calm back");
        assert_eq!(pending.deadline(), Some(start + window / 2 * 3 + window));
    }

    #[test]
    fn a_burst_is_acted_on_at_most_twenty_windows_after_it_began() {
        let window = Duration::from_millis(100);
        let mut pending = Pending::new(window);
        let start = Instant::now();
        let cache = name("c");
        for step in 0..100 {
            pending.note(&cache, None, start + window / 2 * step);
        }
        assert_eq!(pending.deadline(), Some(start + window * MAX_DELAY_WINDOWS));
    }

    #[test]
    fn caches_in_the_same_burst_go_together_and_paths_are_capped() {
        let window = Duration::from_millis(100);
        let mut pending = Pending::new(window);
        let start = Instant::now();
        for i in 0..1000 {
            let path = PathBuf::from(format!("/t/f{i}"));
            pending.note(&name("a"), Some(&path), start);
            pending.note(&name("b"), Some(&path), start + window / 4);
        }
        let due = pending.take_due(start + window, false);
        assert_eq!(due.len(), 2, "b, quiet for 3/4 of a window, comes along");
        assert_eq!(due[0].1.paths.len(), PATHS_KEPT);
        assert_eq!(due[0].1.count(), 1000);
    }
}
