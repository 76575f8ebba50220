//! `repair`: rebuilds a damaged cache from what is intact, under the two locks
//! a sync takes, so concurrent readers and writers stay safe. Every readable
//! record is merged into a fresh snapshot generation (which rebuilds its hash
//! table), torn tails and damaged records are left behind, entries whose blob
//! is missing or damaged are dropped, and the damaged files are moved into the
//! cache's `quarantine/` folder instead of being deleted.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use crate::entry::{Entry, StoredValue};
use crate::error::Result;
use crate::local::cache::{CacheDir, Overlay};
use crate::local::fsutil::{self, LockGuard, Placement};
use crate::local::generation::Changing;
use crate::local::head::Head;
use crate::local::inspect::blobs;
use crate::local::inspect::problem::key_label;
use crate::local::inspect::scan;
use crate::local::inspect::target::{self, Numbered};
use crate::local::inspect::verify;
use crate::local::journal::{self, JournalHeader};
use crate::local::snapshot::{Snapshot, SnapshotWriter};
use crate::local::{blob, merge};
use crate::reporter::Progress;

/// The folder, inside a cache directory (or the store, for the manifest),
/// that damaged files are moved to.
pub const QUARANTINE: &str = "quarantine";

/// Repairs one cache and says what it did, one line per action; no lines
/// means the cache was sound and nothing changed.
pub fn repair_cache(dir: &CacheDir, now_ms: u64, progress: &dyn Progress) -> Result<Vec<String>> {
    let mut set_aside = set_aside_structure(dir)?;
    if dir.path().symlink_metadata().is_err() {
        dir.lay_out(now_ms)?;
        set_aside.push(format!(
            "{} was missing: its entries are lost; made it anew, empty",
            dir.path().display()
        ));
        return Ok(set_aside);
    }
    let _sync = LockGuard::acquire(&dir.sync_lock_path())?;
    let _write = Changing::acquire(&dir.write_lock_path())?;
    let checked = verify::verify_locked(dir, progress)?;
    if checked.findings.is_sound() {
        return Ok(set_aside);
    }
    let mut damaged: BTreeSet<PathBuf> = checked
        .findings
        .damaged_files(dir.path())
        .map(Path::to_path_buf)
        .collect();
    // The check stops short of the blobs when HEAD or its files are amiss.
    let sound_blobs = match checked.sound_blobs {
        Some(sound) => sound,
        None => {
            let stored = blobs::check_all(&dir.blobs_path(), &|bytes| progress.inc(bytes))?;
            damaged.extend(stored.damaged.into_iter().map(|problem| problem.path));
            stored.sound
        }
    };
    let mut rebuild = Rebuild {
        dir,
        actions: Vec::new(),
        overlay: Overlay::default(),
        next_seq: 1,
        sound_blobs,
        kept_blobs: Vec::new(),
        progress,
    };
    let (generation, last_journal) = rebuild.current_files()?;
    for number in generation..=last_journal {
        rebuild.replay_journal(&dir.journal_path(number))?;
    }
    let next = target::record_files(dir.path())?
        .into_iter()
        .map(|file| file.number)
        .max()
        .unwrap_or(last_journal)
        .max(last_journal)
        + 1;
    let entries = rebuild.write_snapshot(generation, next, now_ms)?;
    journal::create(
        &dir.journal_path(next),
        &JournalHeader::new(next, rebuild.next_seq, now_ms),
    )?;
    let mut actions = set_aside;
    actions.append(&mut rebuild.actions);
    let folder = dir.path().join(QUARANTINE);
    let head = dir.head_path();
    if damaged.contains(&head) {
        // A damaged HEAD file is copied, so a crash before the new one is in
        // place leaves it; anything else in its place cannot be replaced.
        let action = match fsutil::check_regular(&head) {
            Ok(()) => {
                let copy = fsutil::quarantine(&folder, &head, Placement::Copy)?;
                format!("copied the damaged HEAD to {}", copy.display())
            }
            Err(_) => {
                let moved = fsutil::quarantine(&folder, &head, Placement::Move)?;
                format!("moved {} to {}", head.display(), moved.display())
            }
        };
        actions.push(action);
    }
    dir.write_head(&Head {
        generation: next,
        last_journal: next,
        last_sync_ms: now_ms,
    })?;
    actions.push(format!(
        "rebuilt the cache as generation {next}; entries kept: {entries}"
    ));
    for path in damaged.iter().filter(|p| **p != head) {
        let moved = fsutil::quarantine(&folder, path, Placement::Move)?;
        actions.push(format!("moved {} to {}", path.display(), moved.display()));
    }
    merge::remove_replaced(dir, next);
    Ok(actions)
}

