//! Reading a snapshot or a journal record by record without stopping at the
//! first damage: every readable record is handed on and every damaged stretch
//! described. `inspect`, `verify` and `repair` all read record files (and
//! HEAD) through here, and never open anything but a regular file.

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::entry::Entry;
use crate::error::{Error, IoContext, Result};
use crate::local::cache::CacheDir;
use crate::local::frame::{self, Parsed, u32_at};
use crate::local::fsutil;
use crate::local::head::Head;
use crate::local::inspect::problem::Problem;
use crate::local::journal::{self, JournalHeader, Torn};
use crate::local::record::{KeyedView, Op, OpView};
use crate::local::snapshot::{self, Snapshot};

/// What reading one file found besides its records.
pub struct FileScan<T> {
    /// The opened file (a snapshot) or its header (a journal), when readable.
    pub opened: Option<T>,
    /// Records read back whole.
    pub records: u64,
    /// Damage, with the file and offset of each.
    pub problems: Vec<Problem>,
    /// A journal's torn tail: an invalid frame with nothing valid after it.
    pub torn: Option<Torn>,
}

impl<T> FileScan<T> {
    fn new(opened: Option<T>) -> FileScan<T> {
        FileScan {
            opened,
            records: 0,
            problems: Vec::new(),
            torn: None,
        }
    }
}

/// A cache's HEAD, read only when it is a regular file (a FIFO in its place
/// would block the reader), or `None` when it is missing.
pub fn head(dir: &CacheDir) -> Result<Option<Head>> {
    match fsutil::check_regular(&dir.head_path()) {
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
        Ok(()) => dir.read_head(),
    }
}

/// Something other than a regular file where a record file should be, as the
/// scan of a file with no readable record; `None` for a regular file.
fn irregular<T>(path: &Path) -> Result<Option<FileScan<T>>> {
    match fsutil::check_regular(path) {
        Ok(()) => Ok(None),
        Err(e @ Error::Corrupt { .. }) => {
            let mut scan = FileScan::new(None);
            scan.problems.push(e.into());
            Ok(Some(scan))
        }
        Err(e) => Err(e),
    }
}

/// Reads every record of the snapshot at `path`, calling `each` with the
/// record's offset, its frame length and its entry.
pub fn snapshot(
    path: &Path,
    mut each: impl FnMut(u64, u64, Entry) -> Result<()>,
) -> Result<FileScan<Snapshot>> {
    if let Some(scan) = irregular(path)? {
        return Ok(scan);
    }
    let snapshot = match Snapshot::open(path) {
        Ok(snapshot) => snapshot,
        Err(e @ Error::Corrupt { .. }) => {
            let len = fs::metadata(path).at(path)?.len();
            let mut scan = FileScan::new(None);
            scan.problems.push(e.into());
            salvage_snapshot(path, snapshot::HEADER_LEN as u64, len, &mut scan, each)?;
            return Ok(scan);
        }
        Err(e) => return Err(e),
    };
    let mut scan = FileScan::new(None);
    let mut entries = snapshot.entries()?;
    loop {
        let at = entries.offset();
        match entries.next() {
            None => break,
            Some(Ok(entry)) => {
                each(at, entries.offset() - at, entry)?;
                scan.records += 1;
            }
            Some(Err(Error::Corrupt { .. })) => {
                let end = snapshot.header.table_offset;
                salvage_snapshot(path, at, end, &mut scan, each)?;
                break;
            }
            Some(Err(e)) => return Err(e),
        }
    }
    scan.opened = Some(snapshot);
    Ok(scan)
}

/// Reads the records between `from` and `end` of a damaged snapshot into memory
/// and hands on every one still readable.
fn salvage_snapshot(
    path: &Path,
    from: u64,
    end: u64,
    scan: &mut FileScan<Snapshot>,
    mut each: impl FnMut(u64, u64, Entry) -> Result<()>,
) -> Result<()> {
    if end <= from {
        return Ok(());
    }
    let mut buf = vec![0; (end - from) as usize];
    fsutil::open_regular(path)?
        .read_exact_at(&mut buf, from)
        .at(path)?;
    let mut undecodable = Vec::new();
    let mut records = 0;
    let salvaged = salvage(&buf, from, 0, |offset, len, body| {
        match KeyedView::parse(body).and_then(|view| view.entry()) {
            Ok(entry) => {
                records += 1;
                each(offset, len, entry)?
            }
            Err(reason) => undecodable.push(Problem::at(path, offset, reason)),
        }
        Ok(())
    })?;
    scan.records += records;
    scan.problems.extend(undecodable);
    for stretch in salvaged.damaged.iter().chain(&salvaged.tail) {
        scan.problems.push(Problem::at(
            path,
            stretch.offset,
            format!(
                "{}; {} bytes of records skipped",
                stretch.reason, stretch.bytes
            ),
        ));
    }
    Ok(())
}

