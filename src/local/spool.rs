//! An import's staging area: every entry, checked, in an unnamed file in the
//! store's private `tmp` folder, so an input of any size is held in bounded
//! memory and nothing is written to the cache until all of it is valid. Only
//! a sorted index of key hashes (about 17 bytes an entry) stays in memory.
//! The file is a [`Scratch::spill`], as a batch command's large output is.
//!
//! A record is `key_len u32 | key | created_ms u64 | expires_ms u64 | flags u8`
//! then the value as chunks `len u32 | bytes`, ended by an empty chunk.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::entry::StoredValue;
use crate::error::{IoContext, Result, Stream};
use crate::local::snapshot::key_hash;
use crate::local::{INLINE_MAX, blob};
use crate::scratch::{MadeDirs, Scratch, Spill};
use crate::store::Portable;

const HAS_EXPIRY: u8 = 1;
const STALE: u8 = 2;
/// The longest chunk a value is cut into.
const CHUNK: usize = 64 << 10;
/// What a journal record costs beyond its key and inline value, about.
const RECORD_OVERHEAD: u64 = 48;
/// What a record naming a blob holds instead of the value.
const BLOB_REFERENCE: u64 = 40;

/// Entries being staged for an import.
pub struct ImportSpool {
    out: BufWriter<File>,
    len: u64,
    /// `(key hash, record offset)` of every record.
    keys: Vec<(u64, u64)>,
    /// What the records would take in a journal, about.
    journal_bytes: u64,
    /// The first error writing the spool itself.
    failed: Option<io::Error>,
    made: MadeDirs,
}

impl ImportSpool {
    /// A new spool in `store_root`'s private `tmp` folder.
    pub fn create(store_root: &Path) -> Result<ImportSpool> {
        let Spill { file, made } = Scratch::at(store_root).spill()?;
        Ok(ImportSpool {
            out: BufWriter::with_capacity(CHUNK, file),
            len: 0,
            keys: Vec::new(),
            journal_bytes: 0,
            failed: None,
            made,
        })
    }

    /// Adds an entry whose value `value` writes into the writer it is handed.
    /// An error writing the spool wins over the one `value` returns for it.
    pub fn push(
        &mut self,
        entry: Portable<()>,
        value: impl FnOnce(&mut dyn Write) -> Result<()>,
    ) -> Result<()> {
        let offset = self.len;
        let mut head = Vec::with_capacity(entry.key.len() + 21);
        head.extend_from_slice(&(entry.key.len() as u32).to_le_bytes());
        head.extend_from_slice(&entry.key);
        head.extend_from_slice(&entry.created_ms.to_le_bytes());
        head.extend_from_slice(&entry.expires_ms.unwrap_or(0).to_le_bytes());
        let flags = match entry.expires_ms {
            Some(_) => HAS_EXPIRY,
            None => 0,
        } | if entry.stale { STALE } else { 0 };
        head.push(flags);
        self.write(&head)?;
        let mut chunks = Chunks {
            spool: self,
            value_len: 0,
        };
        let written = value(&mut chunks);
        let value_len = chunks.value_len;
        if let Some(e) = self.failed.take() {
            return Err(e).on(Stream::ImportSpool);
        }
        written?;
        self.write(&0u32.to_le_bytes())?;
        self.keys.push((key_hash(&entry.key), offset));
        let stored = match value_len <= INLINE_MAX as u64 {
            true => value_len,
            false => BLOB_REFERENCE,
        };
        self.journal_bytes += RECORD_OVERHEAD + entry.key.len() as u64 + stored;
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).on(Stream::ImportSpool)?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// The spool, ready to be read back: each key's last record is the one
    /// that counts.
    pub fn finish(self) -> Result<Import> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| e.into_error())
            .on(Stream::ImportSpool)?;
        let records = self.keys.len() as u64;
        let mut keys = self.keys;
        keys.sort_unstable();
        let mut import = Import {
            file,
            winners: Vec::new(),
            losers: Vec::new(),
            directory: Directory::of(&[]),
            records,
            journal_bytes: self.journal_bytes,
            _made: self.made,
        };
        import.sort_out(keys)?;
        Ok(import)
    }
}

/// The writer a value is streamed into: it frames what it is given as chunks.
struct Chunks<'a> {
    spool: &'a mut ImportSpool,
    value_len: u64,
}

