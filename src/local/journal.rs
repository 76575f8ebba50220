//! Append-only journals of framed records. Writers append under the cache's write
//! lock and cut a torn tail first; readers replay a journal up to its first
//! invalid frame, which is where an unfinished append ends.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, IoContext, Result};
use crate::local::format::{self, FileKind, PREAMBLE_LEN};
use crate::local::frame::{self, Parsed, u32_at, u64_at};
use crate::local::fsutil;
use crate::local::record::{Op, OpKind, OpView, push_op};

/// Preamble, salt, number, first sequence number, creation time, CRC.
pub const HEADER_LEN: usize = PREAMBLE_LEN + 4 + 8 + 8 + 8 + 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalHeader {
    /// Random per journal; salts every record's checksum, so a frame copied from
    /// anywhere else never reads as one of this journal's records.
    pub salt: u32,
    pub number: u64,
    /// The sequence number the first record of this journal carries.
    pub first_seq: u64,
    pub created_ms: u64,
}

impl JournalHeader {
    /// A header with a fresh random salt.
    pub fn new(number: u64, first_seq: u64, created_ms: u64) -> JournalHeader {
        use std::hash::{BuildHasher, Hasher};
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        JournalHeader {
            salt: random as u32,
            number,
            first_seq,
            created_ms,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        FileKind::Journal.push_preamble(&mut out);
        out.extend_from_slice(&self.salt.to_le_bytes());
        out.extend_from_slice(&self.number.to_le_bytes());
        out.extend_from_slice(&self.first_seq.to_le_bytes());
        out.extend_from_slice(&self.created_ms.to_le_bytes());
        format::push_header_crc(&mut out);
        out
    }

    pub fn decode(buf: &[u8], path: &Path) -> Result<JournalHeader> {
        FileKind::Journal.check_preamble(buf, path)?;
        if buf.len() < HEADER_LEN {
            return Err(Error::corrupt(path, 0, "journal header is cut short"));
        }
        format::check_header_crc(&buf[..HEADER_LEN], path)?;
        Ok(JournalHeader {
            salt: u32_at(buf, 12),
            number: u64_at(buf, 16),
            first_seq: u64_at(buf, 24),
            created_ms: u64_at(buf, 32),
        })
    }
}

/// Creates an empty journal durably (temp, fsync, rename, fsync the directory).
pub fn create(path: &Path, header: &JournalHeader) -> Result<()> {
    fsutil::write_atomic(path, &header.encode())
}

/// Where a journal's valid records stop, when something follows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    pub offset: u64,
    pub bytes: u64,
    pub reason: &'static str,
    /// Whole records inside the torn stretch: the first ones of an append cut
    /// short before its last record, left out with it.
    pub records: u64,
}

/// The reason a torn stretch starts at whole records.
const APPEND_CUT_SHORT: &str = "an append of several records is cut short before its last record";

impl Torn {
    /// The torn stretch from `offset` to `end` that starts with the `records`
    /// whole records of an append cut short.
    pub fn append_cut_short(offset: u64, end: u64, records: u64) -> Torn {
        Torn {
            offset,
            bytes: end - offset,
            reason: APPEND_CUT_SHORT,
            records,
        }
    }

    /// For an append cut short, a note of the whole records left out with it
    /// (to follow the reason), else nothing.
    pub fn records_note(&self) -> String {
        match self.records {
            0 => String::new(),
            1 => "; its one whole record is left out with it".into(),
            n => format!("; its {n} whole records are left out with it"),
        }
    }
}

/// A whole journal in memory. Journals are kept short by compaction, so this
/// read is bounded.
pub struct JournalData {
    pub path: PathBuf,
    pub header: JournalHeader,
    bytes: Vec<u8>,
}

impl JournalData {
    pub fn read(path: &Path) -> Result<JournalData> {
        JournalData::from_bytes(path, fsutil::read(path)?)
    }

    /// A journal from bytes already in memory; `path` names it in errors.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<JournalData> {
        let header = JournalHeader::decode(&bytes, path)?;
        Ok(JournalData {
            path: path.to_path_buf(),
            header,
            bytes,
        })
    }

    /// The whole file, header included.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Every valid record in order, each with its offset, stopping at the first
    /// invalid frame.
    pub fn records(&self) -> Records<'_> {
        Records::over(
            &self.bytes[HEADER_LEN..],
            HEADER_LEN as u64,
            self.header.salt,
            &self.path,
        )
    }
}

