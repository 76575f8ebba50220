//! The store manifest: the store's default autosync rules and every cache's settings. It is one document, replaced
//! atomically under the store lock, so a change to it is all-or-nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::autosync::Autosync;
use crate::store::CacheSettings;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The rules for caches that have none of their own.
    pub autosync: Autosync,
    pub caches: BTreeMap<String, CacheSettings>,
}