/// Reads every record of the journal at `path`, calling `each` with the
/// record's offset, sequence number and operation. A damaged header still lets
/// the records be read: the salt it names is proved by the records it validates.
pub fn journal(
    path: &Path,
    mut each: impl FnMut(u64, u64, Op) -> Result<()>,
) -> Result<FileScan<JournalHeader>> {
    if let Some(scan) = irregular(path)? {
        return Ok(scan);
    }
    let bytes = fsutil::read(path)?;
    let mut scan = FileScan::new(None);
    match JournalHeader::decode(&bytes, path) {
        Ok(header) => scan.opened = Some(header),
        Err(e) => scan.problems.push(e.into()),
    }
    if bytes.len() < journal::HEADER_LEN {
        return Ok(scan);
    }
    let salt = scan
        .opened
        .map_or_else(|| salt_of_damaged(&bytes), |h| h.salt);
    let mut undecodable = Vec::new();
    let mut held = Held {
        records: Vec::new(),
        handed_on: 0,
        next_frame: journal::HEADER_LEN as u64,
    };
    let salvaged = salvage(
        &bytes[journal::HEADER_LEN..],
        journal::HEADER_LEN as u64,
        salt,
        |offset, len, body| {
            if offset != held.next_frame {
                // Damage was skipped: the records held before it are salvaged.
                held.hand_on(&mut each)?;
            }
            held.next_frame = offset + len;
            match OpView::parse(body).and_then(|view| Ok((view.seq, view.more_follow, view.op()?)))
            {
                Ok((seq, more_follow, op)) => {
                    held.records.push((offset, seq, op));
                    if !more_follow {
                        held.hand_on(&mut each)?;
                    }
                }
                Err(reason) => {
                    undecodable.push(Problem::at(path, offset, reason));
                    held.hand_on(&mut each)?;
                }
            }
            Ok(())
        },
    )?;
    let records = held.handed_on;
    scan.records = records;
    scan.problems.extend(undecodable);
    for stretch in &salvaged.damaged {
        scan.problems.push(Problem::at(
            path,
            stretch.offset,
            format!(
                "{}, and valid records follow: the journal is damaged, not torn ({} bytes skipped)",
                stretch.reason, stretch.bytes
            ),
        ));
    }
    scan.torn = match held.records.first() {
        Some(&(start, _, _)) => Some(Torn::append_cut_short(
            start,
            bytes.len() as u64,
            held.records.len() as u64,
        )),
        None => salvaged.tail,
    };
    Ok(scan)
}

/// The records of a multi-record append read so far, held back until its last
/// record shows it whole (or damage shows it cannot be).
struct Held {
    records: Vec<(u64, u64, Op)>,
    handed_on: u64,
    /// Where the frame after the last one read starts.
    next_frame: u64,
}

impl Held {
    fn hand_on(&mut self, each: &mut impl FnMut(u64, u64, Op) -> Result<()>) -> Result<()> {
        for (offset, seq, op) in self.records.drain(..) {
            self.handed_on += 1;
            each(offset, seq, op)?;
        }
        Ok(())
    }
}

/// The salt of a journal whose header failed its checksum: the one it names,
/// or when no record validates with that, the one a single flipped bit away
/// that does (a damaged salt would otherwise lose every record).
fn salt_of_damaged(bytes: &[u8]) -> u32 {
    let named = u32_at(bytes, 12);
    let validates = |salt: &u32| {
        matches!(
            frame::parse_salted(bytes, journal::HEADER_LEN, *salt),
            Parsed::Record { .. }
        )
    };
    std::iter::once(named)
        .chain((0..32).map(|bit| named ^ (1 << bit)))
        .find(validates)
        .unwrap_or(named)
}

/// The damaged stretches between readable frames, and the one that runs to the end.
struct Salvaged {
    damaged: Vec<Torn>,
    tail: Option<Torn>,
}

