//! Views that last: what a long-lived process (a batch, a library user) keeps
//! of a cache between reads (its manifest row, its snapshot mapped, its pending
//! journal records indexed, its counters mapped), checked before each use with
//! two atomic loads of generation words (see [`crate::local::generation`]), or,
//! when those moved, one `fstat` of each file it was read from.
//!
//! Every file a view depends on is either replaced whole by a rename (the
//! manifest, HEAD, a snapshot) or only appended to (the active journal; a
//! writer cuts a torn tail before appending). So an open file that lost its
//! last link was replaced, and the active journal's length says what was
//! appended: once another process's write has returned, the next check sees it.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::entry::{Entry, StoredValue};
use crate::error::{IoContext, Result};
use crate::local::blob::BlobReader;
use crate::local::cache::{Lookup, Overlay, READ_RETRIES, Written};
use crate::local::counters::Counters;
use crate::local::format::FileKind;
use crate::local::generation::{self, Word};
use crate::local::head::Head;
use crate::local::journal::{HEADER_LEN, JournalData, Records};
use crate::local::kept_writer::KeptWriter;
use crate::local::manifest::Manifest;
use crate::local::record::Op;
use crate::local::snapshot::Snapshot;
use crate::local::{Cache, LocalStore, check_folder, document, fsutil};
use crate::name::CacheName;

/// How often (ms) a kept counters map is opened again, in case a damaged
/// file was replaced meanwhile: counting is best-effort, reading is not.
const COUNTERS_RECHECK_MS: u64 = 1000;

/// The most caches a handle keeps views of: each holds a few files open.
const MAX_KEPT: usize = 64;

/// The views a store handle keeps, one per cache it read. A cache's view is
/// made on its second read, so a process that reads once (a CLI `get`) pays
/// nothing for it.
#[derive(Default)]
pub struct Views {
    caches: Mutex<HashMap<String, Kept>>,
}

enum Kept {
    /// Read once, through the ordinary path.
    Seen,
    Ready(Box<Lasting>),
}

impl fmt::Debug for Views {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Views")
    }
}

impl Views {
    /// Runs `read` on the current view of cache `name`, or returns `None` when
    /// there is none to use (the cache's first read, a cache with no files,
    /// one whose bindings are checked on each read, or any failure): the caller
    /// then reads through the ordinary path, which reports what is wrong.
    pub fn with<T>(
        &self,
        store: &LocalStore,
        name: &CacheName,
        read: impl FnOnce(&mut Lasting) -> Result<T>,
    ) -> Option<T> {
        self.kept(store, name, Lasting::refresh, read)
    }

    /// The cache's manifest row, as [`Views::with`] would see it, for a
    /// write: only the manifest is checked (what the journals hold is brought
    /// up to date by the next read).
    pub fn row(&self, store: &LocalStore, name: &CacheName) -> Option<Cache> {
        self.kept(store, name, Lasting::manifest_current, |view| {
            Ok(view.cache.clone())
        })
    }

    /// Runs `write` on the view of cache `name` with its manifest row checked
    /// (as for [`Views::row`]); `None` as for [`Views::with`], or when `write`
    /// says the ordinary path must do the write. A cache not seen before is
    /// left for that path, which marks it seen (a one-shot write keeps nothing).
    pub fn write<T>(
        &self,
        store: &LocalStore,
        name: &CacheName,
        write: impl FnOnce(&mut Lasting) -> Option<T>,
    ) -> Option<T> {
        if !self.caches.lock().ok()?.contains_key(name.as_str()) {
            return None;
        }
        self.kept(store, name, Lasting::manifest_current, |view| {
            Ok(write(view))
        })
        .flatten()
    }

