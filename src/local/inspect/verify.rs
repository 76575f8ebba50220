//! `verify`: every checksum and cross-reference of a store, read-only. The
//! manifest, the caches it names and the directories it does not; in each
//! cache, HEAD to the files it names, every record's checksum, every hash slot
//! to its record, every record to its blob, and every blob to its hash.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::entry::StoredValue;
use crate::error::Result;
use crate::local::LocalStore;
use crate::local::blob;
use crate::local::cache::{CacheDir, Overlay};
use crate::local::counters;
use crate::local::fsutil;
use crate::local::inspect::blobs;
use crate::local::inspect::problem::{Problem, key_label};
use crate::local::inspect::repair::QUARANTINE;
use crate::local::inspect::scan;
use crate::local::inspect::target;
use crate::local::manifest::Manifest;
use crate::local::record::Op;
use crate::local::snapshot::{self, Snapshot};
use crate::reporter::Progress;

/// The kinds of problem, in the order `verify` looks for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// The manifest cannot be read.
    Manifest,
    /// A directory under `caches/` that the manifest does not name.
    Layout,
    /// The cache's directory or HEAD is missing, HEAD is unreadable, or it
    /// names files that are not there (or are not regular files).
    Files,
    /// A header, record, table or blob fails its checksum.
    Checksums,
    /// A hash slot or a header's count disagrees with the records.
    Index,
    /// An entry names a blob that is missing, damaged or of another length.
    BlobReferences,
}

impl Class {
    pub fn describe(self) -> &'static str {
        match self {
            Class::Manifest => "the manifest",
            Class::Layout => "the store's directories",
            Class::Files => "the cache's files",
            Class::Checksums => "checksums",
            Class::Index => "the snapshot's index",
            Class::BlobReferences => "the blobs entries name",
        }
    }
}

/// What verifying found, by class, and what it noted. A note (a damaged
/// counters file) loses no data and leaves the cache sound.
#[derive(Debug, Default)]
pub struct Findings {
    pub problems: Vec<(Class, Problem)>,
    pub notes: Vec<Problem>,
}

impl Findings {
    pub fn push(&mut self, class: Class, problem: Problem) {
        self.problems.push((class, problem));
    }

    fn extend(&mut self, class: Class, problems: impl IntoIterator<Item = Problem>) {
        self.problems
            .extend(problems.into_iter().map(|problem| (class, problem)));
    }

    pub fn is_sound(&self) -> bool {
        self.problems.is_empty()
    }

    /// The files of the cache in `dir` found damaged, whatever their type (a
    /// directory where a file should be is damage too); a record naming a
    /// missing blob is not damage to its own file.
    pub fn damaged_files<'a>(&'a self, dir: &'a Path) -> impl Iterator<Item = &'a Path> {
        self.problems
            .iter()
            .filter(|(class, _)| *class != Class::BlobReferences)
            .map(|(_, problem)| problem.path.as_path())
            .filter(move |path| {
                path.starts_with(dir) && *path != dir && path.symlink_metadata().is_ok()
            })
    }

    /// Every problem, by class in the order they are looked for.
    pub fn by_class(&self) -> Vec<(Class, Vec<&Problem>)> {
        let mut classes: Vec<Class> = self.problems.iter().map(|(class, _)| *class).collect();
        classes.sort_unstable();
        classes.dedup();
        classes
            .into_iter()
            .map(|class| {
                let problems = self
                    .problems
                    .iter()
                    .filter(|(c, _)| *c == class)
                    .map(|(_, p)| p)
                    .collect();
                (class, problems)
            })
            .collect()
    }
}

/// The store's own layout: directories under `caches/` the manifest does not
/// name (problems; hidden ones are a `drop` in progress, and are left out),
/// and other files there (notes: nothing reads them).
pub fn check_layout(store: &LocalStore, manifest: &Manifest) -> Result<Findings> {
    let mut findings = Findings::default();
    let caches = store.root().join("caches");
    let damage: Vec<Problem> = [fsutil::symlink_on(&caches).map(|link| link_problem(&link))]
        .into_iter()
        .flatten()
        .chain(lock_damage(&store.root().join("store.lock")))
        .collect();
    if !damage.is_empty() {
        findings.extend(Class::Layout, damage);
        return Ok(findings);
    }
    findings.extend(Class::Layout, folder_links(store.root()));
    let mut unnamed = unnamed_dirs(store, manifest)?;
    if !unnamed.is_empty() {
        // A cache being created has its directory before the manifest names
        // it; under the store lock, which its creation holds, it is named.
        unnamed = unnamed_dirs(store, &store.read_manifest_settled()?)?;
    }
    for dir in unnamed {
        findings.push(
            Class::Layout,
            Problem::file(
                &dir,
                "a cache directory the manifest does not name (left by an interrupted drop?)",
            ),
        );
    }
    for path in target::stray_files(store.root())? {
        findings.notes.push(Problem::file(
            &path,
            "not a cache directory; nothing reads it",
        ));
    }
    Ok(findings)
}