/// Walks the frames of `buf` (at file offset `base`), resuming after each
/// damaged stretch at the next valid frame; `found` gets each frame's offset,
/// length and body.
fn salvage(
    buf: &[u8],
    base: u64,
    salt: u32,
    mut found: impl FnMut(u64, u64, &[u8]) -> Result<()>,
) -> Result<Salvaged> {
    let mut salvaged = Salvaged {
        damaged: Vec::new(),
        tail: None,
    };
    let mut at = 0;
    loop {
        match frame::parse_salted(buf, at, salt) {
            Parsed::Record { body, end } => {
                found(base + at as u64, (end - at) as u64, body)?;
                at = end;
            }
            Parsed::End => return Ok(salvaged),
            Parsed::Torn(reason) => {
                let next = frame::next_valid_from(buf, at + 1, salt);
                let stretch = Torn {
                    offset: base + at as u64,
                    bytes: (next.unwrap_or(buf.len()) - at) as u64,
                    reason,
                    records: 0,
                };
                match next {
                    Some(next) => {
                        salvaged.damaged.push(stretch);
                        at = next;
                    }
                    None => {
                        salvaged.tail = Some(stretch);
                        return Ok(salvaged);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(bodies: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for body in bodies {
            frame::push_salted(9, body, &mut out);
        }
        out
    }

    fn bodies(buf: &[u8]) -> (Vec<Vec<u8>>, Salvaged) {
        let mut found = Vec::new();
        let salvaged = salvage(buf, 100, 9, |_, _, body| {
            found.push(body.to_vec());
            Ok(())
        })
        .unwrap();
        (found, salvaged)
    }

    #[test]
    fn reading_resumes_after_damage_and_stops_at_a_torn_tail() {
        let mut buf = framed(&[b"one", b"two", b"three"]);
        buf[frame::OVERHEAD + 3 + 9] ^= 1;
        buf.extend_from_slice(&[5, 0, 0]);
        let (found, salvaged) = bodies(&buf);
        assert_eq!(found, [b"one".to_vec(), b"three".to_vec()]);
        assert_eq!(salvaged.damaged.len(), 1);
        assert_eq!(
            salvaged.damaged[0].offset,
            100 + (frame::OVERHEAD + 3) as u64
        );
        assert_eq!(salvaged.damaged[0].bytes, (frame::OVERHEAD + 3) as u64);
        let tail = salvaged.tail.expect("the three stray bytes");
        assert_eq!((tail.offset, tail.bytes), (100 + buf.len() as u64 - 3, 3));
    }

    #[test]
    fn a_sound_stretch_has_no_damage() {
        let (found, salvaged) = bodies(&framed(&[b"a", b"", b"c"]));
        assert_eq!(found.len(), 3);
        assert!(salvaged.damaged.is_empty() && salvaged.tail.is_none());
    }

    /// A journal whose second append is a group of three records; the
    /// group's offset and the offset of its second record.
    fn journal_with_group(path: &Path) -> (u64, u64) {
        let (group, _) = journal::tests::journal_with_group(path);
        let bytes = fs::read(path).unwrap();
        let second = group + u64::from(u32_at(&bytes, group as usize)) + frame::OVERHEAD as u64;
        (group, second)
    }

    fn keys_read(path: &Path) -> (Vec<Vec<u8>>, FileScan<JournalHeader>) {
        let mut keys = Vec::new();
        let scan = journal(path, |_, _, op| {
            if let Op::Set(entry) = op {
                keys.push(entry.key);
            }
            Ok(())
        })
        .unwrap();
        (keys, scan)
    }

    #[test]
    fn an_append_cut_short_is_a_torn_tail_with_its_whole_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.1");
        let (group, second) = journal_with_group(&path);
        let bytes = fs::read(&path).unwrap();
        for cut in [second, second + 5] {
            fs::write(&path, &bytes[..cut as usize]).unwrap();
            let (keys, scan) = keys_read(&path);
            assert_eq!(keys, [b"a".to_vec()], "cut at {cut}");
            assert_eq!(scan.records, 1);
            assert!(scan.problems.is_empty(), "{:?}", scan.problems);
            let torn = scan.torn.expect("the cut append");
            assert_eq!((torn.offset, torn.bytes), (group, cut - group));
            assert_eq!(torn.records, 1);
        }
    }

    #[test]
    fn damage_inside_a_whole_append_loses_only_the_damaged_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.1");
        let (_, second) = journal_with_group(&path);
        let mut bytes = fs::read(&path).unwrap();
        bytes[second as usize + 9] ^= 1;
        fs::write(&path, &bytes).unwrap();
        let (keys, scan) = keys_read(&path);
        assert_eq!(keys, [b"a".to_vec(), b"b".to_vec()], "and the delete of a");
        assert_eq!(scan.problems.len(), 1);
        assert!(scan.torn.is_none());
    }
}
