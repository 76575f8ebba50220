//! Moving entries in and out of a cache whole, with their times: what `export`
//! reads and `import` writes. An import is staged whole first (see `spool`),
//! then lands in one journal append or one new snapshot, so it is all there or
//! (on an error) none of it is.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::entry::{Entry, StoredValue};
use crate::error::Result;
use crate::local::blob::{self, BlobReader};
use crate::local::cache::{COMPACT_BYTES, COMPACT_RECORDS};
use crate::local::fsutil::LockGuard;
use crate::local::journal::SetTotals;
use crate::local::manifest::Freshness;
use crate::local::merge::{self, Layer, MergeRules};
use crate::local::ops::describe_cut;
use crate::local::record::Op;
use crate::local::spool::{Import, ImportSpool};
use crate::local::{Cache, LocalStore, reclaim, unknown_cache};
use crate::name::CacheName;
use crate::store::{Imported, Importer, Portable, Value, WriteReport};

/// The live entries of a cache, sorted by key, ready to be written out. It
/// holds the reclaim lock shared, so no sync deletes a blob it has yet to read.
pub struct Export {
    blobs: PathBuf,
    entries: Vec<Entry>,
    _reclaim: Option<LockGuard>,
}

impl Export {
    /// Calls `f` with each entry, one at a time (see [`portable`]).
    pub fn for_each(&self, mut f: impl FnMut(Portable<Value>) -> Result<()>) -> Result<()> {
        for entry in &self.entries {
            f(portable(&self.blobs, entry.clone())?)?;
        }
        Ok(())
    }

    /// The entries, one at a time (see [`portable`]), the blobs held until
    /// the last is read.
    pub fn into_entries(self) -> impl ExactSizeIterator<Item = Result<Portable<Value>>> {
        let Export {
            blobs,
            entries,
            _reclaim: reclaim,
        } = self;
        entries.into_iter().map(move |entry| {
            let _held = &reclaim;
            portable(&blobs, entry)
        })
    }
}

/// An entry as it travels: its value in hand, or a blob to be read in
/// bounded memory, whose header and length are checked (its content is not:
/// [`Value::write_to`] does that on the way out).
fn portable(blobs: &Path, entry: Entry) -> Result<Portable<Value>> {
    let value = match entry.value {
        StoredValue::Inline(bytes) => Value::Bytes(bytes),
        StoredValue::Blob { hash, len } => {
            Value::Stream(Box::new(BlobReader::open(blobs, &hash, len)?))
        }
    };
    Ok(Portable {
        key: entry.key,
        value,
        created_ms: entry.created_ms,
        expires_ms: entry.expires_ms,
        stale: entry.stale,
    })
}

/// An import into the local store: staged in a spool in its `tmp` folder,
/// then landed by [`LocalStore::import`].
pub struct LocalImport<'s> {
    store: &'s LocalStore,
    cache: CacheName,
    spool: ImportSpool,
}

impl LocalImport<'_> {
    pub fn new<'s>(store: &'s LocalStore, cache: &CacheName) -> Result<LocalImport<'s>> {
        Ok(LocalImport {
            store,
            cache: cache.clone(),
            spool: store.import_spool()?,
        })
    }
}

impl Importer for LocalImport<'_> {
    fn push(
        &mut self,
        entry: Portable<()>,
        value: &mut dyn FnMut(&mut dyn Write) -> Result<()>,
    ) -> Result<()> {
        self.spool.push(entry, value)
    }

    fn finish(self: Box<Self>) -> Result<Imported> {
        let import = self.spool.finish()?;
        let (records, keys) = (import.records(), import.keys());
        let report = self.store.import(&self.cache, import)?;
        Ok(Imported {
            records,
            keys,
            report,
        })
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

    /// A spool to stage an import in, in the store's private `tmp` folder.
    pub fn import_spool(&self) -> Result<ImportSpool> {
        ImportSpool::create(self.root())
    }

    /// Writes a staged import's entries with their own times, creating the
    /// cache if needed (no entries create nothing), all or nothing. A small
    /// import is one journal append under the write lock; a larger one would
    /// make every reader replay a long journal, so it lands as a new snapshot
    /// instead, merged like a sync with the import laid over the cache.
    pub fn import(&self, name: &CacheName, import: Import) -> Result<WriteReport> {
        if import.keys() == 0 {
            return Ok(WriteReport::default());
        }
        let cache = self.existing_or_created(name)?;
        if import.fits_a_journal(COMPACT_RECORDS, COMPACT_BYTES) {
            return self.import_by_journal(&cache, &import);
        }
        self.land(&cache, &import, cache.epoch, &|| Ok(()))
    }

    /// Lays a staged import (entries written in `epoch`) over a cache as a
    /// new snapshot, if `admit` (run under the write lock as it begins)
    /// allows; a sync follows when the cache has outgrown its limits.
    pub(super) fn land(
        &self,
        cache: &Cache,
        import: &Import,
        epoch: u64,
        admit: &dyn Fn() -> Result<()>,
    ) -> Result<WriteReport> {
        let mut layer = ImportLayer {
            import,
            blobs: cache.dir.blobs_path(),
            epoch,
            admit,
        };
        let rules = MergeRules::of(cache);
        let landed = merge::land(&cache.dir, self.clock(), rules, &mut layer)?;
        let notices = landed
            .cut
            .iter()
            .map(|t| describe_cut(&cache.dir, t))
            .collect();
        let head = cache
            .dir
            .read_head()?
            .ok_or_else(|| unknown_cache(&cache.name))?;
        let outgrown = rules.outgrown(&cache.dir, head, SetTotals::default())?;
        if outgrown && self.inline_sync {
            merge::sync(&cache.dir, true, self.clock(), rules)?;
        }
        Ok(WriteReport {
            sync_due: outgrown && !self.inline_sync,
            notices,
        })
    }

    /// Lands an import in one journal append under the write lock.
    fn import_by_journal(&self, cache: &Cache, import: &Import) -> Result<WriteReport> {
        let durable = cache.settings.durable;
        let mut ops = Vec::new();
        let mut staged = Vec::new();
        import.for_each(&cache.dir.blobs_path(), durable, &mut |item, blob| {
            staged.extend(blob);
            ops.push(Op::Set(item.into_entry(cache.epoch)));
            Ok(())
        })?;
        let mut writer = cache.dir.writer(self.clock().now_ms())?;
        for blob in staged {
            writer.place(blob)?;
        }
        writer.append(&ops, durable)?;
        Ok(self.settle(cache, writer))
    }
}

