//! Immutable snapshots: a header, framed entry records, then an open-addressing
//! hash table in the style of cdb. A lookup reads the header, a few slots and one
//! record, whatever the snapshot's size.
//!
//! Slot layout (16 bytes): `tag u32 | frame_len u24 | check u8 | offset u64`, where
//! `check` is a CRC-8 of the other fifteen bytes; an empty slot is all zeros. So
//! every slot a lookup reads is checked, and no flipped bit turns into a wrong answer.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::entry::Entry;
use crate::error::{Error, IoContext, Result};
use crate::local::format::{self, FileKind, PREAMBLE_LEN};
use crate::local::frame::{self, Parsed, u32_at, u64_at};
use crate::local::fsutil;
use crate::local::record::{KeyedView, encode_entry};
use crate::local::temp::TempFile;

/// Preamble, flags, generation, created, entry count, live bytes, table offset,
/// slot count, invalidation floor, table CRC, header CRC.
pub const HEADER_LEN: usize = PREAMBLE_LEN + 4 + 8 * 7 + 4 + 4;
const SLOT_LEN: usize = 16;
/// Slots read per probe.
const PROBE_BATCH: u64 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotHeader {
    pub generation: u64,
    pub created_ms: u64,
    pub entry_count: u64,
    /// Key plus value bytes of every entry.
    pub live_bytes: u64,
    pub table_offset: u64,
    pub slot_count: u64,
    /// Entries from epochs before this were dropped when the snapshot was written.
    pub invalid_before: u64,
    pub table_crc: u32,
}

impl SnapshotHeader {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        FileKind::Snapshot.push_preamble(&mut out);
        out.extend_from_slice(&0u32.to_le_bytes());
        for field in [
            self.generation,
            self.created_ms,
            self.entry_count,
            self.live_bytes,
            self.table_offset,
            self.slot_count,
            self.invalid_before,
        ] {
            out.extend_from_slice(&field.to_le_bytes());
        }
        out.extend_from_slice(&self.table_crc.to_le_bytes());
        format::push_header_crc(&mut out);
        out
    }

    pub fn decode(buf: &[u8], path: &Path) -> Result<SnapshotHeader> {
        FileKind::Snapshot.check_preamble(buf, path)?;
        if buf.len() < HEADER_LEN {
            return Err(Error::corrupt(path, 0, "snapshot header is cut short"));
        }
        format::check_header_crc(&buf[..HEADER_LEN], path)?;
        let header = SnapshotHeader {
            generation: u64_at(buf, 16),
            created_ms: u64_at(buf, 24),
            entry_count: u64_at(buf, 32),
            live_bytes: u64_at(buf, 40),
            table_offset: u64_at(buf, 48),
            slot_count: u64_at(buf, 56),
            invalid_before: u64_at(buf, 64),
            table_crc: u32_at(buf, 72),
        };
        if !header.slot_count.is_power_of_two() || header.table_offset < HEADER_LEN as u64 {
            return Err(Error::corrupt(
                path,
                48,
                "hash table position or size is invalid",
            ));
        }
        Ok(header)
    }

    /// The table's length, or `None` when the slot count is absurd.
    pub fn table_len(&self) -> Option<u64> {
        self.slot_count.checked_mul(SLOT_LEN as u64)
    }
}

/// The stable 64-bit hash that places a key in the table.
pub fn key_hash(key: &[u8]) -> u64 {
    u64_at(blake3::hash(key).as_bytes(), 0)
}

fn tag_of(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// One hash-table slot; see the module docs for its layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    tag: u32,
    frame_len: u32,
    offset: u64,
}

impl Slot {
    fn encode(&self) -> [u8; SLOT_LEN] {
        let mut out = [0; SLOT_LEN];
        out[0..4].copy_from_slice(&self.tag.to_le_bytes());
        out[4..7].copy_from_slice(&self.frame_len.to_le_bytes()[..3]);
        out[8..16].copy_from_slice(&self.offset.to_le_bytes());
        out[7] = slot_check(&out);
        out
    }