    /// Runs `read` on the kept view of cache `name` once `current` says it
    /// is current (else it is made again); see [`Views::with`].
    fn kept<T>(
        &self,
        store: &LocalStore,
        name: &CacheName,
        current: impl FnOnce(&mut Lasting) -> Result<bool>,
        read: impl FnOnce(&mut Lasting) -> Result<T>,
    ) -> Option<T> {
        let mut caches = self.caches.lock().ok()?;
        if !caches.contains_key(name.as_str()) {
            if caches.len() >= MAX_KEPT {
                // Keeps open files bounded: one view (any) makes way.
                let any = caches.keys().next().cloned();
                any.map(|name| caches.remove(&name));
            }
            caches.insert(name.to_string(), Kept::Seen);
            return None;
        }
        let kept = caches.get_mut(name.as_str())?;
        let current = match kept {
            Kept::Ready(view) => current(view).unwrap_or(false),
            Kept::Seen => false,
        };
        if !current {
            match Lasting::build(store, name) {
                Ok(Some(view)) => *kept = Kept::Ready(Box::new(view)),
                _ => {
                    *kept = Kept::Seen;
                    return None;
                }
            }
        }
        let Kept::Ready(view) = kept else {
            return None;
        };
        match read(view) {
            Ok(value) => Some(value),
            Err(_) => {
                *kept = Kept::Seen;
                None
            }
        }
    }
}

/// One cache as a long-lived process keeps it.
pub struct Lasting {
    /// The cache's manifest row, as read from `manifest`.
    pub cache: Cache,
    manifest: Held,
    head: Held,
    snapshot: Option<Snapshot>,
    /// Every journal the head names, replayed.
    overlay: Overlay,
    active: Active,
    counters: Option<Counters>,
    counters_opened_ms: u64,
    /// The generation words of `store.lock` (the manifest) and of the
    /// cache's `write.lock` (HEAD and journals), when they have one.
    store_word: Option<Word>,
    cache_word: Option<Word>,
    /// Each word's value, when settled, at the last check that found the
    /// files it covers unchanged: while it reads the same, nothing changed.
    seen_store: Option<u64>,
    seen_cache: Option<u64>,
    /// The cache's write lock and active journal, once this view wrote.
    writer: Option<KeptWriter>,
}

/// A file kept open to see whether it was replaced, with its length and
/// modification time when it was read.
struct Held {
    file: File,
    path: PathBuf,
    stamp: (u64, i64, i64),
}

impl Held {
    fn new(file: File, path: PathBuf) -> Result<Held> {
        let stamp = stamp(&file.metadata().at(&path)?);
        Ok(Held { file, path, stamp })
    }

    /// Whether the file was replaced (renamed over, or deleted) or changed
    /// since it was read.
    fn replaced(&self) -> Result<bool> {
        let meta = self.file.metadata().at(&self.path)?;
        Ok(meta.nlink() == 0 || stamp(&meta) != self.stamp)
    }
}

fn stamp(meta: &std::fs::Metadata) -> (u64, i64, i64) {
    (meta.len(), meta.mtime(), meta.mtime_nsec())
}

/// The active journal: the one that grows.
struct Active {
    file: File,
    path: PathBuf,
    salt: u32,
    /// Where its valid records end: replayed up to here.
    end: u64,
}

impl Lasting {
    /// The view of a cache as its files are now, or `None` when the ordinary
    /// path must serve it.
    fn build(store: &LocalStore, name: &CacheName) -> Result<Option<Lasting>> {
        let path = store.manifest_path();
        let (manifest, bytes) = read_open(&path)?;
        let Some(record) = Manifest::find(&bytes, &path, name.as_str())? else {
            return Ok(None);
        };
        let cache = store.cache_from(name, record);
        if cache.settings.check_bindings {
            return Ok(None);
        }
        check_folder(&cache.settings, &cache.dir, false)?;
        let mut last_error = None;
        for _ in 0..READ_RETRIES {
            match Lasting::open(store, cache.clone(), &manifest, &path) {
                Err(e) if e.is_not_found() => last_error = Some(e),
                opened => return opened,
            }
        }
        Err(last_error.expect("the loop ran at least once"))
    }

