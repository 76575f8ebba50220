//! What `stats` reports about one cache: its live entries and their age range,
//! its unsynced changes and journal size, and its hit and miss counters.

use std::fs;

use crate::error::Result;
use crate::local::counters::Counters;
use crate::local::manifest::Freshness;
use crate::local::{Cache, LocalStore};
use crate::name::CacheName;
use crate::reports::{Aged, CacheStats, CounterState};

impl LocalStore {
    /// The statistics of one cache (which must exist).
    pub fn stats(&self, name: &CacheName) -> Result<CacheStats> {
        let cache = self.existing(name)?;
        let mut stats = CacheStats {
            name: name.clone(),
            entries: 0,
            bytes: 0,
            pending: 0,
            last_sync_ms: None,
            journal_bytes: 0,
            oldest: None,
            newest: None,
            counters: counter_state(&cache),
        };
        let Some(view) = cache.dir.view()? else {
            return Ok(stats);
        };
        let now = self.clock().now_ms();
        view.for_each_entry(&view.overlay()?, |entry| {
            if cache.invalidated.judge(&entry, now) == Freshness::Invalid {
                return Ok(());
            }
            stats.entries += 1;
            stats.bytes += entry.size();
            let aged = || Aged {
                key: entry.key.clone(),
                created_ms: entry.created_ms,
            };
            if stats
                .oldest
                .as_ref()
                .is_none_or(|o| entry.created_ms < o.created_ms)
            {
                stats.oldest = Some(aged());
            }
            if stats
                .newest
                .as_ref()
                .is_none_or(|n| entry.created_ms >= n.created_ms)
            {
                stats.newest = Some(aged());
            }
            Ok(())
        })?;
        stats.pending = view.pending();
        // A cache's first snapshot is its first sync's (HEAD's time is its creation until then).
        stats.last_sync_ms = view.head.synced_ms();
        stats.journal_bytes = view
            .journals
            .iter()
            .map(|j| fs::metadata(&j.path).map_or(0, |m| m.len()))
            .sum();
        Ok(stats)
    }

    /// Zeroes a cache's hit and miss counts.
    pub fn reset_counters(&self, name: &CacheName) -> Result<()> {
        let cache = self.existing(name)?;
        if cache.dir.head()?.is_none() {
            return Ok(());
        }
        let now = self.clock().now_ms();
        Counters::open_or_create(&cache.dir, now)?.reset(now);
        Ok(())
    }
}

fn counter_state(cache: &Cache) -> CounterState {
    match Counters::open(&cache.dir) {
        Ok(Some(counters)) => CounterState::Counting(counters.tally()),
        Ok(None) => CounterState::Absent,
        Err(e) => CounterState::Damaged(e.to_string()),
    }
}