/// The store's own folders besides `caches/`, which commands refuse to enter
/// when a link stands in their place.
const STORE_FOLDERS: [&str; 5] = ["tmp", "run-locks", "run-spool", "run-notes", QUARANTINE];

/// Links in place of the store's own folders: no command follows one, none
/// moves one aside (they hold no entries), so the problem names its fix.
fn folder_links(root: &Path) -> Vec<Problem> {
    STORE_FOLDERS
        .iter()
        .map(|folder| root.join(folder))
        .filter(|path| path.symlink_metadata().is_ok_and(|m| m.is_symlink()))
        .map(|path| {
            let what = format!(
                "a symbolic link, which cacheman never follows inside a store; remove it (`rm {}`) and cacheman makes the folder anew",
                path.display()
            );
            Problem::file(&path, what)
        })
        .collect()
}

/// The directories under `caches/` that `manifest` does not name.
fn unnamed_dirs(store: &LocalStore, manifest: &Manifest) -> Result<Vec<PathBuf>> {
    let named = |dir: &PathBuf| {
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        manifest.caches.contains_key(name.as_ref())
    };
    Ok(target::store_caches(store.root())?
        .into_iter()
        .filter(|dir| !named(dir))
        .collect())
}

/// Damage to what holds a cache's files rather than to the files: a symbolic
/// link in place of the cache's directory (or of `caches/`), of its blobs or
/// quarantine folder or of a lock file, or a lock file that is not a regular file its
/// owner can read and write. Every command refuses such a cache (it never
/// follows the link, and cannot take the lock); `repair` moves each aside.
pub fn structure_damage(dir: &CacheDir) -> Vec<Problem> {
    if let Some(link) = fsutil::symlink_on(dir.path()) {
        return vec![link_problem(&link)];
    }
    let blobs = dir.blobs_path();
    let locks = [
        dir.write_lock_path(),
        dir.sync_lock_path(),
        dir.reclaim_lock_path(),
    ];
    let links = [blobs, dir.path().join(QUARANTINE)]
        .into_iter()
        .filter(|path| path.symlink_metadata().is_ok_and(|meta| meta.is_symlink()))
        .map(|path| link_problem(&path));
    let dirs = [dir.path().to_path_buf(), dir.blobs_path()];
    links
        .chain(dirs.iter().filter_map(|dir| open_dir_damage(dir)))
        .chain(locks.iter().filter_map(|lock| lock_damage(lock)))
        .collect()
}

/// What is wrong with a directory of the store, if it is there and someone
/// else owns it or may change it: commands that write refuse it, and no
/// reader should take what is in it on trust.
fn open_dir_damage(path: &Path) -> Option<Problem> {
    use std::os::unix::fs::PermissionsExt;
    let meta = path.symlink_metadata().ok().filter(|meta| meta.is_dir())?;
    let mode = meta.permissions().mode() & 0o777;
    let owner = fsutil::foreign_owner(&meta);
    (owner.is_some() || mode & 0o022 != 0).then(|| {
        let whose = owner.map_or("this user's".to_string(), |uid| format!("uid {uid}'s"));
        Problem::file(
            path,
            format!(
                "a directory others can change ({whose}, mode {mode:04o}); fix: `chmod 700` it if it is yours, else remove the store"
            ),
        )
    })
}

fn link_problem(link: &Path) -> Problem {
    Problem::file(
        link,
        "a symbolic link, which cacheman never follows inside a store",
    )
}