    /// Opens the files HEAD names now; `None` when there is no HEAD.
    fn open(
        store: &LocalStore,
        cache: Cache,
        manifest: &File,
        manifest_path: &Path,
    ) -> Result<Option<Lasting>> {
        let head_path = cache.dir.head_path();
        let (head_file, bytes) = match read_open(&head_path) {
            Err(e) if e.is_not_found() => return Ok(None),
            read => read?,
        };
        let head: Head = document::decode(FileKind::Head, &bytes, &head_path)?;
        let snapshot = cache.dir.snapshot_of(head)?.map(Snapshot::mapped);
        let mut overlay = Overlay::default();
        for number in head.generation..head.last_journal {
            let journal = JournalData::read(&cache.dir.journal_path(number))?;
            overlay.replay(&mut journal.records(), &journal.path)?;
        }
        let path = cache.dir.journal_path(head.last_journal);
        let (file, bytes) = read_open(&path)?;
        let journal = JournalData::from_bytes(&path, bytes)?;
        let mut active = Active {
            file,
            path,
            salt: journal.header.salt,
            end: 0,
        };
        let records = &journal.bytes()[HEADER_LEN..];
        active.end = active.replay(records, HEADER_LEN as u64, &mut overlay)?;
        let cache_word = Word::open_made(&cache.dir.write_lock_path());
        Ok(Some(Lasting {
            cache,
            manifest: Held::new(
                manifest.try_clone().at(manifest_path)?,
                manifest_path.to_path_buf(),
            )?,
            head: Held::new(head_file, head_path)?,
            snapshot: snapshot.transpose()?,
            overlay,
            active,
            counters: None,
            counters_opened_ms: 0,
            store_word: Word::open_made(&store.store_lock_path()),
            cache_word,
            seen_store: None,
            seen_cache: None,
            writer: None,
        }))
    }

    /// Brings the view up to date: `false` when the manifest or HEAD was
    /// replaced, or the active journal shrank or was replaced (the view must
    /// be made again); otherwise what was appended is replayed.
    fn refresh(&mut self) -> Result<bool> {
        if !self.manifest_current()? {
            return Ok(false);
        }
        let word = self.cache_word.as_ref().map(Word::load);
        if word.is_some() && word == self.seen_cache {
            return Ok(true);
        }
        if self.head.replaced()? {
            return Ok(false);
        }
        let meta = self.active.file.metadata().at(&self.active.path)?;
        let len = meta.len();
        if meta.nlink() == 0 || len < self.active.end {
            return Ok(false);
        }
        if len > self.active.end {
            let mut bytes = vec![0; (len - self.active.end) as usize];
            self.active
                .file
                .read_exact_at(&mut bytes, self.active.end)
                .at(&self.active.path)?;
            self.active.end = self
                .active
                .replay(&bytes, self.active.end, &mut self.overlay)?;
            if self.cache_word.is_none() {
                // A cache no writer of this version had locked had no word:
                // one that appended since may have made it.
                self.cache_word = Word::open(&self.cache.dir.write_lock_path());
            }
        }
        self.seen_cache = word.filter(|&word| generation::settled(word));
        Ok(true)
    }

    /// Whether the manifest row is still current: its word says nothing
    /// changed, or else the manifest was not replaced.
    fn manifest_current(&mut self) -> Result<bool> {
        let word = self.store_word.as_ref().map(Word::load);
        if word.is_some() && word == self.seen_store {
            return Ok(true);
        }
        if self.manifest.replaced()? {
            return Ok(false);
        }
        self.seen_store = word.filter(|&word| generation::settled(word));
        Ok(true)
    }

    /// Appends `ops` through the kept writer (see [`KeptWriter::append`]).
    pub fn append(&mut self, ops: &[Op], durable: bool) -> Option<Result<Written>> {
        if self.store_word.is_none() || self.seen_store.is_none() {
            // Without a settled word, the row cannot be checked under the lock.
            return None;
        }
        if self.writer.is_none() {
            self.writer = Some(KeptWriter::open(&self.cache.dir).ok()?);
        }
        let writer = self.writer.as_mut()?;
        let (store_word, seen_store) = (&self.store_word, self.seen_store);
        // Checked again under the lock: the cache was not dropped meanwhile.
        let row_current = || store_word.as_ref().map(Word::load) == seen_store;
        writer.append(&self.cache.dir, ops, durable, row_current)
    }