    /// The slot, `None` for an empty one, or why its bytes are damaged.
    fn decode(bytes: &[u8]) -> Result<Option<Slot>, &'static str> {
        if slot_check(bytes) != bytes[7] {
            return Err("hash slot checksum does not match");
        }
        let slot = Slot {
            tag: u32_at(bytes, 0),
            frame_len: u32::from_le_bytes([bytes[4], bytes[5], bytes[6], 0]),
            offset: u64_at(bytes, 8),
        };
        match slot.offset {
            0 if bytes.iter().all(|&b| b == 0) => Ok(None),
            0 => Err("an empty hash slot holds data"),
            _ => Ok(Some(slot)),
        }
    }
}

/// CRC-8 (polynomial 0x07) of a slot's bytes other than the check byte itself.
/// Any CRC detects every single-bit error; eight bits are all a slot can spare.
fn slot_check(slot: &[u8]) -> u8 {
    slot.iter()
        .enumerate()
        .filter(|&(i, _)| i != 7)
        .fold(0u8, |mut crc, (_, &byte)| {
            crc ^= byte;
            for _ in 0..8 {
                crc = if crc & 0x80 != 0 {
                    (crc << 1) ^ 0x07
                } else {
                    crc << 1
                };
            }
            crc
        })
}

/// An open snapshot.
pub struct Snapshot {
    file: File,
    /// The whole file mapped, for a view that lasts (see [`Snapshot::mapped`]);
    /// otherwise lookups read it with `pread`.
    map: Option<Mmap>,
    pub path: PathBuf,
    pub header: SnapshotHeader,
}

impl Snapshot {
    pub fn open(path: &Path) -> Result<Snapshot> {
        let (file, meta) = fsutil::open_read(path)?;
        let mut buf = [0; HEADER_LEN];
        let file_len = meta.len();
        if file_len < HEADER_LEN as u64 {
            return Err(Error::corrupt(
                path,
                file_len,
                "snapshot is shorter than its header",
            ));
        }
        file.read_exact_at(&mut buf, 0).at(path)?;
        let header = SnapshotHeader::decode(&buf, path)?;
        let end = header
            .table_len()
            .and_then(|len| len.checked_add(header.table_offset));
        if end != Some(file_len) {
            return Err(Error::corrupt(
                path,
                file_len,
                format!(
                    "file is {file_len} bytes but its header places the end at {}",
                    end.map_or("an impossible offset".to_string(), |end| end.to_string())
                ),
            ));
        }
        Ok(Snapshot {
            file,
            map: None,
            path: path.to_path_buf(),
            header,
        })
    }

    /// This snapshot with its file mapped, so lookups make no system call: for
    /// a view kept across many operations. Snapshots are immutable and only
    /// ever replaced whole (a new generation), never cut in place.
    pub fn mapped(mut self) -> Result<Snapshot> {
        // SAFETY: a snapshot file is written aside and renamed in place, and
        // never changed or truncated after; deleting it leaves the map valid.
        let map = unsafe { Mmap::map(&self.file) }.at(&self.path)?;
        self.map = Some(map);
        Ok(self)
    }

    /// Fills `buf` from offset `at`: from the map when there is one.
    fn read_at(&self, buf: &mut [u8], at: u64) -> Result<()> {
        let Some(map) = &self.map else {
            return self.file.read_exact_at(buf, at).at(&self.path);
        };
        let bytes = usize::try_from(at)
            .ok()
            .and_then(|at| map.get(at..at.checked_add(buf.len())?))
            .ok_or_else(|| Error::corrupt(&self.path, at, "a read past the end of the file"))?;
        buf.copy_from_slice(bytes);
        Ok(())
    }