/// What is wrong with a lock file, if it is there and not a regular file its
/// owner can read and write.
fn lock_damage(path: &Path) -> Option<Problem> {
    use std::os::unix::fs::PermissionsExt;
    let meta = path.symlink_metadata().ok()?;
    if let Some(what) = fsutil::not_regular(&meta) {
        return Some(Problem::file(path, format!("{what}, not a lock file")));
    }
    if let Some(owner) = fsutil::foreign_owner(&meta) {
        return Some(Problem::file(
            path,
            format!("a lock file owned by uid {owner}, not by this user"),
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    (mode & 0o600 != 0o600).then(|| {
        Problem::file(
            path,
            format!("a lock file its owner cannot read and write (mode {mode:04o})"),
        )
    })
}

/// The bytes of the snapshot and journals HEAD names (0 for what cannot be
/// read): what a check, a rebuild or a sync reads, for sizing a progress bar.
pub fn record_bytes(dir: &CacheDir) -> u64 {
    let size = |path: &Path| fs::metadata(path).map_or(0, |meta| meta.len());
    match scan::head(dir) {
        Ok(Some(head)) => {
            let snapshot = head
                .has_snapshot()
                .then(|| size(&dir.snapshot_path(head.generation)));
            let journals: u64 = head.journals().map(|n| size(&dir.journal_path(n))).sum();
            snapshot.unwrap_or(0) + journals
        }
        _ => 0,
    }
}

/// The size of a sound cache.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub entries: u64,
    pub journals: u64,
    pub blobs: u64,
    /// A journal with a torn tail grew while it was read: a writer was appending.
    pub appending: bool,
}

/// A blob an entry names, and the record naming it.
struct BlobRef {
    key: Vec<u8>,
    hash: [u8; 32],
    len: u64,
    record: PathBuf,
    offset: u64,
}

/// How often a check starts over because a sync or a write changed the files
/// while it read them.
const RETRIES: usize = 16;

/// What one check of a cache found.
#[derive(Debug, Default)]
pub struct Checked {
    pub findings: Findings,
    pub counts: Counts,
    /// The sound blob files by hash, with their lengths; `None` when the
    /// check stopped before the blobs (HEAD or the files it names are amiss).
    pub sound_blobs: Option<HashMap<[u8; 32], u64>>,
}

/// Checks one cache's files. Reads only, and takes no lock: when a sync
/// replaced the files (HEAD changed) or a writer was appending (a torn tail
/// that has since grown) while they were read, the check starts over.
/// `progress` advances by the bytes read: [`record_bytes`], then the blobs'.
pub fn verify_cache(dir: &CacheDir, progress: &dyn Progress) -> Result<(Findings, Counts)> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let before = scan::head(dir).ok();
        progress.set_position(0);
        // A file a sync deleted meanwhile fails the read: that starts over too.
        let checked = verify_once(dir, progress, false);
        let changed = scan::head(dir).ok() != before
            || matches!(&checked, Ok(checked) if checked.counts.appending);
        if !changed || attempts >= RETRIES {
            return checked.map(|checked| (checked.findings, checked.counts));
        }
    }
}

/// Checks one cache whose write and sync locks the caller holds, as `repair`
/// does: nothing changes its files meanwhile.
pub fn verify_locked(dir: &CacheDir, progress: &dyn Progress) -> Result<Checked> {
    verify_once(dir, progress, true)
}

