//! One cache directory: its head, snapshot, journals and blobs, and the two ways
//! in: a lock-free read [`View`] and a [`Writer`] holding the write lock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::entry::{Entry, StoredValue};
use crate::error::{Error, Result};
use crate::local::blob::{self, BlobReader};
use crate::local::format::FileKind;
use crate::local::fsutil::{self, LockGuard};
use crate::local::generation::Changing;
use crate::local::head::Head;
use crate::local::journal::{self, Appender, JournalData, JournalHeader, Records, SetTotals, Torn};
use crate::local::record::{Op, OpKind, OpView};
use crate::local::snapshot::Snapshot;
use crate::local::{counters, document, temp, trusted};

/// A journal holding more records than this is due for compaction.
pub const COMPACT_RECORDS: u64 = 2048;
/// A journal larger than this is due for compaction.
pub const COMPACT_BYTES: u64 = 256 << 10;
/// A journal whose set records name more key and value bytes than this (large
/// values live in blobs, so the journal itself stays small) is due too, so
/// overwritten blobs never pile up for long.
pub const COMPACT_SET_BYTES: u64 = 64 << 20;
/// How often a reader retries when a sync replaced the files it was opening.
pub(crate) const READ_RETRIES: usize = 16;

/// What [`CacheDir::lookup`] found.
pub enum Lookup {
    /// The cache has no files yet.
    NoFiles,
    Missing,
    /// The entry, and its blob if it has one and its value was wanted.
    Found(Entry, Option<BlobReader>),
}

/// The files of one cache.
#[derive(Debug, Clone)]
pub struct CacheDir {
    path: PathBuf,
    /// Its files live in the runtime folder and are gone after a reboot, so a
    /// missing directory is an empty cache, not a lost one.
    volatile: bool,
}

impl CacheDir {
    /// A persistent cache's files: its directory is laid out when the cache is
    /// created, so a missing one is damage.
    pub fn new(path: PathBuf) -> CacheDir {
        CacheDir {
            path,
            volatile: false,
        }
    }