    /// The row and the kept writer apart, to report on a write it made.
    pub fn row_and_writer(&mut self) -> (&Cache, Option<&mut KeptWriter>) {
        (&self.cache, self.writer.as_mut())
    }

    /// The entry for `key`, with its blob opened when `wanted` says its value is.
    pub fn lookup(&self, key: &[u8], wanted: impl Fn(&Entry) -> bool) -> Result<Lookup> {
        let entry = match (self.overlay.changes.get(key), &self.snapshot) {
            (Some(change), _) => change.clone(),
            (None, Some(snapshot)) if !self.overlay.cleared => snapshot.lookup(key)?,
            (None, _) => None,
        };
        let Some(entry) = entry else {
            return Ok(Lookup::Missing);
        };
        let blob = match &entry.value {
            StoredValue::Blob { hash, len } if wanted(&entry) => {
                Some(BlobReader::open(&self.cache.dir.blobs_path(), hash, *len)?)
            }
            _ => None,
        };
        Ok(Lookup::Found(entry, blob))
    }

    /// Counts one lookup in the cache's counters, kept mapped (best-effort,
    /// as [`crate::local::counters::record_lookup`]).
    pub fn count(&mut self, key: &[u8], hit: bool, now_ms: u64) {
        let stale = now_ms.abs_diff(self.counters_opened_ms) >= COUNTERS_RECHECK_MS;
        if self.counters.is_none() || stale {
            self.counters = Counters::open_or_create(&self.cache.dir, now_ms).ok();
            self.counters_opened_ms = now_ms;
        }
        if let Some(counters) = &self.counters {
            counters.record(key, hit, now_ms);
        }
    }
}

impl Active {
    /// Replays the records in `bytes`, which start at file offset `base` on
    /// a record boundary, into `overlay`; returns where the last whole append
    /// among them ends.
    fn replay(&self, bytes: &[u8], base: u64, overlay: &mut Overlay) -> Result<u64> {
        let mut records = Records::over(bytes, base, self.salt, &self.path);
        overlay.replay(&mut records, &self.path)?;
        Ok(records.torn().map_or(records.end(), |torn| torn.offset))
    }
}