impl Write for Chunks<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let piece = &buf[..buf.len().min(CHUNK)];
        if piece.is_empty() {
            return Ok(0);
        }
        let out = &mut self.spool.out;
        let written = out
            .write_all(&(piece.len() as u32).to_le_bytes())
            .and_then(|()| out.write_all(piece));
        if let Err(e) = written {
            let kind = e.kind();
            self.spool.failed.get_or_insert(e);
            return Err(io::Error::new(kind, "the import spool cannot be written"));
        }
        self.spool.len += 4 + piece.len() as u64;
        self.value_len += piece.len() as u64;
        Ok(piece.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A staged import, whole and checked.
pub struct Import {
    file: File,
    /// `(key hash, record offset)` of the last record of each key, sorted.
    winners: Vec<(u64, u64)>,
    /// The offsets of the records a later one with the same key replaces, sorted.
    losers: Vec<u64>,
    directory: Directory,
    records: u64,
    journal_bytes: u64,
    _made: MadeDirs,
}

/// Where in the sorted winners each run of hashes sharing their top bits
/// starts: about eight winners a run, so a lookup reads one slot here and a
/// cache line or two there, where a binary search would miss the cache at
/// every step. It costs about a byte a winner.
struct Directory {
    bits: u32,
    /// `starts[b]` is the first winner in run `b` or after; one more at the end.
    starts: Vec<usize>,
}

impl Directory {
    fn of(winners: &[(u64, u64)]) -> Directory {
        let bits = (winners.len() / 8).max(1).ilog2().min(24);
        let mut directory = Directory {
            bits,
            starts: Vec::with_capacity((1 << bits) + 1),
        };
        let mut at = 0;
        for bucket in 0..1usize << bits {
            while at < winners.len() && directory.bucket(winners[at].0) < bucket {
                at += 1;
            }
            directory.starts.push(at);
        }
        directory.starts.push(winners.len());
        directory
    }

    /// The run `hash` belongs to: its top `bits` bits.
    fn bucket(&self, hash: u64) -> usize {
        hash.checked_shr(64 - self.bits).unwrap_or(0) as usize
    }
}

impl Import {
    /// Entries in the input.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Distinct keys.
    pub fn keys(&self) -> u64 {
        self.winners.len() as u64
    }

    /// Whether one journal append of it keeps the journal within the bound
    /// readers replay cheaply (see `cache::COMPACT_BYTES`).
    pub fn fits_a_journal(&self, records: u64, bytes: u64) -> bool {
        self.records <= records && self.journal_bytes <= bytes
    }

    /// Of the sorted `(hash, offset)` of every record, those of the last
    /// record of each key, in place. Keys sharing a hash are told apart by
    /// reading them. They become the winners; the other records, the losers.
    fn sort_out(&mut self, mut keys: Vec<(u64, u64)>) -> Result<()> {
        let (mut kept, mut run_start) = (0, 0);
        let mut losers = Vec::new();
        for i in 0..keys.len() {
            let (hash, offset) = keys[i];
            if kept == 0 || keys[kept - 1].0 != hash {
                run_start = kept;
            } else {
                let key = self.key_at(offset)?;
                let mut same = None;
                for (at, &(_, other)) in keys[run_start..kept].iter().enumerate() {
                    if self.key_at(other)? == key {
                        same = Some(run_start + at);
                    }
                }
                if let Some(at) = same {
                    losers.push(keys[at].1);
                    keys[at].1 = offset;
                    continue;
                }
            }
            keys[kept] = (hash, offset);
            kept += 1;
        }
        keys.truncate(kept);
        keys.sort_unstable();
        keys.shrink_to_fit();
        losers.sort_unstable();
        self.directory = Directory::of(&keys);
        self.winners = keys;
        self.losers = losers;
        Ok(())
    }

    /// The key of the record at `offset`.
    fn key_at(&self, offset: u64) -> Result<Vec<u8>> {
        let mut len = [0; 4];
        self.file
            .read_exact_at(&mut len, offset)
            .on(Stream::ImportSpool)?;
        let mut key = vec![0; u32::from_le_bytes(len) as usize];
        self.file
            .read_exact_at(&mut key, offset + 4)
            .on(Stream::ImportSpool)?;
        Ok(key)
    }

    /// Where the first winner whose hash is `hash` or more is: a look in the
    /// directory, then a search of a few neighbours.
    fn first_at_or_after(&self, hash: u64) -> usize {
        let bucket = self.directory.bucket(hash);
        let (from, to) = (
            self.directory.starts[bucket],
            self.directory.starts[bucket + 1],
        );
        from + self.winners[from..to].partition_point(|w| w.0 < hash)
    }

    /// Whether the import holds an entry for `key`.
    pub fn holds(&self, key: &[u8]) -> Result<bool> {
        let hash = key_hash(key);
        for &(_, offset) in self.winners[self.first_at_or_after(hash)..]
            .iter()
            .take_while(|w| w.0 == hash)
        {
            if self.key_at(offset)? == key {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Calls `f` with the entry of each key, in input order: its value inline,
    /// or in a blob staged in `blobs` (made durable with `durable`) and handed
    /// along to be placed.
    pub fn for_each(
        &self,
        blobs: &Path,
        durable: bool,
        f: &mut dyn FnMut(Portable<StoredValue>, Option<blob::Staged>) -> Result<()>,
    ) -> Result<()> {
        (&self.file).rewind().on(Stream::ImportSpool)?;
        let mut input = Counted {
            inner: BufReader::with_capacity(CHUNK, &self.file),
            at: 0,
        };
        let mut losers = self.losers.iter().peekable();
        for _ in 0..self.records {
            let offset = input.at;
            let entry = read_head(&mut input)?;
            let winner = losers.next_if_eq(&&offset).is_none();
            let mut value = ChunkReader {
                input: &mut input,
                left: 0,
                done: false,
            };
            if !winner {
                io::copy(&mut value, &mut io::sink()).on(Stream::ImportSpool)?;
                continue;
            }
            let mut head = Vec::new();
            (&mut value)
                .take(INLINE_MAX as u64 + 1)
                .read_to_end(&mut head)
                .on(Stream::ImportSpool)?;
            if head.len() <= INLINE_MAX {
                f(entry.try_map(|()| Ok(StoredValue::Inline(head)))?, None)?;
            } else {
                let staged = blob::stage(blobs, &head, &mut value, durable)?;
                f(entry.try_map(|()| Ok(staged.value()))?, Some(staged))?;
            }
        }
        Ok(())
    }
}

/// The spool read back, counting the bytes read so far.
struct Counted<'a> {
    inner: BufReader<&'a File>,
    at: u64,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.at += n as u64;
        Ok(n)
    }
}

fn read_u64(input: &mut dyn Read) -> Result<u64> {
    let mut bytes = [0; 8];
    input.read_exact(&mut bytes).on(Stream::ImportSpool)?;
    Ok(u64::from_le_bytes(bytes))
}

/// A record's key, times and flags.
fn read_head(input: &mut dyn Read) -> Result<Portable<()>> {
    let mut len = [0; 4];
    input.read_exact(&mut len).on(Stream::ImportSpool)?;
    let mut key = vec![0; u32::from_le_bytes(len) as usize];
    input.read_exact(&mut key).on(Stream::ImportSpool)?;
    let created_ms = read_u64(input)?;
    let expires_ms = read_u64(input)?;
    let mut flags = [0];
    input.read_exact(&mut flags).on(Stream::ImportSpool)?;
    Ok(Portable {
        key,
        value: (),
        created_ms,
        expires_ms: (flags[0] & HAS_EXPIRY != 0).then_some(expires_ms),
        stale: flags[0] & STALE != 0,
    })
}

/// A value read back from its chunks.
struct ChunkReader<'a, 'f> {
    input: &'a mut Counted<'f>,
    left: u32,
    done: bool,
}

impl Read for ChunkReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.left == 0 {
            if self.done {
                return Ok(0);
            }
            let mut len = [0; 4];
            self.input.read_exact(&mut len)?;
            self.left = u32::from_le_bytes(len);
            self.done = self.left == 0;
        }
        let want = buf.len().min(self.left as usize);
        let n = self.input.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.left -= n as u32;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str) -> Portable<()> {
        Portable {
            key: key.as_bytes().to_vec(),
            value: (),
            created_ms: 1,
            expires_ms: None,
            stale: false,
        }
    }

    #[test]
    fn each_key_is_held_once_with_its_last_value() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = ImportSpool::create(dir.path()).unwrap();
        for round in 0..3 {
            for i in 0..(1000 - round * 400) {
                let value = format!("{round}:{i}");
                let write = |out: &mut dyn Write| out.write_all(value.as_bytes()).at(dir.path());
                spool.push(entry(&format!("k{i}")), write).unwrap();
            }
        }
        let big = vec![7; INLINE_MAX + 1];
        spool
            .push(entry("big"), |out| out.write_all(&big).at(dir.path()))
            .unwrap();
        let import = spool.finish().unwrap();
        assert_eq!(
            (import.records(), import.keys()),
            (1000 + 600 + 200 + 1, 1001)
        );
        assert!(import.holds(b"k999").unwrap() && import.holds(b"big").unwrap());
        assert!(!import.holds(b"k1000").unwrap() && !import.holds(b"").unwrap());
        let mut seen = std::collections::HashMap::new();
        let blobs = dir.path().join("blobs");
        import
            .for_each(&blobs, false, &mut |item, blob| {
                assert_eq!(blob.is_some(), item.key == b"big");
                let value = match item.value {
                    StoredValue::Inline(bytes) => String::from_utf8(bytes).unwrap(),
                    StoredValue::Blob { len, .. } => format!("blob of {len}"),
                };
                assert!(
                    seen.insert(String::from_utf8(item.key).unwrap(), value)
                        .is_none()
                );
                Ok(())
            })
            .unwrap();
        assert_eq!(seen.len(), 1001);
        assert_eq!(seen["k0"], "2:0");
        assert_eq!(seen["k500"], "1:500");
        assert_eq!(seen["k999"], "0:999");
        assert_eq!(seen["big"], format!("blob of {}", INLINE_MAX + 1));
        drop(import);
        assert!(!dir.path().join("tmp").exists(), "the scratch folder goes");
    }
}
