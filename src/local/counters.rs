//! A cache's hit and miss counters and its lossy last-access table: one small file
//! that every `get` maps shared and bumps with atomic adds, so counting never
//! takes a lock. Counting is best-effort: a missing or damaged file never fails a
//! read; the next read replaces it and `stats` says when counting restarted.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::{MmapMut, MmapOptions};

use crate::entry::Entry;
use crate::error::{Error, IoContext, Result};
use crate::local::cache::CacheDir;
use crate::local::format::{self, FileKind};
use crate::local::frame::u64_at;
use crate::local::fsutil;
use crate::local::snapshot::key_hash;
use crate::local::temp::TempFile;
pub use crate::reports::{Origin, Tally};

/// The file's name in its cache directory.
pub const FILE_NAME: &str = "counters";
/// Older versions wrote fresh files as `counters.tmp.PID.N` (now they are
/// [`TempFile`]s); `gc` still sweeps what a killed one left.
pub const LEGACY_TEMP_PREFIX: &str = "counters.tmp";
/// Slots of the last-access table (128 KiB); a hit touches one page of it.
const SLOTS: u64 = 1 << 14;
/// The table starts on the second page, so the header's page stays apart.
const TABLE_OFFSET: usize = 4096;
const FILE_LEN: u64 = TABLE_OFFSET as u64 + SLOTS * 8;
/// Offsets of the atomic header fields, all 8-byte aligned.
const SINCE_AT: usize = 24;
const ORIGIN_AT: usize = 32;
const HITS_AT: usize = 40;
const MISSES_AT: usize = 48;
/// The low 48 bits of a table slot hold the access time in ms, the high 16 a key tag.
const TIME_BITS: u32 = 48;
const TIME_MASK: u64 = (1 << TIME_BITS) - 1;

impl Tally {
    /// The tally from the header's fields, each read by `field(offset)`.
    fn from_fields(field: impl Fn(usize) -> u64) -> Tally {
        Tally {
            hits: field(HITS_AT),
            misses: field(MISSES_AT),
            since_ms: field(SINCE_AT),
            origin: Origin::from_code(field(ORIGIN_AT)),
        }
    }
}

/// What a counters file holds, read (not mapped) for `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contents {
    pub tally: Tally,
    /// Slots of the last-access table some hit has stamped.
    pub stamped: u64,
    pub slots: u64,
}

/// Reads the counters file at `path` without mapping or changing it; a damaged
/// file (wrong length, magic, version or header checksum) is a corrupt error.
pub fn read(path: &Path) -> Result<Contents> {
    let bytes = fsutil::read(path)?;
    check_len(bytes.len() as u64, path)?;
    check_header(&bytes, path)?;
    let stamped = bytes[TABLE_OFFSET..]
        .chunks_exact(8)
        .filter(|slot| slot.iter().any(|&b| b != 0))
        .count() as u64;
    Ok(Contents {
        tally: Tally::from_fields(|at| u64_at(&bytes, at)),
        stamped,
        slots: SLOTS,
    })
}

/// A mapped counters file.
pub struct Counters {
    map: MmapMut,
}

pub fn path(dir: &CacheDir) -> PathBuf {
    dir.path().join(FILE_NAME)
}