/// Moves aside what [`verify::structure_damage`] finds (a link in place of
/// the cache's directory or `caches/`, of its blobs or quarantine folder or of
/// a lock file; a damaged lock file), before any lock is taken: a lock file in
/// the way is replaced by a fresh one when the lock is next taken. A link goes
/// itself, into the cache's quarantine, or the store's when it stands for the
/// cache's directory, its quarantine or `caches/`; what it points to is never
/// touched.
fn set_aside_structure(dir: &CacheDir) -> Result<Vec<String>> {
    let mut actions = Vec::new();
    for problem in verify::structure_damage(dir) {
        let path = &problem.path;
        let own_folder = dir.path().join(QUARANTINE);
        let folder = match path.starts_with(dir.path()) && path != dir.path() && *path != own_folder
        {
            true => own_folder,
            false => store_folder(dir.path()).join(QUARANTINE),
        };
        let moved = fsutil::quarantine(&folder, path, Placement::Move)?;
        actions.push(format!(
            "moved {} ({}) to {}",
            path.display(),
            problem.what,
            moved.display()
        ));
    }
    Ok(actions)
}

/// The store (or volatile folder) holding `path`, a cache's directory or
/// `caches/` itself.
fn store_folder(path: &Path) -> &Path {
    let parent = path.parent().unwrap_or(path);
    match parent.file_name() == Some("caches".as_ref()) {
        true => parent.parent().unwrap_or(parent),
        false => parent,
    }
}

/// The state of a rebuild in progress.
struct Rebuild<'a> {
    dir: &'a CacheDir,
    actions: Vec<String>,
    /// The journals' changes, replayed.
    overlay: Overlay,
    next_seq: u64,
    /// The sound blob files by hash, with their lengths.
    sound_blobs: HashMap<[u8; 32], u64>,
    /// The blobs the new snapshot names, to be made durable first.
    kept_blobs: Vec<[u8; 32]>,
    /// Advances by the bytes of the files read.
    progress: &'a dyn Progress,
}