impl Portable<StoredValue> {
    /// The entry as a cache stores it, written in `epoch`.
    fn into_entry(self, epoch: u64) -> Entry {
        Entry {
            key: self.key,
            value: self.value,
            created_ms: self.created_ms,
            expires_ms: self.expires_ms,
            epoch,
            stale: self.stale,
        }
    }
}

/// An import laid over a cache by a merge. Its blobs are made durable and put
/// in place as the merge reaches them: the sync lock the merge holds keeps
/// `gc` from taking them for garbage before the new snapshot names them.
struct ImportLayer<'a> {
    import: &'a Import,
    blobs: PathBuf,
    epoch: u64,
    admit: &'a dyn Fn() -> Result<()>,
}

impl Layer for ImportLayer<'_> {
    fn admit(&self) -> Result<()> {
        (self.admit)()
    }

    fn shadows(&self, key: &[u8]) -> Result<bool> {
        self.import.holds(key)
    }

    fn for_each(&mut self, f: &mut dyn FnMut(Entry) -> Result<()>) -> Result<()> {
        self.import.for_each(&self.blobs, true, &mut |item, blob| {
            blob.map(blob::Staged::place).transpose()?;
            f(item.into_entry(self.epoch))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::local::LocalStore;
    use crate::name::CacheName;
    use crate::store::{NewValue, SetOptions, Store};

    #[test]
    fn a_large_set_many_leaves_no_long_journal_and_is_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).with_deferred_sync();
        let cache = CacheName::new("c").unwrap();
        let mut items = (0..30_000u32).map(|i| {
            (
                format!("k{}", i % 20_000).into_bytes(),
                i.to_le_bytes().to_vec(),
            )
        });
        let report = store
            .set_many(&cache, &mut items, &SetOptions::default())
            .unwrap();
        assert!(!report.sync_due, "{report:?}");
        for (key, value) in [(0u32, 20_000u32), (9_999, 29_999), (15_000, 15_000)] {
            let hit = store.get(&cache, format!("k{key}").as_bytes()).unwrap();
            let bytes = hit.unwrap().value.into_bytes().unwrap();
            assert_eq!(bytes, value.to_le_bytes(), "k{key}: the later item wins");
        }
        let listed = &store.list().unwrap()[0];
        assert_eq!(listed.pending, 0, "no journal records left to replay");
        assert_eq!(listed.entries, 20_000);
    }

    #[test]
    fn writes_made_while_a_large_set_many_lands_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheName::new("c").unwrap();
        let store = LocalStore::new(dir.path());
        store
            .set(
                &cache,
                b"first",
                NewValue::Bytes(b"1"),
                &SetOptions::default(),
            )
            .unwrap();
        let root = dir.path().to_path_buf();
        let landing = {
            let cache = cache.clone();
            std::thread::spawn(move || {
                let mut items = (0..100_000u32).map(|i| (format!("k{i}").into_bytes(), vec![1]));
                LocalStore::new(&root)
                    .set_many(&cache, &mut items, &SetOptions::default())
                    .unwrap()
            })
        };
        // Writes all along, the landing's rotation and install included.
        let mut written = 0;
        while !landing.is_finished() || written == 0 {
            let key = format!("new{written}");
            let options = SetOptions::default();
            store
                .set(&cache, key.as_bytes(), NewValue::Bytes(b"x"), &options)
                .unwrap();
            written += 1;
        }
        landing.join().unwrap();
        let listed = &store.list().unwrap()[0];
        assert_eq!(listed.entries, 100_000 + written + 1);
    }
}