/// Iterator over the valid records in a stretch of a journal; see
/// [`JournalData::records`]. The records of a multi-record append are handed
/// on only once its last record is found whole: an append cut short is a torn
/// tail from its first record on.
pub struct Records<'a> {
    bytes: &'a [u8],
    /// The file offset of `bytes[0]`.
    base: u64,
    salt: u32,
    path: &'a Path,
    at: usize,
    /// The end of the multi-record append being read: the frames before it
    /// are already checked.
    checked_to: usize,
    torn: Option<Torn>,
}

impl<'a> Records<'a> {
    /// The records in `bytes`, which start at file offset `base` on a record boundary.
    pub fn over(bytes: &'a [u8], base: u64, salt: u32, path: &'a Path) -> Records<'a> {
        Records {
            bytes,
            base,
            salt,
            path,
            at: 0,
            checked_to: 0,
            torn: None,
        }
    }

    /// After iteration: where and why the valid records stopped short of the end.
    pub fn torn(&self) -> Option<&Torn> {
        self.torn.as_ref()
    }

    /// The file offset reading has reached: after a whole iteration that
    /// found no torn tail, the end of the valid records.
    pub fn end(&self) -> u64 {
        self.base + self.at as u64
    }

    /// Ends the iteration at the invalid frame at `bad`, inside an append
    /// that started at `start` with `whole` records before `bad`: damage when a
    /// valid frame follows, else a torn tail from `start`.
    fn stop(
        &mut self,
        start: usize,
        bad: usize,
        whole: u64,
        reason: &'static str,
    ) -> Option<Result<(u64, OpView<'a>)>> {
        let len = self.bytes.len();
        self.at = len;
        if frame::any_valid_from(self.bytes, bad + 1, self.salt) {
            return Some(Err(Error::corrupt(
                self.path,
                self.base + bad as u64,
                format!("{reason}, and valid records follow: the journal is damaged, not torn"),
            )));
        }
        let (offset, end) = (self.base + start as u64, self.base + len as u64);
        self.torn = Some(match whole {
            0 => Torn {
                offset,
                bytes: end - offset,
                reason,
                records: 0,
            },
            _ => Torn::append_cut_short(offset, end, whole),
        });
        None
    }
}

/// How the multi-record append whose next record starts at `at` ends.
enum AppendEnd {
    /// Its last record ends here (or an undecodable record starts a frame
    /// ending here, which the reader reports when it gets there).
    Whole(usize),
    /// An invalid frame (or the end of the bytes) at `at`, after `whole` records.
    Cut {
        at: usize,
        whole: u64,
        reason: &'static str,
    },
}

