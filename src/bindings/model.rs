//! What crosses the `Store` interface's bindings family: a cache's binding,
//! what a scan found, and what binding or recording did.

use serde::{Deserialize, Serialize};

use crate::bindings::fingerprint::Fingerprint;
use crate::bindings::pattern::Pattern;
use crate::name::CacheName;
use crate::store::Invalidation;

/// The paths a cache is bound to, and their fingerprint when it was last
/// invalidated, checked or bound.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// Sorted and free of duplicates.
    pub patterns: Vec<Pattern>,
    /// The bound files' state when the cache was last checked.
    pub fingerprint: Fingerprint,
}

/// What `bind` or `unbind` did.
#[derive(Debug, Default)]
pub struct Rebound {
    /// The patterns added or removed.
    pub changed: Vec<Pattern>,
    /// The cache's invalidation (with its dependents), when its bound files
    /// had changed since they were last fingerprinted.
    pub invalidation: Option<Invalidation>,
}

/// What a scan found for one bound cache.
#[derive(Debug)]
pub struct Finding {
    /// The bound cache.
    pub cache: CacheName,
    /// The binding the scan was compared with, as it was read.
    pub compared: Binding,
    /// The fingerprint to record.
    pub fingerprint: Fingerprint,
    /// Whether the files changed (else the new fingerprint only spares later
    /// comparisons reading racy files).
    pub changed: bool,
}

/// What [`Store::record_findings`](crate::store::Store::record_findings) did.
#[derive(Debug, Default)]
pub struct Recorded {
    /// Each changed cache with its own cascade, in the order found.
    pub invalidated: Vec<(CacheName, Invalidation)>,
    /// Changed caches whose binding was no longer the one compared with:
    /// compare again with the one stored now.
    pub outdated: Vec<CacheName>,
}
