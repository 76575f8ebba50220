//! Large values as content-addressed chunks of about 1 MiB (keys with no hash
//! tag, so they spread over a cluster): written before the entry naming them,
//! each checked against its hash before a byte of it is served.

use std::io::{self, Read, Write};
use std::sync::Arc;

use crate::error::{Error, Result, Stream};
use crate::store::{CopyError, ValueStream};

use super::keys::Keys;
use super::link::Link;
use super::scripts;

/// Values longer than this are stored as chunks.
pub(crate) const INLINE_MAX: usize = 256 * 1024;

/// The size of every chunk but the last.
pub(crate) const CHUNK: usize = 1024 * 1024;

/// How a chunked value is named in its entry: the BLAKE3 of the whole value,
/// then the BLAKE3 of each chunk, 32 bytes each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunks {
    pub whole: [u8; 32],
    pub ids: Vec<[u8; 32]>,
}

impl Chunks {
    /// The descriptor's bytes, as an entry holds them after its header.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = self.whole.to_vec();
        self.ids.iter().for_each(|id| out.extend_from_slice(id));
        out
    }

    /// A descriptor from its bytes; `None` when they are not one.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Chunks> {
        if bytes.len() < 32 || !bytes.len().is_multiple_of(32) {
            return None;
        }
        let mut ids = bytes
            .chunks_exact(32)
            .map(|c| c.try_into().unwrap_or([0; 32]));
        let whole = ids.next()?;
        Some(Chunks {
            whole,
            ids: ids.collect(),
        })
    }
}

/// Writes chunks of a value of one cache as they come.
pub(crate) struct ChunkWriter<'a> {
    link: &'a Link,
    keys: &'a Keys,
    cache: &'a str,
    px: Option<u64>,
    whole: blake3::Hasher,
    ids: Vec<[u8; 32]>,
}

impl<'a> ChunkWriter<'a> {
    /// A writer giving its chunks an expiry of `px` ms (`None`: never).
    pub(crate) fn new(link: &'a Link, keys: &'a Keys, cache: &'a str, px: Option<u64>) -> Self {
        ChunkWriter {
            link,
            keys,
            cache,
            px,
            whole: blake3::Hasher::new(),
            ids: Vec::new(),
        }
    }

    /// Stores one chunk.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<()> {
        self.whole.update(chunk);
        let id = *blake3::hash(chunk).as_bytes();
        let px = self.px.map(|px| px.to_string()).unwrap_or_default();
        self.link.run::<i64>(
            &scripts::PUT_CHUNK,
            &[&self.keys.chunk(self.cache, &id)],
            &[chunk, px.as_bytes()],
        )?;
        self.ids.push(id);
        Ok(())
    }

    /// The descriptor of everything pushed.
    pub(crate) fn finish(self) -> Chunks {
        Chunks {
            whole: *self.whole.finalize().as_bytes(),
            ids: self.ids,
        }
    }
}

/// Stores `value` as chunks.
pub(crate) fn store(
    link: &Link,
    keys: &Keys,
    cache: &str,
    value: &[u8],
    px: Option<u64>,
) -> Result<Chunks> {
    let mut writer = ChunkWriter::new(link, keys, cache, px);
    for chunk in value.chunks(CHUNK) {
        writer.push(chunk)?;
    }
    Ok(writer.finish())
}