impl Rebuild<'_> {
    /// The snapshot generation and last journal to rebuild from: HEAD's, or
    /// when HEAD is missing or unreadable, the newest files present.
    fn current_files(&mut self) -> Result<(u64, u64)> {
        if let Ok(Some(head)) = scan::head(self.dir) {
            return Ok((head.generation, head.last_journal.max(head.generation)));
        }
        let files = target::record_files(self.dir.path())?;
        let newest = |kind: Numbered, from: u64| {
            files
                .iter()
                .filter(|file| file.kind == kind && file.number >= from)
                .map(|file| file.number)
                .max()
        };
        let generation = newest(Numbered::Snapshot, 0).unwrap_or(1);
        let last = newest(Numbered::Journal, generation).unwrap_or(generation);
        self.actions.push(format!(
            "HEAD is missing or unreadable: rebuilding from the newest files present (snapshot {generation}, journals {generation} to {last})"
        ));
        Ok((generation, last))
    }

    /// Replays every readable record of one journal.
    fn replay_journal(&mut self, path: &Path) -> Result<()> {
        if let Some(lost) = unreadable(path)? {
            self.actions
                .push(format!("{} {lost}: its changes are lost", path.display()));
            return Ok(());
        }
        let overlay = &mut self.overlay;
        let next_seq = &mut self.next_seq;
        let scan = scan::journal(path, |_, seq, op| {
            *next_seq = (*next_seq).max(seq + 1);
            overlay.apply(op);
            Ok(())
        })?;
        if let Some(header) = scan.opened {
            self.next_seq = self.next_seq.max(header.first_seq);
        }
        self.progress
            .inc(fs::metadata(path).map_or(0, |meta| meta.len()));
        for problem in scan.problems {
            self.actions
                .push(format!("left out a damaged record: {problem}"));
        }
        if let Some(torn) = scan.torn {
            self.actions.push(format!(
                "cut the torn tail of {} at offset {}: {} bytes ({}{})",
                path.display(),
                torn.offset,
                torn.bytes,
                torn.reason,
                torn.records_note()
            ));
        }
        Ok(())
    }

    /// Writes snapshot `next`: the readable entries of snapshot `generation`
    /// that no journal changed, then the journals' own, less those whose blob
    /// is missing or damaged. Returns the entry count.
    fn write_snapshot(&mut self, generation: u64, next: u64, now_ms: u64) -> Result<u64> {
        let old = self.dir.snapshot_path(generation);
        let invalid_before = match generation > 1 {
            true => Snapshot::open(&old).map_or(0, |s| s.header.invalid_before),
            false => 0,
        };
        let mut writer =
            SnapshotWriter::create(&self.dir.snapshot_path(next), next, now_ms, invalid_before)?;
        let mut kept = 0;
        let mut keep = |entry: Entry, this: &mut Kept<'_>| -> Result<()> {
            if this.keeps(&entry) {
                writer.add(&entry)?;
                kept += 1;
            }
            Ok(())
        };
        let mut this = Kept {
            dir: self.dir,
            blobs: &self.sound_blobs,
            actions: &mut self.actions,
            kept_blobs: &mut self.kept_blobs,
        };
        let (overlay, progress) = (&self.overlay, self.progress);
        let lost = match generation > 1 {
            true => unreadable(&old)?,
            false => None,
        };
        if let Some(lost) = lost {
            this.actions
                .push(format!("{} {lost}: its entries are lost", old.display()));
        } else if generation > 1 {
            let scan = scan::snapshot(&old, |_, len, entry| {
                progress.inc(len);
                match overlay.shadows(&entry.key) {
                    true => Ok(()),
                    false => keep(entry, &mut this),
                }
            })?;
            for problem in scan.problems {
                this.actions
                    .push(format!("left out damaged snapshot records: {problem}"));
            }
        }
        for entry in overlay.entries() {
            keep(entry.clone(), &mut this)?;
        }
        blob::make_durable(&self.dir.blobs_path(), self.kept_blobs.iter())?;
        writer.finish()?;
        Ok(kept)
    }
}

/// What deciding which entries to keep needs: the sound blobs, and where to
/// report drops and note the blobs kept.
struct Kept<'a> {
    dir: &'a CacheDir,
    blobs: &'a HashMap<[u8; 32], u64>,
    actions: &'a mut Vec<String>,
    kept_blobs: &'a mut Vec<[u8; 32]>,
}

impl Kept<'_> {
    /// Whether an entry's value is intact; an entry whose blob is not is
    /// dropped, and the drop reported.
    fn keeps(&mut self, entry: &Entry) -> bool {
        let StoredValue::Blob { hash, len } = &entry.value else {
            return true;
        };
        if self.blobs.get(hash) == Some(len) {
            self.kept_blobs.push(*hash);
            return true;
        }
        let path = blob::path_for(&self.dir.blobs_path(), hash);
        let state = if path.exists() { "damaged" } else { "missing" };
        self.actions.push(format!(
            "dropped key {}: its blob {} is {state}",
            key_label(&entry.key),
            path.display()
        ));
        false
    }
}

/// Why a record file cannot be read at all (it is missing, or not a regular
/// file), or `None` when it can.
fn unreadable(path: &Path) -> Result<Option<String>> {
    match fsutil::check_regular(path) {
        Ok(()) => Ok(None),
        Err(e) if e.is_not_found() => Ok(Some("is missing".into())),
        Err(crate::Error::Corrupt { reason, .. }) => Ok(Some(format!("is {reason}"))),
        Err(e) => Err(e),
    }
}