    /// Looks a key up by probing the hash table.
    pub fn lookup(&self, key: &[u8]) -> Result<Option<Entry>> {
        let hash = key_hash(key);
        let slots = self.header.slot_count;
        let mut index = hash & (slots - 1);
        let mut probed = 0;
        let mut batch = [0u8; SLOT_LEN * PROBE_BATCH as usize];
        while probed < slots {
            let count = PROBE_BATCH.min(slots - index).min(slots - probed);
            let buf = &mut batch[..count as usize * SLOT_LEN];
            let at = self.header.table_offset + index * SLOT_LEN as u64;
            self.read_at(buf, at)?;
            for (i, bytes) in buf.chunks_exact(SLOT_LEN).enumerate() {
                let slot_at = at + (i * SLOT_LEN) as u64;
                let slot = Slot::decode(bytes)
                    .map_err(|reason| Error::corrupt(&self.path, slot_at, reason))?;
                let Some(slot) = slot else {
                    return Ok(None);
                };
                if slot.tag == tag_of(hash) {
                    let entry = self.read_entry(slot.offset, slot.frame_len)?;
                    if entry.key == key {
                        return Ok(Some(entry));
                    }
                }
            }
            probed += count;
            index = (index + count) & (slots - 1);
        }
        Ok(None)
    }

    fn read_entry(&self, offset: u64, frame_len: u32) -> Result<Entry> {
        let end = offset.checked_add(u64::from(frame_len));
        if offset < HEADER_LEN as u64 || end.is_none_or(|end| end > self.header.table_offset) {
            return Err(Error::corrupt(
                &self.path,
                offset,
                "hash slot points outside the records",
            ));
        }
        let mut buf = vec![0; frame_len as usize];
        self.read_at(&mut buf, offset)?;
        let corrupt = |reason: &str| Error::corrupt(&self.path, offset, reason);
        match frame::parse(&buf, 0) {
            Parsed::Record { body, end } if end == buf.len() => KeyedView::parse(body)
                .and_then(|view| view.entry())
                .map_err(|r| corrupt(&r)),
            Parsed::Record { .. } => Err(corrupt("record length does not match its hash slot")),
            Parsed::End => Err(corrupt("empty record")),
            Parsed::Torn(reason) => Err(corrupt(reason)),
        }
    }

    /// Walks the hash table in bounded chunks, calling `f` with every used
    /// slot, and says whether the table's checksum matches and which slots are
    /// damaged. `verify` uses it to check every slot against the records.
    pub fn each_slot(&self, mut f: impl FnMut(UsedSlot)) -> Result<TableCheck> {
        let mut crc = crc32fast::Hasher::new();
        let mut damaged = Vec::new();
        let table_len = self.header.table_len().unwrap_or(0);
        let mut chunk = vec![0; SLOT_LEN * 4096];
        let mut done = 0;
        while done < table_len {
            let n = (chunk.len() as u64).min(table_len - done) as usize;
            let at = self.header.table_offset + done;
            self.file
                .read_exact_at(&mut chunk[..n], at)
                .at(&self.path)?;
            crc.update(&chunk[..n]);
            for (i, bytes) in chunk[..n].chunks_exact(SLOT_LEN).enumerate() {
                let slot_at = at + (i * SLOT_LEN) as u64;
                match Slot::decode(bytes) {
                    Ok(Some(slot)) => f(UsedSlot {
                        at: slot_at,
                        tag: slot.tag,
                        frame_len: slot.frame_len,
                        offset: slot.offset,
                    }),
                    Ok(None) => {}
                    Err(reason) => damaged.push((slot_at, reason)),
                }
            }
            done += n as u64;
        }
        Ok(TableCheck {
            crc_matches: crc.finalize() == self.header.table_crc,
            damaged,
        })
    }

    /// Every entry in file order, read sequentially.
    pub fn entries(&self) -> Result<Entries> {
        let file = self.file.try_clone().at(&self.path)?;
        let region = self.header.table_offset - HEADER_LEN as u64;
        let mut reader = BufReader::with_capacity(256 << 10, file);
        std::io::Seek::seek(&mut reader, std::io::SeekFrom::Start(HEADER_LEN as u64))
            .at(&self.path)?;
        Ok(Entries {
            reader: reader.take(region),
            path: self.path.clone(),
            offset: HEADER_LEN as u64,
            end: self.header.table_offset,
            buf: Vec::new(),
        })
    }
}

/// A used hash-table slot: where it is, and the record it points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsedSlot {
    pub at: u64,
    pub tag: u32,
    pub frame_len: u32,
    pub offset: u64,
}

/// What [`Snapshot::each_slot`] found wrong with the table itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCheck {
    pub crc_matches: bool,
    /// Offsets of slots whose check byte does not match, and why.
    pub damaged: Vec<(u64, &'static str)>,
}