/// Whether every chunk is on the server (a missing one makes the entry a miss).
pub(crate) fn all_present(link: &Link, keys: &Keys, cache: &str, chunks: &Chunks) -> Result<bool> {
    for id in &chunks.ids {
        let present: bool = link.query(redis::cmd("EXISTS").arg(keys.chunk(cache, id)))?;
        if !present {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A chunked value, read one chunk at a time.
pub(crate) struct ChunkedValue {
    pub link: Arc<Link>,
    pub keys: Keys,
    pub cache: String,
    pub chunks: Chunks,
    pub len: u64,
}

impl std::fmt::Debug for ChunkedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkedValue")
            .field("chunks", &self.chunks.ids.len())
            .field("len", &self.len)
            .finish()
    }
}

impl ChunkedValue {
    /// Chunk `i`, checked against its hash.
    fn chunk(&self, i: usize) -> Result<Vec<u8>> {
        let id = &self.chunks.ids[i];
        let bytes: Option<Vec<u8>> = self
            .link
            .query(redis::cmd("GET").arg(self.keys.chunk(&self.cache, id)))?;
        let damaged = |why: &str| Error::Backend {
            store: self.link.display.clone(),
            message: format!(
                "chunk {} of a value {why}: not served",
                blake3::Hash::from(*id).to_hex()
            ),
        };
        let bytes = bytes.ok_or_else(|| damaged("is missing"))?;
        match blake3::hash(&bytes).as_bytes() == id {
            true => Ok(bytes),
            false => Err(damaged("is damaged")),
        }
    }
}

impl ValueStream for ChunkedValue {
    fn len(&self) -> u64 {
        self.len
    }

    fn verify(&self) -> Result<()> {
        let mut whole = blake3::Hasher::new();
        let mut len = 0;
        for i in 0..self.chunks.ids.len() {
            let chunk = self.chunk(i)?;
            len += chunk.len() as u64;
            whole.update(&chunk);
        }
        match whole.finalize().as_bytes() == &self.chunks.whole && len == self.len {
            true => Ok(()),
            false => Err(Error::Backend {
                store: self.link.display.clone(),
                message: "a value's chunks do not add up to its hash: not served".into(),
            }),
        }
    }

    fn copy_to(&self, out: &mut dyn Write) -> Result<(), CopyError> {
        for i in 0..self.chunks.ids.len() {
            let chunk = self.chunk(i).map_err(CopyError::Store)?;
            out.write_all(&chunk).map_err(CopyError::Output)?;
        }
        Ok(())
    }

    fn reader(&self) -> Box<dyn Read + '_> {
        Box::new(ChunkReader {
            value: self,
            next: 0,
            buffer: io::Cursor::new(Vec::new()),
        })
    }
}

/// Reads a chunked value chunk by chunk.
struct ChunkReader<'a> {
    value: &'a ChunkedValue,
    next: usize,
    buffer: io::Cursor<Vec<u8>>,
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.buffer.read(buf)?;
            if n > 0 || buf.is_empty() || self.next == self.value.chunks.ids.len() {
                return Ok(n);
            }
            let chunk = self.value.chunk(self.next).map_err(io::Error::other)?;
            self.next += 1;
            self.buffer = io::Cursor::new(chunk);
        }
    }
}

/// Reads a stream to its end: the bytes in hand when it fits inline,
/// otherwise its chunks stored as they are read (bounded memory).
pub(crate) enum Gathered {
    Inline(Vec<u8>),
    Chunked(Chunks, u64),
}

/// Gathers `input`, storing chunks with expiry `px` once it is too long to
/// keep inline.
pub(crate) fn gather(
    link: &Link,
    keys: &Keys,
    cache: &str,
    input: &mut dyn Read,
    px: Option<u64>,
) -> Result<Gathered> {
    let mut first = Vec::new();
    input
        .take(INLINE_MAX as u64 + 1)
        .read_to_end(&mut first)
        .map_err(|source| Error::Stream {
            on: Stream::Stdin,
            source,
        })?;
    if first.len() <= INLINE_MAX {
        return Ok(Gathered::Inline(first));
    }
    let mut writer = ChunkWriter::new(link, keys, cache, px);
    let mut len = 0u64;
    let mut buffer = first;
    loop {
        let want = CHUNK - buffer.len().min(CHUNK);
        let read = input
            .take(want as u64)
            .read_to_end(&mut buffer)
            .map_err(|source| Error::Stream {
                on: Stream::Stdin,
                source,
            })?;
        if buffer.len() >= CHUNK || (read == 0 && !buffer.is_empty()) {
            let rest = buffer.split_off(buffer.len().min(CHUNK));
            len += buffer.len() as u64;
            writer.push(&buffer)?;
            buffer = rest;
        }
        if read == 0 && buffer.is_empty() {
            return Ok(Gathered::Chunked(writer.finish(), len));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_descriptor_round_trips_and_refuses_odd_lengths() {
        let chunks = Chunks {
            whole: [1; 32],
            ids: vec![[2; 32], [3; 32]],
        };
        assert_eq!(Chunks::decode(&chunks.encode()), Some(chunks));
        assert_eq!(Chunks::decode(&[0; 33]), None);
        assert_eq!(Chunks::decode(&[]), None);
    }
}