/// Opens a store file and reads it whole through the same descriptor, so the
/// bytes are those of the file kept open.
fn read_open(path: &Path) -> Result<(File, Vec<u8>)> {
    let (file, meta) = fsutil::open_read(path)?;
    let mut bytes = vec![0; usize::try_from(meta.len()).unwrap_or(0)];
    file.read_exact_at(&mut bytes, 0).at(path)?;
    Ok((file, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{InvalidateOptions, NewValue, SetOptions, Store};

    fn value(store: &LocalStore, cache: &CacheName) -> Option<Vec<u8>> {
        let hit = store.get(cache, b"k").unwrap()?;
        Some(hit.value.into_bytes().unwrap())
    }

    fn kept(store: &LocalStore, cache: &CacheName) -> bool {
        let caches = store.views.caches.lock().unwrap();
        matches!(caches.get(cache.as_str()), Some(Kept::Ready(_)))
    }

    /// The sync lock of the cache, with the view written through its writer.
    fn kept_sync_lock(store: &LocalStore, cache: &CacheName) -> PathBuf {
        let caches = store.views.caches.lock().unwrap();
        let Some(Kept::Ready(view)) = caches.get(cache.as_str()) else {
            panic!("a kept view");
        };
        assert!(
            view.writer.is_some(),
            "the write went through the kept writer"
        );
        view.cache.dir.sync_lock_path()
    }

    /// A write through the kept writer that finds a sync due asks for one
    /// while none runs, and not while one does.
    #[test]
    fn a_kept_write_asks_for_a_due_sync_unless_one_runs() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).with_deferred_sync();
        let cache = CacheName::new("c").unwrap();
        let options = SetOptions::default();
        let set = || {
            let value = NewValue::Bytes(b"v");
            store.set(&cache, b"k", value, &options).unwrap().sync_due
        };
        assert!(!set());
        assert!(!set(), "kept, not yet due");
        let mut due = (0..crate::local::cache::COMPACT_RECORDS)
            .map(|i| (i.to_string().into_bytes(), b"v".to_vec()));
        store.set_many(&cache, &mut due, &options).unwrap();
        assert!(set(), "due, and no sync runs");
        let sync_lock = kept_sync_lock(&store, &cache);
        let running = fsutil::LockGuard::acquire(&sync_lock).unwrap();
        assert!(!set(), "a sync runs");
        assert!(!set());
        drop(running);
        assert!(set(), "due again once it stopped");
        assert!(set(), "asked after every write while due");
        kept_sync_lock(&store, &cache);
    }

    /// Kept writes leave the journal unnoted as checked: the process's next
    /// ordinary write checks it whole, so damage made in place since (the
    /// length unchanged) is refused, never appended after.
    #[test]
    fn an_ordinary_write_after_kept_ones_checks_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).with_deferred_sync();
        let cache = CacheName::new("c").unwrap();
        let options = SetOptions::default();
        for key in [b"a", b"b", b"c"] {
            let value = NewValue::Bytes(b"v");
            store.set(&cache, key, value, &options).unwrap();
        }
        kept_sync_lock(&store, &cache);
        let journal = {
            let caches = store.views.caches.lock().unwrap();
            let Some(Kept::Ready(view)) = caches.get(cache.as_str()) else {
                panic!("a kept view");
            };
            let head = view.cache.dir.read_head().unwrap().unwrap();
            view.cache.dir.journal_path(head.last_journal)
        };
        let mut bytes = std::fs::read(&journal).unwrap();
        bytes[HEADER_LEN + 12] ^= 0xff;
        std::fs::write(&journal, &bytes).unwrap();
        let mut more = std::iter::once((b"d".to_vec(), b"v".to_vec()));
        let refused = store.set_many(&cache, &mut more, &options);
        assert!(refused.is_err(), "appended after damage: {refused:?}");
    }

    /// Another handle (as another process would) writes, clears, syncs and
    /// invalidates: the reader's kept view serves each change at once.
    #[test]
    fn a_kept_view_serves_what_another_handle_did() {
        let dir = tempfile::tempdir().unwrap();
        let reader = LocalStore::new(dir.path());
        let writer = LocalStore::new(dir.path()).with_deferred_sync();
        let cache = CacheName::new("c").unwrap();
        let put = |store: &LocalStore, value: &[u8]| {
            let options = SetOptions::default();
            store
                .set(&cache, b"k", NewValue::Bytes(value), &options)
                .unwrap();
        };
        let set = |value: &[u8]| put(&writer, value);
        set(b"1");
        assert_eq!(value(&reader, &cache).as_deref(), Some(&b"1"[..]));
        assert_eq!(value(&reader, &cache).as_deref(), Some(&b"1"[..]));
        assert!(kept(&reader, &cache), "the second read keeps a view");
        set(b"2");
        assert_eq!(value(&reader, &cache).as_deref(), Some(&b"2"[..]));
        writer.sync(&cache, true).unwrap();
        set(b"3");
        assert_eq!(value(&reader, &cache).as_deref(), Some(&b"3"[..]));
        writer.clear(&cache).unwrap();
        assert_eq!(value(&reader, &cache), None);
        set(&[b'4'; 10_000]);
        assert_eq!(value(&reader, &cache), Some(vec![b'4'; 10_000]));
        let invalidate = || {
            let options = InvalidateOptions::default();
            writer
                .invalidate(std::slice::from_ref(&cache), &options)
                .unwrap();
        };
        invalidate();
        assert_eq!(value(&reader, &cache), None);
        assert!(kept(&reader, &cache));
        // The reader writes through its kept row (in the store's new epoch,
        // else its own write would read as invalidated), then reads what it
        // and the other handle wrote since.
        let own = |value: &[u8]| put(&reader, value);
        own(b"5");
        assert_eq!(value(&reader, &cache).as_deref(), Some(&b"5"[..]));
        invalidate();
        own(b"6");
        own(b"7");
        assert_eq!(value(&reader, &cache).as_deref(), Some(&b"7"[..]));
        set(b"8");
        assert_eq!(value(&reader, &cache).as_deref(), Some(&b"8"[..]));
    }
}