/// The tag a key's slot carries.
pub fn key_tag(key: &[u8]) -> u32 {
    tag_of(key_hash(key))
}

/// Sequential iterator over a snapshot's entries.
pub struct Entries {
    reader: std::io::Take<BufReader<File>>,
    path: PathBuf,
    offset: u64,
    end: u64,
    buf: Vec<u8>,
}

impl Entries {
    /// The file offset of the next record.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn next_entry(&mut self) -> Result<Entry> {
        let at = self.offset;
        let corrupt = |reason: &str| Error::corrupt(&self.path, at, reason);
        let mut len = [0; 4];
        self.reader
            .read_exact(&mut len)
            .map_err(|_| corrupt("record is cut short"))?;
        let body_len = u32::from_le_bytes(len) as usize;
        if body_len > frame::MAX_BODY {
            return Err(corrupt("a frame length is implausibly large"));
        }
        self.buf.clear();
        self.buf.extend_from_slice(&len);
        self.buf.resize(body_len + frame::OVERHEAD, 0);
        self.reader
            .read_exact(&mut self.buf[4..])
            .map_err(|_| corrupt("record is cut short"))?;
        let entry = match frame::parse(&self.buf, 0) {
            Parsed::Record { body, .. } => KeyedView::parse(body).and_then(|v| v.entry()),
            Parsed::End => Err("empty record".into()),
            Parsed::Torn(reason) => Err(reason.into()),
        }
        .map_err(|r| corrupt(&r))?;
        self.offset += self.buf.len() as u64;
        Ok(entry)
    }
}

impl Iterator for Entries {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        if self.offset >= self.end {
            return None;
        }
        let next = self.next_entry();
        if next.is_err() {
            self.offset = self.end;
        }
        Some(next)
    }
}

/// Writes a new snapshot to a temporary file and renames it into place when done.
pub struct SnapshotWriter {
    out: BufWriter<File>,
    /// The temporary file `out` writes to (deleted when dropped unplaced).
    temp: TempFile,
    tmp: PathBuf,
    path: PathBuf,
    generation: u64,
    created_ms: u64,
    invalid_before: u64,
    offset: u64,
    live_bytes: u64,
    /// `(hash, frame_len, offset)` of every record, for the table.
    placed: Vec<(u64, u32, u64)>,
}

impl SnapshotWriter {
    pub fn create(
        path: &Path,
        generation: u64,
        created_ms: u64,
        invalid_before: u64,
    ) -> Result<SnapshotWriter> {
        let (dir, _) = fsutil::split(path);
        let mut temp = TempFile::create_in(dir)?;
        let tmp = temp.path().to_path_buf();
        let file = temp.file().try_clone().at(&tmp)?;
        let mut out = BufWriter::with_capacity(256 << 10, file);
        out.write_all(&[0; HEADER_LEN]).at(&tmp)?;
        Ok(SnapshotWriter {
            out,
            temp,
            tmp,
            path: path.to_path_buf(),
            generation,
            created_ms,
            invalid_before,
            offset: HEADER_LEN as u64,
            live_bytes: 0,
            placed: Vec::new(),
        })
    }

    pub fn add(&mut self, entry: &Entry) -> Result<()> {
        let mut framed = Vec::new();
        frame::push(&encode_entry(entry), &mut framed);
        self.out.write_all(&framed).at(&self.tmp)?;
        let frame_len =
            u32::try_from(framed.len()).expect("records are bounded by frame::MAX_BODY");
        self.placed
            .push((key_hash(&entry.key), frame_len, self.offset));
        self.offset += framed.len() as u64;
        self.live_bytes += entry.size();
        Ok(())
    }

