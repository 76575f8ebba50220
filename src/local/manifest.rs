//! The store manifest: the store's default autosync rules, every cache's
//! settings, the dependency graph, and the invalidation epochs. It is one
//! document, replaced atomically under the store lock, so a change to it (a
//! whole cascade of invalidations, say) is all-or-nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::autosync::Autosync;
use crate::entry::Entry;
use crate::graph::Graph;
use crate::store::CacheSettings;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The rules for caches that have none of their own.
    pub autosync: Autosync,
    /// The store's epoch: entries are written in the current one, and every
    /// invalidation starts a new one.
    pub epoch: u64,
    pub caches: BTreeMap<String, CacheSettings>,
    pub graph: Graph,
    /// Per cache, where its invalid and stale entries end.
    pub invalidated: BTreeMap<String, Invalidated>,
}

/// Entries written in an epoch before `hard` are invalid (misses, dropped at the
/// next sync); before `soft`, stale (served only to callers that accept stale).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invalidated {
    pub hard: u64,
    pub soft: u64,
}

/// What an entry is worth to a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    Stale,
    Invalid,
}

impl Invalidated {
    pub fn judge(&self, entry: &Entry, now_ms: u64) -> Freshness {
        if entry.is_expired(now_ms) || entry.epoch < self.hard {
            Freshness::Invalid
        } else if entry.stale || entry.epoch < self.soft {
            Freshness::Stale
        } else {
            Freshness::Fresh
        }
    }
}

impl Manifest {
    pub fn invalidated(&self, cache: &str) -> Invalidated {
        self.invalidated.get(cache).copied().unwrap_or_default()
    }
}
