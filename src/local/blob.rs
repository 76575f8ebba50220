//! Content-addressed blob files for large values: a header carrying the length
//! and BLAKE3 hash, then the raw bytes. A value is hashed as it streams in, so
//! memory stays bounded whatever its size, and a sync never copies it.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::entry::StoredValue;
use crate::error::{Error, IoContext, Result, Stream};
use crate::local::format::{self, FileKind, PREAMBLE_LEN};
use crate::local::frame::u64_at;
use crate::local::fsutil;
use crate::local::temp::TempFile;
use crate::store::{CopyError, ValueStream};

/// Preamble, flags, length, BLAKE3 hash, header CRC.
pub const HEADER_LEN: usize = PREAMBLE_LEN + 4 + 8 + 32 + 4;
const CHUNK: usize = 64 << 10;

fn encode_header(len: u64, hash: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    FileKind::Blob.push_preamble(&mut out);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(hash);
    format::push_header_crc(&mut out);
    out
}

/// A blob header: the value's length and hash.
pub fn decode_header(buf: &[u8], path: &Path) -> Result<(u64, [u8; 32])> {
    FileKind::Blob.check_preamble(buf, path)?;
    if buf.len() < HEADER_LEN {
        return Err(Error::corrupt(path, 0, "blob header is cut short"));
    }
    format::check_header_crc(&buf[..HEADER_LEN], path)?;
    let hash = buf[24..56].try_into().expect("32-byte slice");
    Ok((u64_at(buf, 16), hash))
}

/// Where the blob with this hash lives under `blobs_dir`.
pub fn path_for(blobs_dir: &Path, hash: &[u8; 32]) -> PathBuf {
    let hex = blake3::Hash::from_bytes(*hash).to_hex();
    blobs_dir.join(&hex[..2]).join(hex.as_str())
}

/// A value streamed into a temporary file in the blobs folder, hashed, and not
/// yet in place. [`Writer::place`](crate::local::cache::Writer::place) renames
/// it in under the write lock, just before the record naming it is appended, so
/// under that lock every blob in place is named by a record or is garbage.
/// Dropped unplaced, it deletes its temporary file.
#[derive(Debug)]
pub struct Staged {
    tmp: TempFile,
    path: PathBuf,
    hash: [u8; 32],
    len: u64,
    durable: bool,
}

/// Streams `head` and then the rest of `reader` into a staged blob. `durable`
/// fsyncs its content now and its directories when it is placed.
pub fn stage(
    blobs_dir: &Path,
    head: &[u8],
    reader: &mut dyn Read,
    durable: bool,
) -> Result<Staged> {
    fsutil::create_private_dir(blobs_dir)?;
    let mut tmp = TempFile::create_in(blobs_dir)?;
    let (hash, len) = stream_into(&mut tmp, head, reader, durable)?;
    Ok(Staged {
        path: path_for(blobs_dir, &hash),
        tmp,
        hash,
        len,
        durable,
    })
}

impl Staged {
    /// The value a record names this blob by.
    pub fn value(&self) -> StoredValue {
        StoredValue::Blob {
            hash: self.hash,
            len: self.len,
        }
    }

    /// Renames the blob into place (replacing a blob of the same content).
    /// Only [`Writer::place`](crate::local::cache::Writer::place) calls it.
    pub(crate) fn place(self) -> Result<()> {
        let parent = self.path.parent().expect("blob paths have a parent");
        fsutil::create_private_dir(parent)?;
        let placed = self.tmp.persist(&self.path)?;
        if self.durable {
            placed.sync()?;
            fsutil::fsync_dir(parent.parent().expect("blob folders have a parent"))?;
        }
        Ok(())
    }
}

fn stream_into(
    staged: &mut TempFile,
    head: &[u8],
    reader: &mut dyn Read,
    durable: bool,
) -> Result<([u8; 32], u64)> {
    let tmp = &staged.path().to_path_buf();
    let file = staged.file();
    file.write_all(&[0; HEADER_LEN]).at(tmp)?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(head);
    file.write_all(head).at(tmp)?;
    let mut len = head.len() as u64;
    let mut buf = vec![0; CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).on(Stream::Stdin),
        };
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).at(tmp)?;
        len += n as u64;
    }
    let hash = *hasher.finalize().as_bytes();
    file.write_all_at(&encode_header(len, &hash), 0).at(tmp)?;
    if durable {
        file.sync_all().at(tmp)?;
    }
    Ok((hash, len))
}

/// fsyncs blobs and the directories naming them, so that a sync can make the
/// records that refer to them durable.
pub fn make_durable<'a>(
    blobs_dir: &Path,
    hashes: impl Iterator<Item = &'a [u8; 32]>,
) -> Result<()> {
    let mut dirs = std::collections::BTreeSet::new();
    for hash in hashes {
        let path = path_for(blobs_dir, hash);
        fsutil::open_read(&path)?.0.sync_all().at(&path)?;
        dirs.insert(
            path.parent()
                .expect("blob paths have a parent")
                .to_path_buf(),
        );
    }
    if !dirs.is_empty() {
        dirs.insert(blobs_dir.to_path_buf());
    }
    dirs.iter().try_for_each(|dir| fsutil::fsync_dir(dir))
}