    /// A volatile cache's files, which a reboot takes away.
    pub fn volatile(path: PathBuf) -> CacheDir {
        CacheDir {
            path,
            volatile: true,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn head_path(&self) -> PathBuf {
        self.path.join("HEAD")
    }

    pub fn write_lock_path(&self) -> PathBuf {
        self.path.join("write.lock")
    }

    pub fn sync_lock_path(&self) -> PathBuf {
        self.path.join("sync.lock")
    }

    /// Held shared by readers that read blobs long after taking their view
    /// (an export), exclusive by whoever deletes blobs (see `reclaim`).
    pub fn reclaim_lock_path(&self) -> PathBuf {
        self.path.join("reclaim.lock")
    }

    pub fn journal_path(&self, number: u64) -> PathBuf {
        self.path.join(format!("journal.{number}"))
    }

    pub fn snapshot_path(&self, generation: u64) -> PathBuf {
        self.path.join(format!("snap.{generation}"))
    }

    pub fn blobs_path(&self) -> PathBuf {
        self.path.join("blobs")
    }

    /// Deletes what writers killed mid-write left: temporary files (blobs,
    /// snapshots, heads, counters) whose process is gone.
    pub fn remove_abandoned(&self) -> fsutil::Freed {
        let mut freed = fsutil::remove_abandoned(&self.blobs_path(), temp::PREFIX);
        freed.add(fsutil::remove_abandoned(&self.path, temp::PREFIX));
        freed.add(fsutil::remove_abandoned(
            &self.path,
            counters::LEGACY_TEMP_PREFIX,
        ));
        freed
    }

    /// The HEAD file as it is, or `None` when there is none (see
    /// [`CacheDir::head`] for what a missing one means).
    pub fn read_head(&self) -> Result<Option<Head>> {
        document::read(FileKind::Head, &self.head_path())
    }

    pub fn write_head(&self, head: &Head) -> Result<()> {
        document::write(FileKind::Head, &self.head_path(), head)
    }

    /// The current head, or `None` when the cache has no files yet. A missing
    /// HEAD is looked into, only then (a hit costs nothing more): see
    /// [`CacheDir::headless`].
    pub fn head(&self) -> Result<Option<Head>> {
        match self.read_head()? {
            Some(head) => Ok(Some(head)),
            None => self.headless(false),
        }
    }

    /// What a missing HEAD means: a cache with no files yet (`None`), or
    /// damage: its directory gone (a persistent cache's is laid out at its
    /// creation), or journals or snapshots that no HEAD names. Reading such a
    /// cache as empty would hide its entries and let the next write bury what
    /// `repair` can rebuild. Unless the caller holds the write lock, a writer
    /// laying out a fresh cache (HEAD comes last) is waited for, and the head
    /// it wrote returned.
    fn headless(&self, locked: bool) -> Result<Option<Head>> {
        if !self.path.exists() {
            return match self.volatile {
                true => Ok(None),
                false => Err(self.lost()),
            };
        }
        if crate::local::inspect::target::record_files(&self.path)?.is_empty() {
            return Ok(None);
        }
        if !locked {
            // A reader that may not take the lock just reads HEAD again.
            drop(LockGuard::acquire_shared(&self.write_lock_path()));
            if let Some(head) = self.read_head()? {
                return Ok(Some(head));
            }
        }
        Err(Error::corrupt(
            &self.head_path(),
            0,
            "missing, but the cache holds snapshot or journal files",
        ))
    }

    /// The damage a persistent cache's missing directory is.
    fn lost(&self) -> Error {
        Error::corrupt(
            &self.path,
            0,
            "the cache's directory is missing, but the manifest names the cache: its entries are lost",
        )
    }

    /// A consistent view for reading, taken without any lock, or `None` when the
    /// cache has no files yet. A sync that deletes files mid-open makes it retry.
    pub fn view(&self) -> Result<Option<View>> {
        let mut last_error = None;
        for _ in 0..READ_RETRIES {
            let Some(head) = self.head()? else {
                return Ok(None);
            };
            match self.view_of(head) {
                Ok(view) => return Ok(Some(view)),
                Err(e) if e.is_not_found() => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.expect("the loop ran at least once"))
    }

    /// The entry for `key` in the files as they are now, with its blob opened
    /// when `wanted` says its value is.
    pub fn lookup(&self, key: &[u8], wanted: impl Fn(&Entry) -> bool) -> Result<Lookup> {
        match self.view()? {
            Some(view) => self.lookup_in(view, key, wanted),
            None => Ok(Lookup::NoFiles),
        }
    }

    /// [`CacheDir::lookup`] starting from `view`. A sync that deletes the blob
    /// of the entry a view found (it replaced or dropped that entry) makes it
    /// look again in the new files.
    fn lookup_in(
        &self,
        mut view: View,
        key: &[u8],
        wanted: impl Fn(&Entry) -> bool,
    ) -> Result<Lookup> {
        let mut tries = 0;
        loop {
            let Some(entry) = view.lookup(key)? else {
                return Ok(Lookup::Missing);
            };
            let StoredValue::Blob { hash, len } = entry.value else {
                return Ok(Lookup::Found(entry, None));
            };
            if !wanted(&entry) {
                return Ok(Lookup::Found(entry, None));
            }
            match BlobReader::open(&self.blobs_path(), &hash, len) {
                Ok(blob) => return Ok(Lookup::Found(entry, Some(blob))),
                Err(e) if e.is_not_found() && tries < READ_RETRIES => match self.view()? {
                    Some(newer) if newer.head != view.head => {
                        view = newer;
                        tries += 1;
                    }
                    _ => return Err(e),
                },
                Err(e) => return Err(e),
            }
        }
    }

    /// Opens the snapshot and journals a head names.
    pub fn view_of(&self, head: Head) -> Result<View> {
        let snapshot = self.snapshot_of(head)?;
        let journals = head
            .journals()
            .map(|n| JournalData::read(&self.journal_path(n)))
            .collect::<Result<Vec<_>>>()?;
        Ok(View {
            head,
            snapshot,
            journals,
        })
    }

    /// Opens the snapshot a head names, if it names one.
    pub fn snapshot_of(&self, head: Head) -> Result<Option<Snapshot>> {
        if !head.has_snapshot() {
            return Ok(None);
        }
        let snapshot = Snapshot::open(&self.snapshot_path(head.generation))?;
        if snapshot.header.generation != head.generation {
            return Err(Error::corrupt(
                &snapshot.path,
                16,
                "snapshot generation does not match its name",
            ));
        }
        Ok(Some(snapshot))
    }

    /// Lays out a new cache's files: its directory, its first journal, HEAD.
    pub fn lay_out(&self, now_ms: u64) -> Result<()> {
        fsutil::create_private_dir(&self.path)?;
        self.writer(now_ms)?.finish().map(drop)
    }

    /// Takes the write lock, creating a volatile cache's files on first use
    /// (a persistent cache's are laid out at its creation), and opens the
    /// active journal (cutting a torn tail). A cache that lost its HEAD is
    /// refused: a fresh one would bury what `repair` can rebuild.
    pub fn writer(&self, now_ms: u64) -> Result<Writer<'_>> {
        match self.volatile {
            true => fsutil::create_private_dir(&self.path)?,
            // Opened as every store directory is (no link followed, and the
            // user's own): a missing one is lost, never laid out anew here.
            false => match fsutil::open_dir(&self.path) {
                Ok(dir) => trusted::check_dir(&dir, &self.path)?,
                Err(e) if e.is_not_found() => return Err(self.lost()),
                Err(e) => return Err(e),
            },
        }
        let lock = Changing::acquire(&self.write_lock_path())?;
        let head = match self.read_head()? {
            Some(head) => head,
            None => match self.headless(true)? {
                Some(head) => head,
                None => self.initialize(now_ms)?,
            },
        };
        let (appender, cut) = Appender::open(&self.journal_path(head.last_journal))?;
        Ok(Writer {
            dir: self,
            head,
            appender,
            cut,
            _lock: lock,
        })
    }

    fn initialize(&self, now: u64) -> Result<Head> {
        let head = Head::initial(now);
        let header = JournalHeader::new(head.last_journal, 1, now);
        journal::create(&self.journal_path(head.last_journal), &header)?;
        self.write_head(&head)?;
        Ok(head)
    }

    /// Unsynced changes and the time of the last sync, read without a lock, or
    /// `None` when the cache has no files yet.
    pub fn sync_state(&self) -> Result<Option<SyncState>> {
        let mut last_error = None;
        for _ in 0..READ_RETRIES {
            let Some(head) = self.head()? else {
                return Ok(None);
            };
            let state = journal::read_state(&self.journal_path(head.last_journal)).and_then(
                |(last, next_seq)| {
                    let first = match head.generation == head.last_journal {
                        true => last,
                        false => journal::read_state(&self.journal_path(head.generation))?.0,
                    };
                    Ok(SyncState {
                        pending: next_seq.saturating_sub(first.first_seq),
                        last_sync_ms: head.last_sync_ms,
                    })
                },
            );
            match state {
                Ok(state) => return Ok(Some(state)),
                Err(e) if e.is_not_found() => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.expect("the loop ran at least once"))
    }
}

/// What the autosync rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncState {
    /// Changes recorded since the last sync.
    pub pending: u64,
    pub last_sync_ms: u64,
}

/// What a finished write leaves for the caller to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// A torn tail cut when the journal was opened.
    pub cut: Option<Torn>,
    /// The journal has grown enough that readers' replay should be shortened.
    pub compaction_due: bool,
    pub state: SyncState,
    /// The head the write went under, and the set records of its journal.
    pub head: Head,
    pub sets: SetTotals,
}

/// The write lock on a cache, with its active journal open.
pub struct Writer<'a> {
    dir: &'a CacheDir,
    pub head: Head,
    pub appender: Appender,
    /// A torn tail cut when the journal was opened.
    pub cut: Option<Torn>,
    _lock: Changing,
}