fn append_end(bytes: &[u8], mut at: usize, salt: u32) -> AppendEnd {
    let mut whole = 1;
    loop {
        match frame::parse_salted(bytes, at, salt) {
            Parsed::Record { body, end } => match OpView::parse(body) {
                Ok(view) if view.more_follow => {
                    at = end;
                    whole += 1;
                }
                _ => return AppendEnd::Whole(end),
            },
            Parsed::End => {
                return AppendEnd::Cut {
                    at,
                    whole,
                    reason: APPEND_CUT_SHORT,
                };
            }
            Parsed::Torn(reason) => return AppendEnd::Cut { at, whole, reason },
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<(u64, OpView<'a>)>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.bytes;
        let offset = self.base + self.at as u64;
        let (body, end) = if self.at < self.checked_to {
            frame::checked_at(bytes, self.at)
        } else {
            match frame::parse_salted(bytes, self.at, self.salt) {
                Parsed::Record { body, end } => (body, end),
                Parsed::End => return None,
                Parsed::Torn(reason) => return self.stop(self.at, self.at, 0, reason),
            }
        };
        let view = match OpView::parse(body) {
            Ok(view) => view,
            Err(reason) => {
                self.at = end;
                return Some(Err(Error::corrupt(self.path, offset, reason)));
            }
        };
        if view.more_follow && end > self.checked_to {
            match append_end(bytes, end, self.salt) {
                AppendEnd::Whole(to) => self.checked_to = to,
                AppendEnd::Cut { at, whole, reason } => {
                    return self.stop(self.at, at, whole, reason);
                }
            }
        }
        self.at = end;
        Some(Ok((offset, view)))
    }
}

/// The journals this process checked or wrote last: keyed by (device, inode,
/// header CRC), the length and modification time the file had then, and the next
/// sequence number. A long-running writer (a batch, a library user) whose journal
/// nobody else touched since then skips the check; any other change to the file
/// (another writer, damage) means a full check.
static CHECKED: Mutex<BTreeMap<(u64, u64, u32), Checked>> = Mutex::new(BTreeMap::new());

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checked {
    len: u64,
    mtime: (i64, i64),
    next_seq: u64,
    sets: SetTotals,
}

/// The set records of a journal: how many, and the key and value bytes they
/// name (a blob's whole length), overwrites counted again.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SetTotals {
    pub records: u64,
    pub bytes: u64,
}

impl SetTotals {
    fn add(&mut self, size: u64) {
        self.records += 1;
        self.bytes = self.bytes.saturating_add(size);
    }
}

/// The sequence number of a journal's last record, found through its trailing
/// length with one read, or `None` when the journal is empty or its tail is not
/// a valid record ending an append. The autosync checks use it to count pending changes cheaply.
fn tail_seq(file: &File, len: u64, salt: u32, path: &Path) -> Result<Option<u64>> {
    let data_len = len.saturating_sub(HEADER_LEN as u64);
    if data_len < frame::OVERHEAD as u64 {
        return Ok(None);
    }
    let mut trailer = [0; 4];
    file.read_exact_at(&mut trailer, len - 4).at(path)?;
    let frame_len = u64::from(u32::from_le_bytes(trailer)) + frame::OVERHEAD as u64;
    if frame_len > data_len {
        return Ok(None);
    }
    let mut buf = vec![0; frame_len as usize];
    file.read_exact_at(&mut buf, len - frame_len).at(path)?;
    match frame::parse_salted(&buf, 0, salt) {
        Parsed::Record { body, end } if end == buf.len() => Ok(OpView::parse(body)
            .ok()
            .filter(|view| !view.more_follow)
            .map(|view| view.seq)),
        _ => Ok(None),
    }
}

/// The header of a journal and the sequence number its next record will carry,
/// read without a lock (a torn tail is skipped, not cut).
pub fn read_state(path: &Path) -> Result<(JournalHeader, u64)> {
    let (file, meta) = fsutil::open_read(path)?;
    let len = meta.len();
    let mut head = vec![0; HEADER_LEN.min(len as usize)];
    file.read_exact_at(&mut head, 0).at(path)?;
    let header = JournalHeader::decode(&head, path)?;
    if let Some(seq) = tail_seq(&file, len, header.salt, path)? {
        return Ok((header, seq + 1));
    }
    let mut next = header.first_seq;
    for record in JournalData::read(path)?.records() {
        next = record?.1.seq + 1;
    }
    Ok((header, next))
}

/// The active journal, open for appending under the write lock.
pub struct Appender {
    file: File,
    path: PathBuf,
    header: JournalHeader,
    /// This journal's key in [`CHECKED`].
    key: (u64, u64, u32),
    len: u64,
    next_seq: u64,
    sets: SetTotals,
}

impl Appender {
    /// Opens a journal for appending. Every record not yet checked by this
    /// process is checked first, so nothing is ever appended after damage (that
    /// is refused with the offset); a torn tail left by a killed writer is cut,
    /// and the cut returned to be reported. Journals are short, so a first check
    /// costs about what a reader's replay does.
    pub fn open(path: &Path) -> Result<(Appender, Option<Torn>)> {
        let (file, meta) = fsutil::open_rw(path, false)?;
        let len = meta.len();
        let mut head = vec![0; HEADER_LEN.min(len as usize)];
        file.read_exact_at(&mut head, 0).at(path)?;
        let header = JournalHeader::decode(&head, path)?;
        let key = (meta.dev(), meta.ino(), crc32fast::hash(&head));
        let mtime = (meta.mtime(), meta.mtime_nsec());
        let known = CHECKED
            .lock()
            .ok()
            .and_then(|checked| checked.get(&key).copied());
        let current = known.filter(|c| c.len == len && c.mtime == mtime);
        let (from, mut next_seq, mut sets) = match current {
            Some(c) => (len, c.next_seq, c.sets),
            None => (HEADER_LEN as u64, header.first_seq, SetTotals::default()),
        };
        let mut unchecked = vec![0; (len - from) as usize];
        file.read_exact_at(&mut unchecked, from).at(path)?;
        let mut records = Records::over(&unchecked, from, header.salt, path);
        for record in records.by_ref() {
            let (offset, view) = record?;
            next_seq = view.seq + 1;
            if view.kind == OpKind::Set {
                let size = view
                    .keyed
                    .size()
                    .map_err(|reason| Error::corrupt(path, offset, reason))?;
                sets.add(size);
            }
        }
        let torn = records.torn().cloned();
        let len = match &torn {
            Some(torn) => {
                file.set_len(torn.offset).at(path)?;
                file.sync_data().at(path)?;
                torn.offset
            }
            None => len,
        };
        let appender = Appender {
            file,
            path: path.to_path_buf(),
            header,
            key,
            len,
            next_seq,
            sets,
        };
        // A journal checked as it is needs no new note (nor the `fstat` for it).
        if current.is_none() || torn.is_some() {
            appender.remember();
        }
        Ok((appender, torn))
    }

    /// Notes that the journal as it is now is checked.
    fn remember(&self) {
        let Ok(meta) = self.file.metadata() else {
            return;
        };
        let now = Checked {
            len: self.len,
            mtime: (meta.mtime(), meta.mtime_nsec()),
            next_seq: self.next_seq,
            sets: self.sets,
        };
        if let Ok(mut checked) = CHECKED.lock() {
            checked.insert(self.key, now);
        }
    }

    /// Appends the operations as consecutive records in one write, every one
    /// but the last marked "more follow", so readers apply all of them or, if
    /// the write is cut short, none. On failure (a full disk, say) the journal
    /// is cut back to where it was.
    pub fn append(&mut self, ops: &[Op], durable: bool) -> Result<()> {
        self.append_unnoted(ops, durable)?;
        self.remember();
        Ok(())
    }

    /// [`Appender::append`] without noting the journal as checked (an
    /// `fstat`), for a writer that keeps it open and knows from the write
    /// lock's generation word that it is as it left it. The next opener in
    /// this process then checks the whole journal again.
    pub fn append_unnoted(&mut self, ops: &[Op], durable: bool) -> Result<()> {
        let mut buf = Vec::with_capacity(ops.iter().map(Op::size_hint).sum());
        for (i, op) in ops.iter().enumerate() {
            frame::push_salted_with(self.header.salt, &mut buf, |body| {
                push_op(self.next_seq + i as u64, op, i + 1 < ops.len(), body);
            });
        }
        let written = self.file.write_all_at(&buf, self.len).and_then(|()| {
            if durable {
                self.file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = written {
            let _ = self.file.set_len(self.len);
            return Err(e).at(&self.path);
        }
        self.len += buf.len() as u64;
        self.next_seq += ops.len() as u64;
        for op in ops {
            if let Op::Set(entry) = op {
                self.sets.add(entry.size());
            }
        }
        Ok(())
    }

    /// The set records in this journal.
    pub fn sets(&self) -> SetTotals {
        self.sets
    }

    /// Records in this journal.
    pub fn records(&self) -> u64 {
        self.next_seq.saturating_sub(self.header.first_seq)
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == HEADER_LEN as u64
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The next journal's header: the sequence continues, with a fresh salt.
    pub fn successor(&self, created_ms: u64) -> JournalHeader {
        JournalHeader::new(self.header.number + 1, self.next_seq, created_ms)
    }

    pub fn header(&self) -> &JournalHeader {
        &self.header
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::entry::{Entry, StoredValue};

    fn set(key: &str) -> Op {
        Op::Set(Entry {
            key: key.as_bytes().to_vec(),
            value: StoredValue::Inline(format!("value of {key}").into_bytes()),
            created_ms: 1,
            expires_ms: None,
            epoch: 0,
            stale: false,
        })
    }

    /// Writes a journal at `path` holding one single-record append (set `a`),
    /// then a three-record append (set `b`, set `c`, delete `a`); returns the
    /// length before the group and the whole length.
    pub(crate) fn journal_with_group(path: &Path) -> (u64, u64) {
        create(path, &JournalHeader::new(1, 1, 0)).unwrap();
        let (mut appender, cut) = Appender::open(path).unwrap();
        assert_eq!(cut, None);
        appender.append(&[set("a")], false).unwrap();
        let before = appender.len();
        appender
            .append(&[set("b"), set("c"), Op::Del(b"a".to_vec())], false)
            .unwrap();
        (before, appender.len())
    }

    /// A temporary directory with [`journal_with_group`]'s journal in it.
    fn fixture() -> (tempfile::TempDir, PathBuf, u64, u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.1");
        let (before, whole) = journal_with_group(&path);
        (dir, path, before, whole)
    }

    fn seqs(journal: &JournalData) -> Result<Vec<u64>> {
        journal
            .records()
            .map(|r| r.map(|(_, view)| view.seq))
            .collect()
    }

    #[test]
    fn a_single_record_append_carries_no_mark() {
        let (_dir, path, before, _) = fixture();
        let bytes = std::fs::read(&path).unwrap();
        let salt = u32_at(&bytes, PREAMBLE_LEN);
        let body_of = |at: usize| match frame::parse_salted(&bytes, at, salt) {
            Parsed::Record { body, .. } => body.to_vec(),
            other => panic!("{other:?}"),
        };
        assert_eq!(body_of(HEADER_LEN)[8], 1, "a plain set, as before groups");
        assert_eq!(body_of(before as usize)[8], 0x81, "a set, more follow");
    }

    #[test]
    fn an_append_cut_at_every_offset_reads_back_whole_or_not_at_all() {
        let (dir, path, before, whole) = fixture();
        let pristine = std::fs::read(&path).unwrap();
        for cut in before..=whole {
            let cut_path = dir.path().join(format!("cut.{cut}"));
            std::fs::write(&cut_path, &pristine[..cut as usize]).unwrap();
            let journal = JournalData::read(&cut_path).unwrap();
            let mut records = journal.records();
            let read: Vec<u64> = records.by_ref().map(|r| r.unwrap().1.seq).collect();
            let torn = records.torn().cloned();
            let next = read_state(&cut_path).unwrap().1;
            if cut == whole {
                assert_eq!(read, [1, 2, 3, 4]);
                assert_eq!((torn, next), (None, 5));
                continue;
            }
            assert_eq!(read, [1], "cut at {cut}: none of the group");
            assert_eq!(next, 2, "cut at {cut}: the group is not pending");
            match torn {
                None => assert_eq!(cut, before),
                Some(torn) => {
                    assert_eq!((torn.offset, torn.bytes), (before, cut - before));
                    assert!(torn.records <= 2, "cut at {cut}: {torn:?}");
                }
            }
            let (mut appender, cut_tail) = Appender::open(&cut_path).unwrap();
            assert_eq!(cut_tail.is_some(), cut > before, "cut at {cut}");
            assert_eq!(appender.len(), before);
            appender.append(&[set("e"), set("f")], false).unwrap();
            let after = JournalData::read(&cut_path).unwrap();
            assert_eq!(
                seqs(&after).unwrap(),
                [1, 2, 3],
                "cut at {cut}: later appends"
            );
        }
    }

    #[test]
    fn a_group_cut_at_a_record_boundary_says_how_many_records_it_leaves_out() {
        let (_dir, path, before, whole) = fixture();
        let pristine = std::fs::read(&path).unwrap();
        let last_len = u64::from(u32_at(&pristine, pristine.len() - 4)) + frame::OVERHEAD as u64;
        std::fs::write(&path, &pristine[..(whole - last_len) as usize]).unwrap();
        let journal = JournalData::read(&path).unwrap();
        let mut records = journal.records();
        assert_eq!(records.by_ref().count(), 1);
        let torn = records.torn().unwrap();
        assert_eq!((torn.offset, torn.records), (before, 2));
        assert_eq!(torn.reason, APPEND_CUT_SHORT);
    }

    #[test]
    fn damage_inside_a_group_with_records_after_it_is_refused() {
        let (_dir, path, before, _) = fixture();
        let mut bytes = std::fs::read(&path).unwrap();
        let first_len = u32_at(&bytes, before as usize) as usize + frame::OVERHEAD;
        bytes[before as usize + first_len + 9] ^= 0x40;
        let journal = JournalData::from_bytes(&path, bytes).unwrap();
        let error = seqs(&journal).unwrap_err().to_string();
        assert!(error.contains("damaged, not torn"), "{error}");
        assert!(
            error.contains(&format!("offset {}", before as usize + first_len)),
            "{error}"
        );
        assert!(Appender::open(&path).is_ok(), "the file itself is sound");
    }
}
