//! Entries: a key, its value (inline bytes or a blob reference) and metadata.

use serde::{Deserialize, Serialize};

/// Where an entry's bytes live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredValue {
    /// Small values live inside the record.
    Inline(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Large values live in a content-addressed blob file named by their BLAKE3 hash.
    Blob { hash: [u8; 32], len: u64 },
}

impl StoredValue {
    pub fn len(&self) -> u64 {
        match self {
            StoredValue::Inline(bytes) => bytes.len() as u64,
            StoredValue::Blob { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One cached entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: Vec<u8>,
    pub value: StoredValue,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// Expiry time, milliseconds since the Unix epoch; `None` never expires.
    pub expires_ms: Option<u64>,
    /// The invalidation epoch the entry was written in.
    pub epoch: u64,
    /// Marked stale by a soft invalidation of its key.
    pub stale: bool,
}

impl Entry {
    /// An expired entry is a miss.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expires_ms.is_some_and(|at| at <= now_ms)
    }

    /// Logical size: key plus value bytes.
    pub fn size(&self) -> u64 {
        self.key.len() as u64 + self.value.len()
    }
}