impl Writer<'_> {
    /// The cache as it stands under the lock.
    pub fn view(&self) -> Result<View> {
        self.dir.view_of(self.head)
    }

    /// Puts a staged blob in place, under this lock, for a record about to be
    /// appended to name.
    pub fn place(&self, staged: blob::Staged) -> Result<()> {
        staged.place()
    }

    pub fn append(&mut self, ops: &[Op], durable: bool) -> Result<()> {
        self.appender.append(ops, durable)
    }

    /// Releases the lock and says what the caller should know: a cut tail,
    /// whether the journal is long, and the state the autosync rules look at.
    pub fn finish(self) -> Result<Written> {
        let first_seq = self.dir.first_unsynced_seq(self.head, &self.appender)?;
        Ok(Written::now(self.head, &self.appender, first_seq, self.cut))
    }
}

impl CacheDir {
    /// The sequence number of the first change the last sync left out: the
    /// first record of the oldest journal `head` names.
    pub fn first_unsynced_seq(&self, head: Head, appender: &Appender) -> Result<u64> {
        if head.generation == head.last_journal {
            return Ok(appender.header().first_seq);
        }
        let oldest = journal::read_state(&self.journal_path(head.generation))?;
        Ok(oldest.0.first_seq)
    }
}

impl Written {
    /// What a write that left `appender` as it is says, under `head`, with
    /// `first_seq` from [`CacheDir::first_unsynced_seq`].
    pub fn now(head: Head, appender: &Appender, first_seq: u64, cut: Option<Torn>) -> Written {
        let sets = appender.sets();
        Written {
            cut,
            compaction_due: appender.records() >= COMPACT_RECORDS
                || appender.len() >= COMPACT_BYTES
                || sets.bytes >= COMPACT_SET_BYTES,
            head,
            sets,
            state: SyncState {
                pending: appender.next_seq().saturating_sub(first_seq),
                last_sync_ms: head.last_sync_ms,
            },
        }
    }
}

