//! The store manifest: every cache's settings. It is one document, replaced
//! atomically under the store lock, so a change to it is all-or-nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::store::CacheSettings;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub caches: BTreeMap<String, CacheSettings>,
}