    /// Writes the table and header, fsyncs, and renames the file into place.
    /// Dropped before this (or failing in it), the temporary file goes.
    pub fn finish(mut self) -> Result<SnapshotHeader> {
        let slot_count = (self.placed.len() as u64 * 2).next_power_of_two().max(8);
        let mut table = vec![0u8; (slot_count as usize) * SLOT_LEN];
        for &(hash, frame_len, offset) in &self.placed {
            let mut index = hash & (slot_count - 1);
            while table[index as usize * SLOT_LEN..][..SLOT_LEN] != [0; SLOT_LEN] {
                index = (index + 1) & (slot_count - 1);
            }
            let slot = Slot {
                tag: tag_of(hash),
                frame_len,
                offset,
            };
            table[index as usize * SLOT_LEN..][..SLOT_LEN].copy_from_slice(&slot.encode());
        }
        self.out.write_all(&table).at(&self.tmp)?;
        let header = SnapshotHeader {
            generation: self.generation,
            created_ms: self.created_ms,
            entry_count: self.placed.len() as u64,
            live_bytes: self.live_bytes,
            table_offset: self.offset,
            slot_count,
            invalid_before: self.invalid_before,
            table_crc: crc32fast::hash(&table),
        };
        let file = self
            .out
            .into_inner()
            .map_err(|e| e.into_error())
            .at(&self.tmp)?;
        file.write_all_at(&header.encode(), 0).at(&self.tmp)?;
        file.sync_all().at(&self.tmp)?;
        self.temp.persist(&self.path)?.sync()?;
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::StoredValue;
    use std::fs;

    fn entry(i: u32) -> Entry {
        Entry {
            key: format!("key-{i}").into_bytes(),
            value: StoredValue::Inline(format!("value {i}").into_bytes()),
            created_ms: 1,
            expires_ms: None,
            epoch: 0,
            stale: false,
        }
    }

    fn write(dir: &Path, count: u32) -> PathBuf {
        let path = dir.join("snap.2");
        let mut writer = SnapshotWriter::create(&path, 2, 5, 0).unwrap();
        for i in 0..count {
            writer.add(&entry(i)).unwrap();
        }
        writer.finish().unwrap();
        path
    }

    #[test]
    fn finds_every_key_and_misses_others() {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = Snapshot::open(&write(dir.path(), 1000)).unwrap();
        assert_eq!(snapshot.header.entry_count, 1000);
        for i in 0..1000 {
            assert_eq!(snapshot.lookup(&entry(i).key).unwrap(), Some(entry(i)));
        }
        assert_eq!(snapshot.lookup(b"key-1000").unwrap(), None);
        let all: Vec<Entry> = snapshot.entries().unwrap().map(Result::unwrap).collect();
        assert_eq!(all.len(), 1000);
    }

    #[test]
    fn slots_round_trip_and_every_flip_is_caught() {
        let slot = Slot {
            tag: 0xdead_beef,
            frame_len: 0x00ab_cdef,
            offset: 1234,
        };
        let bytes = slot.encode();
        assert_eq!(Slot::decode(&bytes), Ok(Some(slot)));
        assert_eq!(Slot::decode(&[0; SLOT_LEN]), Ok(None));
        for original in [bytes, [0; SLOT_LEN]] {
            for bit in 0..SLOT_LEN * 8 {
                let mut flipped = original;
                flipped[bit / 8] ^= 1 << (bit % 8);
                assert!(Slot::decode(&flipped).is_err(), "bit {bit} of {original:?}");
            }
        }
    }

    /// Flip every bit of a small snapshot: a lookup either fails loudly or still
    /// gives the right answer; it never returns a wrong value or a false miss.
    #[test]
    fn no_single_bit_flip_gives_a_wrong_answer() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), 4);
        let pristine = fs::read(&path).unwrap();
        for bit in 0..pristine.len() * 8 {
            let mut damaged = pristine.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            fs::write(&path, &damaged).unwrap();
            let Ok(snapshot) = Snapshot::open(&path) else {
                continue;
            };
            for i in 0..5 {
                match snapshot.lookup(&entry(i).key) {
                    Err(_) => {}
                    Ok(found) => assert_eq!(found, (i < 4).then(|| entry(i)), "bit {bit}, key {i}"),
                }
            }
        }
    }

    #[test]
    fn every_truncation_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), 10);
        let pristine = fs::read(&path).unwrap();
        for len in 0..pristine.len() {
            fs::write(&path, &pristine[..len]).unwrap();
            assert!(Snapshot::open(&path).is_err(), "truncated to {len} bytes");
        }
    }
}