/// What the journals say about one key.
enum Latest<'a> {
    Unknown,
    Set {
        path: &'a Path,
        offset: u64,
        view: OpView<'a>,
    },
    Gone,
}

/// A read view: a snapshot and the journals to replay over it.
pub struct View {
    pub head: Head,
    pub snapshot: Option<Snapshot>,
    pub journals: Vec<JournalData>,
}

/// The journals' changes folded together: the latest state of every key they
/// touch, and whether a clear wiped out everything before.
#[derive(Default)]
pub struct Overlay {
    pub cleared: bool,
    pub changes: HashMap<Vec<u8>, Option<Entry>>,
}

impl Overlay {
    /// Replays one journal operation.
    pub fn apply(&mut self, op: Op) {
        match op {
            Op::Set(entry) => {
                self.changes.insert(entry.key.clone(), Some(entry));
            }
            Op::Del(key) => {
                self.changes.insert(key, None);
            }
            Op::Clear => {
                self.cleared = true;
                self.changes.clear();
            }
        }
    }

    /// Replays every valid record `records` hands on, from a journal at `path`.
    pub fn replay(&mut self, records: &mut Records<'_>, path: &Path) -> Result<()> {
        for record in records {
            let (offset, view) = record?;
            self.apply(view.op().map_err(|r| Error::corrupt(path, offset, r))?);
        }
        Ok(())
    }

    /// Whether the journals changed `key` (or cleared every key), so that the
    /// snapshot's entry for it is no longer current.
    pub fn shadows(&self, key: &[u8]) -> bool {
        self.cleared || self.changes.contains_key(key)
    }

    /// The entries the journals set and did not delete since.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.changes.values().flatten()
    }
}

impl View {
    /// The entry for `key`, expired or not.
    pub fn lookup(&self, key: &[u8]) -> Result<Option<Entry>> {
        let mut latest = Latest::Unknown;
        for journal in &self.journals {
            for record in journal.records() {
                let (offset, view) = record?;
                latest = match view.kind {
                    OpKind::Clear => Latest::Gone,
                    _ if view.keyed.key != key => continue,
                    OpKind::Set => Latest::Set {
                        path: &journal.path,
                        offset,
                        view,
                    },
                    OpKind::Del => Latest::Gone,
                };
            }
        }
        match latest {
            Latest::Set { path, offset, view } => view
                .keyed
                .entry()
                .map(Some)
                .map_err(|reason| Error::corrupt(path, offset, reason)),
            Latest::Gone => Ok(None),
            Latest::Unknown => match &self.snapshot {
                Some(snapshot) => snapshot.lookup(key),
                None => Ok(None),
            },
        }
    }

    /// Folds the journals into an [`Overlay`].
    pub fn overlay(&self) -> Result<Overlay> {
        let mut overlay = Overlay::default();
        for journal in &self.journals {
            overlay.replay(&mut journal.records(), &journal.path)?;
        }
        Ok(overlay)
    }

    /// Calls `f` with every current entry, expired ones included: the
    /// snapshot's, less what the journals changed, then the journals' own.
    pub fn for_each_entry(
        &self,
        overlay: &Overlay,
        f: impl FnMut(Entry) -> Result<()>,
    ) -> Result<()> {
        self.walk(overlay, f, None)
    }

    /// [`View::for_each_entry`], and `replaced` with each snapshot entry the
    /// journals replaced, deleted or cleared.
    pub fn walk(
        &self,
        overlay: &Overlay,
        mut f: impl FnMut(Entry) -> Result<()>,
        mut replaced: Option<&mut dyn FnMut(Entry)>,
    ) -> Result<()> {
        if let Some(snapshot) = &self.snapshot
            && (!overlay.cleared || replaced.is_some())
        {
            for entry in snapshot.entries()? {
                let entry = entry?;
                if overlay.shadows(&entry.key) {
                    if let Some(replaced) = replaced.as_mut() {
                        replaced(entry);
                    }
                } else {
                    f(entry)?;
                }
            }
        }
        overlay.entries().cloned().try_for_each(f)
    }