/// An open blob whose header matched the entry that names it.
#[derive(Debug)]
pub struct BlobReader {
    file: File,
    path: PathBuf,
    len: u64,
    hash: [u8; 32],
}

impl BlobReader {
    pub fn open(blobs_dir: &Path, hash: &[u8; 32], len: u64) -> Result<BlobReader> {
        let blob = BlobReader::open_path(&path_for(blobs_dir, hash))?;
        if blob.len != len || &blob.hash != hash {
            return Err(Error::corrupt(
                &blob.path,
                16,
                "blob header does not match the entry naming it",
            ));
        }
        Ok(blob)
    }

    /// Opens the blob file at `path`, checking its header and its length (but
    /// not its content: see [`BlobReader::verify`]).
    pub fn open_path(path: &Path) -> Result<BlobReader> {
        let (file, meta) = fsutil::open_read(path)?;
        let mut header = [0; HEADER_LEN];
        file.read_exact_at(&mut header, 0)
            .map_err(|_| Error::corrupt(path, 0, "blob is shorter than its header"))?;
        let (len, hash) = decode_header(&header, path)?;
        let file_len = meta.len();
        if Some(file_len) != len.checked_add(HEADER_LEN as u64) {
            return Err(Error::corrupt(
                path,
                file_len,
                format!(
                    "blob holds {} bytes, expected {len}",
                    file_len.saturating_sub(HEADER_LEN as u64)
                ),
            ));
        }
        Ok(BlobReader {
            file,
            path: path.to_path_buf(),
            len,
            hash,
        })
    }

    /// The BLAKE3 hash the header names.
    pub fn hash(&self) -> &[u8; 32] {
        &self.hash
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Re-hashes the content; a mismatch is reported, never served.
    pub fn verify(&self) -> Result<()> {
        let mut hasher = blake3::Hasher::new();
        self.each_chunk(|chunk| {
            hasher.update(chunk);
            Ok(())
        })
        .map_err(|e| match e {
            CopyError::Store(e) => e,
            CopyError::Output(_) => unreachable!("hashing writes nowhere"),
        })?;
        if hasher.finalize().as_bytes() != &self.hash {
            return Err(Error::corrupt(
                &self.path,
                HEADER_LEN as u64,
                "blob content does not match its hash",
            ));
        }
        Ok(())
    }

    /// Copies the content to `out` in bounded memory.
    pub fn copy_to(&self, out: &mut dyn Write) -> Result<(), CopyError> {
        self.each_chunk(|chunk| out.write_all(chunk).map_err(CopyError::Output))
    }

    /// The content as a reader, in bounded memory ([`BlobReader::verify`] it first).
    pub fn reader(&self) -> impl Read + '_ {
        BlobContent { blob: self, at: 0 }
    }

    fn each_chunk(
        &self,
        mut f: impl FnMut(&[u8]) -> Result<(), CopyError>,
    ) -> Result<(), CopyError> {
        let mut buf = vec![0; CHUNK];
        let mut at = 0;
        while at < self.len {
            let n = CHUNK.min((self.len - at) as usize);
            self.file
                .read_exact_at(&mut buf[..n], HEADER_LEN as u64 + at)
                .at(&self.path)
                .map_err(CopyError::Store)?;
            f(&buf[..n])?;
            at += n as u64;
        }
        Ok(())
    }
}

impl ValueStream for BlobReader {
    fn len(&self) -> u64 {
        BlobReader::len(self)
    }

    fn verify(&self) -> Result<()> {
        BlobReader::verify(self)
    }

    fn copy_to(&self, out: &mut dyn Write) -> Result<(), CopyError> {
        BlobReader::copy_to(self, out)
    }

    fn reader(&self) -> Box<dyn Read + '_> {
        Box::new(BlobReader::reader(self))
    }
}

/// Every blob file under `blobs_dir` (in its fan-out folders, never through a
/// symbolic link), sorted; the
/// temporary files of writers still streaming (`tmp.*`) are left out. None
/// when the folder does not exist. The one walk of the blobs that `gc`,
/// `verify` and `repair` share.
pub fn files(blobs_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for fan in listing(blobs_dir)? {
        if fs::symlink_metadata(&fan).is_ok_and(|m| m.is_dir()) {
            files.extend(listing(&fan)?);
        }
    }
    files.sort();
    Ok(files)
}

/// The entries of a directory but for temporary files, or none when it does
/// not exist.
fn listing(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(fsutil::dir_entries(dir)?
        .into_iter()
        .filter(|item| !item.file_name().to_string_lossy().starts_with("tmp."))
        .map(|item| item.path())
        .collect())
}

/// The hash a blob file is named by, or `None` for a file not named by one.
pub fn hash_named(path: &Path) -> Option<[u8; 32]> {
    let name = path.file_name()?.to_str()?;
    blake3::Hash::from_hex(name)
        .ok()
        .map(|hash| *hash.as_bytes())
}

/// Reads a blob's content from its start.
struct BlobContent<'a> {
    blob: &'a BlobReader,
    at: u64,
}

impl Read for BlobContent<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.blob.len - self.at;
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if n == 0 {
            return Ok(0);
        }
        let n = self
            .blob
            .file
            .read_at(&mut buf[..n], HEADER_LEN as u64 + self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}