/// One pass over a cache's files; `locked` when the caller holds its locks.
fn verify_once(dir: &CacheDir, progress: &dyn Progress, locked: bool) -> Result<Checked> {
    let mut findings = Findings::default();
    let mut counts = Counts::default();
    let stopped = |findings| {
        Ok(Checked {
            findings,
            ..Checked::default()
        })
    };
    let structure = structure_damage(dir);
    if !structure.is_empty() {
        findings.extend(Class::Files, structure);
        return stopped(findings);
    }
    findings.notes.extend(counters_damage(dir));
    let head = match scan::head(dir) {
        Ok(Some(head)) => head,
        Ok(None) => {
            let problem = missing_head(dir, locked)?;
            findings.problems.extend(problem.map(|p| (Class::Files, p)));
            return stopped(findings);
        }
        Err(e @ crate::Error::Corrupt { .. }) => {
            findings.push(Class::Files, e.into());
            return stopped(findings);
        }
        // It may be intact: what cannot be read is no damage to repair.
        Err(e) => return Err(e),
    };
    let snapshot_path = head
        .has_snapshot()
        .then(|| dir.snapshot_path(head.generation));
    if head.last_journal < head.generation {
        findings.push(
            Class::Files,
            Problem::file(&dir.head_path(), "names no journal at all"),
        );
    }
    for path in snapshot_path
        .iter()
        .cloned()
        .chain(head.journals().map(|n| dir.journal_path(n)))
    {
        match fsutil::check_regular(&path) {
            Ok(()) => {}
            Err(e) if e.is_not_found() => findings.push(
                Class::Files,
                Problem::file(&path, "missing, but HEAD names it"),
            ),
            Err(e @ crate::Error::Corrupt { .. }) => findings.push(Class::Files, e.into()),
            Err(e) => return Err(e),
        }
    }
    if !findings.is_sound() {
        return stopped(findings);
    }

    let mut overlay = Overlay::default();
    let mut set_at = HashMap::new();
    for number in head.journals() {
        let path = dir.journal_path(number);
        let scan = scan::journal(&path, |offset, _, op| {
            if let Op::Set(entry) = &op {
                set_at.insert(entry.key.clone(), (path.clone(), offset));
            }
            overlay.apply(op);
            Ok(())
        })?;
        findings.extend(Class::Checksums, scan.problems);
        if let Some(torn) = scan.torn {
            let len = fs::metadata(&path).map_or(0, |m| m.len());
            counts.appending |= len != torn.offset + torn.bytes;
            findings.push(Class::Checksums, torn_tail(&path, &torn));
        }
        if let Some(header) = scan.opened.filter(|h| h.number != number) {
            findings.push(
                Class::Files,
                Problem::at(
                    &path,
                    16,
                    format!("the header says journal {}", header.number),
                ),
            );
        }
        counts.journals += 1;
        progress.inc(fs::metadata(&path).map_or(0, |m| m.len()));
    }

    let mut refs = Vec::new();
    if let Some(path) = &snapshot_path {
        let start = progress.position();
        let mut records = HashMap::new();
        let mut live_bytes = 0;
        let scan = scan::snapshot(path, |offset, len, entry| {
            records.insert(offset, (len, snapshot::key_tag(&entry.key)));
            live_bytes += entry.size();
            if !overlay.shadows(&entry.key) {
                counts.entries += 1;
                refs.extend(blob_ref(&entry.key, &entry.value, path, offset));
            }
            progress.inc(len);
            Ok(())
        })?;
        progress.set_position(start + fs::metadata(path).map_or(0, |m| m.len()));
        let sound = scan.problems.is_empty();
        findings.extend(Class::Checksums, scan.problems);
        if let Some(snapshot) = scan.opened {
            if snapshot.header.generation != head.generation {
                findings.push(
                    Class::Files,
                    Problem::at(
                        path,
                        16,
                        format!(
                            "the header says generation {}, HEAD names {}",
                            snapshot.header.generation, head.generation
                        ),
                    ),
                );
            }
            if sound {
                check_index(&snapshot, &records, live_bytes, &mut findings)?;
            }
        }
    }
    for entry in overlay.entries() {
        counts.entries += 1;
        if let Some((path, offset)) = set_at.get(&entry.key) {
            refs.extend(blob_ref(&entry.key, &entry.value, path, *offset));
        }
    }

    let stored = blobs::check_all(&dir.blobs_path(), &|bytes| progress.inc(bytes))?;
    counts.blobs = stored.sound.len() as u64;
    findings.extend(Class::Checksums, stored.damaged);
    for blob_ref in refs {
        let path = blob::path_for(&dir.blobs_path(), &blob_ref.hash);
        let named = format!(
            "key {} names blob {}",
            key_label(&blob_ref.key),
            path.display()
        );
        let problem = match stored.sound.get(&blob_ref.hash) {
            Some(&len) if len == blob_ref.len => continue,
            Some(&len) => format!("{named} as {} bytes; it holds {len}", blob_ref.len),
            None if path.exists() => format!("{named}, which is damaged"),
            None => format!("{named}, which is missing"),
        };
        findings.push(
            Class::BlobReferences,
            Problem::at(&blob_ref.record, blob_ref.offset, problem),
        );
    }
    Ok(Checked {
        findings,
        counts,
        sound_blobs: Some(stored.sound),
    })
}