    /// Entry count and key-plus-value bytes, from the snapshot header corrected by
    /// the journals. Expired entries still count until a sync drops them.
    pub fn totals(&self) -> Result<(u64, u64)> {
        let overlay = self.overlay()?;
        let (mut count, mut bytes) = match (&self.snapshot, overlay.cleared) {
            (Some(s), false) => (s.header.entry_count, s.header.live_bytes),
            _ => (0, 0),
        };
        for (key, change) in &overlay.changes {
            if let (Some(snapshot), false) = (&self.snapshot, overlay.cleared)
                && let Some(old) = snapshot.lookup(key)?
            {
                count = count.saturating_sub(1);
                bytes = bytes.saturating_sub(old.size());
            }
            if let Some(entry) = change {
                count += 1;
                bytes += entry.size();
            }
        }
        Ok((count, bytes))
    }

    /// Records in the journals, not yet merged into a snapshot.
    pub fn pending(&self) -> u64 {
        self.journals
            .iter()
            .map(|j| j.records().count() as u64)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::local::LocalStore;
    use crate::name::CacheName;
    use crate::store::{NewValue, SetOptions, Store};

    /// A cache `c` whose key `k` holds 10,000 `'1'`s (synced first with
    /// `synced`), a view taken then, and the value `'2'`s written after it.
    struct Stale {
        _dir: tempfile::TempDir,
        store: LocalStore,
        cache: CacheName,
        files: CacheDir,
        view: View,
    }

    impl Stale {
        fn new(synced: bool) -> Stale {
            let dir = tempfile::tempdir().unwrap();
            let store = LocalStore::new(dir.path()).with_deferred_sync();
            let cache = CacheName::new("c").unwrap();
            let set = |value: &[u8]| {
                let value = NewValue::Bytes(value);
                let options = SetOptions::default();
                store.set(&cache, b"k", value, &options).unwrap();
            };
            set(&[b'1'; 10_000]);
            if synced {
                store.sync(&cache, true).unwrap();
            }
            let files = CacheDir::new(dir.path().join("caches/c"));
            let view = files.view().unwrap().unwrap();
            set(&[b'2'; 10_000]);
            Stale {
                _dir: dir,
                store,
                cache,
                files,
                view,
            }
        }

        /// The value the stale view's lookup of `k` comes to.
        fn looked_up(self) -> Vec<u8> {
            let found = self.files.lookup_in(self.view, b"k", |_| true).unwrap();
            let Lookup::Found(_, Some(blob)) = found else {
                panic!("k has a blob");
            };
            let mut value = Vec::new();
            blob.copy_to(&mut value).unwrap();
            value
        }
    }

    /// A writer laying out a fresh cache holds the write lock between its
    /// first journal and HEAD: a reader then waits for HEAD, and calls the
    /// cache damaged only when no HEAD comes.
    #[test]
    fn a_reader_waits_for_a_writer_laying_out_a_fresh_cache() {
        let dir = tempfile::tempdir().unwrap();
        let files = CacheDir::new(dir.path().join("c"));
        fsutil::create_private_dir(files.path()).unwrap();
        let lock = LockGuard::acquire(&files.write_lock_path()).unwrap();
        journal::create(&files.journal_path(1), &JournalHeader::new(1, 1, 0)).unwrap();
        let reader = std::thread::spawn({
            let files = files.clone();
            move || files.head()
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        files.write_head(&Head::initial(7)).unwrap();
        drop(lock);
        assert_eq!(reader.join().unwrap().unwrap(), Some(Head::initial(7)));
        fs::remove_file(files.head_path()).unwrap();
        let damage = files.head().unwrap_err().to_string();
        assert!(
            damage.contains("HEAD: damaged at offset 0: missing"),
            "{damage}"
        );
    }

    #[test]
    fn a_lookup_whose_blob_a_sync_deleted_looks_again_in_the_new_files() {
        let stale = Stale::new(false);
        stale.store.sync(&stale.cache, true).unwrap();
        assert_eq!(stale.looked_up(), [b'2'; 10_000]);
    }

    /// gc deletes only what no record of the current files names: a reader
    /// whose view predates a journal record that replaced its entry, under the
    /// same head, still finds the blob.
    #[test]
    fn gc_leaves_the_blob_of_a_replaced_entry_to_the_next_sync() {
        let stale = Stale::new(true);
        crate::local::gc::sweep(&stale.files).unwrap();
        assert_eq!(stale.looked_up(), [b'1'; 10_000]);
    }
}
