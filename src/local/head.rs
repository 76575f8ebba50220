//! The head: a tiny document naming the current snapshot generation and the
//! journals a reader must replay over it. Only writers holding the cache's write
//! lock replace it, atomically.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

/// Snapshot `snap.G` holds every change from journals numbered below `G`;
/// journals `G..=last_journal` are replayed over it. `G == 1` means no snapshot yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub generation: u64,
    pub last_journal: u64,
    /// When the last sync finished (ms since the Unix epoch), or the cache's creation.
    pub last_sync_ms: u64,
}

impl Head {
    pub fn initial(now_ms: u64) -> Head {
        Head {
            generation: 1,
            last_journal: 1,
            last_sync_ms: now_ms,
        }
    }

    pub fn has_snapshot(&self) -> bool {
        self.generation > 1
    }

    /// When the cache was last synced; `None` when it never was (before its
    /// first snapshot, `last_sync_ms` is its creation time).
    pub fn synced_ms(&self) -> Option<u64> {
        self.has_snapshot().then_some(self.last_sync_ms)
    }

    pub fn journals(&self) -> RangeInclusive<u64> {
        self.generation..=self.last_journal
    }
}