/// What a missing HEAD means. Creating a cache makes its directory, its first
/// journal and HEAD, so a cache without them lost its files, unless (when the
/// caller holds no lock) a writer is making them now or just has.
fn missing_head(dir: &CacheDir, locked: bool) -> Result<Option<Problem>> {
    if !dir.path().exists() {
        return Ok(Some(Problem::file(
            dir.path(),
            "the cache's directory is missing: its entries are lost",
        )));
    }
    if !locked && (writer_active(dir) || dir.head_path().exists()) {
        return Ok(None);
    }
    let what = match target::record_files(dir.path())?.is_empty() {
        true => "missing: every cache has one from its creation",
        false => "missing, but the cache holds snapshot or journal files",
    };
    Ok(Some(Problem::file(&dir.head_path(), what)))
}

/// Whether a writer holds the cache's write lock now. The probe opens the
/// lock file read-only and takes and drops a shared lock, changing nothing.
fn writer_active(dir: &CacheDir) -> bool {
    fsutil::open_regular(&dir.write_lock_path())
        .is_ok_and(|file| matches!(file.try_lock_shared(), Err(fs::TryLockError::WouldBlock)))
}

/// What is wrong with a cache's counters file, if it is there and damaged.
fn counters_damage(dir: &CacheDir) -> Option<Problem> {
    match counters::read(&counters::path(dir)) {
        Err(e) if !e.is_not_found() => Some(Problem::counters(e)),
        _ => None,
    }
}

/// The problem a torn journal tail is.
pub fn torn_tail(path: &Path, torn: &crate::local::journal::Torn) -> Problem {
    Problem::at(
        path,
        torn.offset,
        format!(
            "torn tail: {} bytes after the last whole append ({}{}); an interrupted write or damage to the last record",
            torn.bytes,
            torn.reason,
            torn.records_note()
        ),
    )
}

fn blob_ref(key: &[u8], value: &StoredValue, record: &Path, offset: u64) -> Option<BlobRef> {
    match value {
        StoredValue::Blob { hash, len } => Some(BlobRef {
            key: key.to_vec(),
            hash: *hash,
            len: *len,
            record: record.to_path_buf(),
            offset,
        }),
        StoredValue::Inline(_) => None,
    }
}

/// Checks every slot of a snapshot's table against the records, and the
/// header's counts against what the file holds.
fn check_index(
    snapshot: &Snapshot,
    records: &HashMap<u64, (u64, u32)>,
    live_bytes: u64,
    findings: &mut Findings,
) -> Result<()> {
    let path = &snapshot.path;
    let mut indexed = HashSet::new();
    let mut wrong = Vec::new();
    let table = snapshot.each_slot(|slot| {
        let what = match records.get(&slot.offset) {
            None => format!(
                "hash slot points to offset {}, where no record starts",
                slot.offset
            ),
            Some(&(len, _)) if len != u64::from(slot.frame_len) => format!(
                "hash slot says the record at {} is {} bytes; it is {len}",
                slot.offset, slot.frame_len
            ),
            Some(&(_, tag)) if tag != slot.tag => format!(
                "hash slot's tag does not match the key of the record at {}",
                slot.offset
            ),
            Some(_) if !indexed.insert(slot.offset) => {
                format!("a second hash slot for the record at {}", slot.offset)
            }
            Some(_) => return,
        };
        wrong.push(Problem::at(path, slot.at, what));
    })?;
    if !table.crc_matches {
        findings.push(
            Class::Checksums,
            Problem::at(
                path,
                snapshot.header.table_offset,
                "the hash table's checksum does not match",
            ),
        );
    }
    for (at, reason) in table.damaged {
        findings.push(Class::Checksums, Problem::at(path, at, reason));
    }
    findings.extend(Class::Index, wrong);
    let mut unindexed: Vec<u64> = records
        .keys()
        .filter(|offset| !indexed.contains(offset))
        .copied()
        .collect();
    unindexed.sort_unstable();
    for offset in unindexed {
        findings.push(
            Class::Index,
            Problem::at(
                path,
                offset,
                "no hash slot points to this record: lookups miss it",
            ),
        );
    }
    let header = &snapshot.header;
    if header.entry_count != records.len() as u64 {
        findings.push(
            Class::Index,
            Problem::at(
                path,
                32,
                format!(
                    "the header counts {} entries; the file holds {}",
                    header.entry_count,
                    records.len()
                ),
            ),
        );
    }
    if header.live_bytes != live_bytes {
        findings.push(
            Class::Index,
            Problem::at(
                path,
                40,
                format!(
                    "the header counts {} bytes of entries; the records hold {live_bytes}",
                    header.live_bytes
                ),
            ),
        );
    }
    Ok(())
}