impl Counters {
    /// The counters of a cache, or `None` when nothing was counted yet. A damaged
    /// file is an error naming it.
    pub fn open(dir: &CacheDir) -> Result<Option<Counters>> {
        let path = path(dir);
        match fsutil::open_rw(&path, false) {
            Ok((file, meta)) => Counters::map(&file, meta.len(), &path).map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The counters of a cache whose files exist, created (or, when damaged,
    /// replaced) as needed.
    pub fn open_or_create(dir: &CacheDir, now_ms: u64) -> Result<Counters> {
        match Counters::open(dir) {
            Ok(Some(counters)) => Ok(counters),
            Ok(None) => {
                Counters::install(dir, now_ms, Origin::Created)?;
                Counters::open(dir)?.ok_or_else(|| vanished(dir))
            }
            Err(Error::Corrupt { .. }) => {
                Counters::install(dir, now_ms, Origin::Recovered)?;
                Counters::open(dir)?.ok_or_else(|| vanished(dir))
            }
            Err(e) => Err(e),
        }
    }

    /// Writes a fresh file aside, then puts it in place: linked when none is
    /// there (so racing creators keep the first), renamed over a damaged one.
    fn install(dir: &CacheDir, now_ms: u64, origin: Origin) -> Result<()> {
        let path = path(dir);
        let mut tmp = TempFile::create_in(dir.path())?;
        write_fresh(&mut tmp, now_ms, origin)?;
        match origin {
            Origin::Recovered => tmp.persist(&path).map(drop),
            _ => tmp.link_unless_present(&path),
        }
    }

    fn map(file: &File, len: u64, path: &Path) -> Result<Counters> {
        check_len(len, path)?;
        // SAFETY: the file is only ever changed through atomic operations on
        // aligned words of this map, and never truncated while in place.
        let map = unsafe { MmapOptions::new().len(FILE_LEN as usize).map_mut(file) }.at(path)?;
        check_header(&map, path)?;
        Ok(Counters { map })
    }

    fn cell(&self, offset: usize) -> &AtomicU64 {
        debug_assert!(offset.is_multiple_of(8) && offset + 8 <= self.map.len());
        // SAFETY: the map is page-aligned and `offset` is a multiple of 8 inside
        // it, so this is an aligned, in-bounds u64 shared only through atomics.
        unsafe { &*(self.map.as_ptr().add(offset) as *const AtomicU64) }
    }

    fn slot(&self, hash: u64) -> &AtomicU64 {
        self.cell(TABLE_OFFSET + (hash % SLOTS) as usize * 8)
    }

    /// Counts one lookup; a hit also stamps the key's slot of the access table.
    pub fn record(&self, key: &[u8], hit: bool, now_ms: u64) {
        if hit {
            self.cell(HITS_AT).fetch_add(1, Ordering::Relaxed);
            let hash = key_hash(key);
            self.slot(hash)
                .store(tag(hash) | (now_ms & TIME_MASK), Ordering::Relaxed);
        } else {
            self.cell(MISSES_AT).fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn tally(&self) -> Tally {
        Tally::from_fields(|at| self.cell(at).load(Ordering::Relaxed))
    }

    /// Zeroes the hit and miss counts; the access table is kept.
    pub fn reset(&self, now_ms: u64) {
        self.cell(HITS_AT).store(0, Ordering::Relaxed);
        self.cell(MISSES_AT).store(0, Ordering::Relaxed);
        self.cell(SINCE_AT).store(now_ms, Ordering::Relaxed);
        self.cell(ORIGIN_AT)
            .store(Origin::Reset.code(), Ordering::Relaxed);
    }

    /// When an entry was last used, as far as the lossy table knows: its last
    /// recorded hit, or its creation when the slot holds another key (or none).
    pub fn last_used(&self, entry: &Entry) -> u64 {
        let hash = key_hash(&entry.key);
        let stamp = self.slot(hash).load(Ordering::Relaxed);
        match stamp & !TIME_MASK == tag(hash) {
            true => entry.created_ms.max(stamp & TIME_MASK),
            false => entry.created_ms,
        }
    }
}

/// Counts a lookup in a cache whose files exist. Best-effort: a counters file
/// that cannot be made or mapped leaves the read uncounted, never failed.
pub fn record_lookup(dir: &CacheDir, key: &[u8], hit: bool, now_ms: u64) {
    if let Ok(counters) = Counters::open_or_create(dir, now_ms) {
        counters.record(key, hit, now_ms);
    }
}

fn tag(hash: u64) -> u64 {
    hash & !TIME_MASK
}

fn vanished(dir: &CacheDir) -> Error {
    Error::corrupt(&path(dir), 0, "the counters file vanished as it was made")
}

/// The immutable part of the header: magic, version, slot count, and their CRC.
fn fixed_header() -> Vec<u8> {
    let mut out = Vec::with_capacity(20);
    FileKind::Counters.push_preamble(&mut out);
    out.extend_from_slice(&(SLOTS as u32).to_le_bytes());
    format::push_header_crc(&mut out);
    out
}

fn check_len(len: u64, path: &Path) -> Result<()> {
    match len {
        FILE_LEN => Ok(()),
        _ => Err(Error::corrupt(
            path,
            len,
            format!("counters file is {len} bytes, expected {FILE_LEN}"),
        )),
    }
}

/// Checks the header of a file already known to be [`FILE_LEN`] bytes long.
fn check_header(map: &[u8], path: &Path) -> Result<()> {
    let expected = fixed_header();
    FileKind::Counters.check_preamble(map, path)?;
    if map[..expected.len()] != expected[..] {
        return Err(Error::corrupt(
            path,
            12,
            "counters header checksum mismatch",
        ));
    }
    Ok(())
}

fn write_fresh(tmp: &mut TempFile, now_ms: u64, origin: Origin) -> Result<()> {
    let mut header = fixed_header();
    header.resize(SINCE_AT, 0);
    header.extend_from_slice(&now_ms.to_le_bytes());
    header.extend_from_slice(&origin.code().to_le_bytes());
    // Written out in full, never sparse: a hit must not need a new page of disk
    // (on a full file system that would be a SIGBUS, not an error).
    header.resize(FILE_LEN as usize, 0);
    let path = tmp.path().to_path_buf();
    tmp.file().write_all(&header).at(&path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn entry(key: &[u8], created_ms: u64) -> Entry {
        Entry {
            key: key.to_vec(),
            value: crate::entry::StoredValue::Inline(Vec::new()),
            created_ms,
            expires_ms: None,
            epoch: 0,
            stale: false,
        }
    }

    #[test]
    fn counts_and_stamps_then_resets() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheDir::new(dir.path().to_path_buf());
        let counters = Counters::open_or_create(&cache, 1_000).unwrap();
        counters.record(b"a", true, 5_000);
        counters.record(b"b", false, 5_000);
        let again = Counters::open_or_create(&cache, 2_000).unwrap();
        assert_eq!(
            again.tally(),
            Tally {
                hits: 1,
                misses: 1,
                since_ms: 1_000,
                origin: Origin::Created
            }
        );
        assert_eq!(again.last_used(&entry(b"a", 10)), 5_000);
        assert_eq!(again.last_used(&entry(b"b", 10)), 10);
        again.reset(3_000);
        let tally = counters.tally();
        assert_eq!(
            (tally.hits, tally.misses, tally.origin),
            (0, 0, Origin::Reset)
        );
    }

    #[test]
    fn reading_sees_what_the_map_counted_and_refuses_damage() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheDir::new(dir.path().to_path_buf());
        let counters = Counters::open_or_create(&cache, 1_000).unwrap();
        counters.record(b"a", true, 5_000);
        counters.record(b"b", true, 5_000);
        counters.record(b"c", false, 5_000);
        let contents = read(&path(&cache)).unwrap();
        assert_eq!(contents.tally, counters.tally());
        assert_eq!((contents.stamped, contents.slots), (2, SLOTS));
        let mut bytes = fs::read(path(&cache)).unwrap();
        bytes[13] ^= 1;
        fs::write(path(&cache), &bytes).unwrap();
        assert!(matches!(
            read(&path(&cache)),
            Err(Error::Corrupt { offset: 12, .. })
        ));
    }

    #[test]
    fn a_damaged_file_is_reported_then_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheDir::new(dir.path().to_path_buf());
        fs::write(path(&cache), b"garbage").unwrap();
        assert!(Counters::open(&cache).is_err());
        let counters = Counters::open_or_create(&cache, 7).unwrap();
        assert_eq!(counters.tally().origin, Origin::Recovered);
    }
}
