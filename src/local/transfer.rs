//! Moving entries in and out of a cache whole, with their times: what `export`
//! reads and `import` writes. An import lands in one journal append under the
//! write lock, so it is all there or (on an error) none of it is.

use std::io::{self, Read};
use std::path::PathBuf;

use crate::entry::{Entry, StoredValue};
use crate::error::{Error, Result};
use crate::local::blob::{self, BlobReader};
use crate::local::fsutil::LockGuard;
use crate::local::manifest::Freshness;
use crate::local::record::Op;
use crate::local::{INLINE_MAX, LocalStore, reclaim};
use crate::name::CacheName;
use crate::store::{Value, WriteReport};

/// An entry as it travels: key, value and times (ms since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portable<V> {
    pub key: Vec<u8>,
    pub value: V,
    pub created_ms: u64,
    pub expires_ms: Option<u64>,
    /// Soft-invalidated: served only to readers that accept stale values.
    pub stale: bool,
}

impl<V> Portable<V> {
    /// The same entry with its value changed by `f`.
    pub fn try_map<W>(self, f: impl FnOnce(V) -> Result<W>) -> Result<Portable<W>> {
        Ok(Portable {
            key: self.key,
            value: f(self.value)?,
            created_ms: self.created_ms,
            expires_ms: self.expires_ms,
            stale: self.stale,
        })
    }
}

/// A value waiting to be imported: in hand, or the next `len` bytes of a spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staged {
    Bytes(Vec<u8>),
    Spooled(u64),
}

/// The live entries of a cache, sorted by key, ready to be written out. It
/// holds the reclaim lock shared, so no sync deletes a blob it has yet to read.
pub struct Export {
    blobs: PathBuf,
    entries: Vec<Entry>,
    _reclaim: Option<LockGuard>,
}

impl Export {
    /// How many entries there are.
    pub fn count(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Calls `f` with each entry, one at a time: its value in hand, or a blob
    /// to be read in bounded memory, whose header and length are checked (its
    /// content is not: [`Value::write_to`] does that on the way out).
    pub fn for_each(&self, mut f: impl FnMut(Portable<Value>) -> Result<()>) -> Result<()> {
        for entry in &self.entries {
            let value = match &entry.value {
                StoredValue::Inline(bytes) => Value::Bytes(bytes.clone()),
                StoredValue::Blob { hash, len } => {
                    Value::Blob(BlobReader::open(&self.blobs, hash, *len)?)
                }
            };
            f(Portable {
                key: entry.key.clone(),
                value,
                created_ms: entry.created_ms,
                expires_ms: entry.expires_ms,
                stale: entry.stale,
            })?;
        }
        Ok(())
    }
}

impl LocalStore {
    /// The live entries of a cache (which must exist), stale ones marked.
    pub fn export(&self, name: &CacheName) -> Result<Export> {
        let cache = self.existing(name)?;
        let reclaim = reclaim::hold_blobs(&cache.dir);
        let mut entries = Vec::new();
        if let Some(view) = cache.dir.view()? {
            let now = self.clock().now_ms();
            view.for_each_entry(&view.overlay()?, |mut entry| {
                match cache.invalidated.judge(&entry, now) {
                    Freshness::Invalid => {}
                    Freshness::Stale => {
                        entry.stale = true;
                        entries.push(entry);
                    }
                    Freshness::Fresh => entries.push(entry),
                }
                Ok(())
            })?;
        }
        entries.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        Ok(Export {
            blobs: cache.dir.blobs_path(),
            entries,
            _reclaim: reclaim,
        })
    }

    /// Writes validated entries with their own times, creating the cache if
    /// needed (no entries create nothing). Spooled values are read from
    /// `spool` in order, into blobs; then every record goes in with one
    /// journal append under the write lock.
    pub fn import(
        &self,
        name: &CacheName,
        entries: Vec<Portable<Staged>>,
        spool: &mut dyn Read,
    ) -> Result<WriteReport> {
        if entries.is_empty() {
            return Ok(WriteReport::default());
        }
        let cache = self.existing_or_created(name)?;
        let durable = cache.settings.durable;
        let blobs = cache.dir.blobs_path();
        let mut ops = Vec::with_capacity(entries.len());
        let mut staged = Vec::new();
        for item in entries {
            let value = match item.value {
                Staged::Bytes(bytes) if bytes.len() <= INLINE_MAX => StoredValue::Inline(bytes),
                Staged::Bytes(bytes) => {
                    let blob = blob::stage(&blobs, &bytes, &mut io::empty(), durable)?;
                    let value = blob.value();
                    staged.push(blob);
                    value
                }
                Staged::Spooled(len) => {
                    let blob = blob::stage(&blobs, &[], &mut spool.take(len), durable)?;
                    let value = blob.value();
                    if value.len() != len {
                        return Err(Error::Io {
                            path: "<import spool>".into(),
                            source: io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                format!("ended after {} of {len} bytes", value.len()),
                            ),
                        });
                    }
                    staged.push(blob);
                    value
                }
            };
            ops.push(Op::Set(Entry {
                key: item.key,
                value,
                created_ms: item.created_ms,
                expires_ms: item.expires_ms,
                epoch: cache.epoch,
                stale: item.stale,
            }));
        }
        let mut writer = cache.dir.writer(self.clock().now_ms())?;
        for blob in staged {
            writer.place(blob)?;
        }
        writer.append(&ops, durable)?;
        Ok(self.settle(&cache, writer))
    }
}
