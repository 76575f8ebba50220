//! Replaying a stored result: its output files restored first, then its stdout
//! and stderr chunks in their original order, and its exit status returned.
//! Blobs are verified against their hash before a byte is written, and a
//! result naming an output this call did not declare is refused before too.

use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::files::codec;
use crate::name::CacheName;
use crate::run::capture::Live;
use crate::run::memo::damaged;
use crate::run::outputs::{Declared, Kind, Meta, Refused, Restorer};
use crate::run::transcript::{self, Tag};
use crate::store::Value;

/// Why a replay failed.
#[derive(Debug)]
pub enum ReplayError {
    /// The stored bytes are not a well-formed result.
    Damaged(String),
    /// Reading the store or restoring an output failed.
    Failed(Error),
    /// The result would restore what this call did not declare (the reason).
    Refused(String),
}

impl From<Refused> for ReplayError {
    fn from(refused: Refused) -> ReplayError {
        ReplayError::Refused(refused.0)
    }
}

impl ReplayError {
    pub fn into_error(self, cache: &CacheName, key: &[u8]) -> Error {
        match self {
            ReplayError::Damaged(reason) => damaged(cache, key, reason),
            ReplayError::Failed(e) => e,
            ReplayError::Refused(reason) => damaged(cache, key, reason),
        }
    }
}

/// The stored bytes as a stream (not yet verified).
pub fn open(value: &Value) -> Box<dyn Read + '_> {
    match value {
        Value::Bytes(bytes) => Box::new(bytes.as_slice()),
        Value::Stream(stream) => stream.reader(),
    }
}

/// Checks a blob-held result against its hash before a byte of it is used.
pub fn verify(value: &Value) -> Result<(), ReplayError> {
    match value {
        Value::Stream(stream) => stream.verify().map_err(ReplayError::Failed),
        Value::Bytes(_) => Ok(()),
    }
}

/// How a replay of the streams ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replayed {
    /// All of it was shown; the stored exit status.
    Status(u8),
    /// The caller closed stdout or stderr part way.
    CallerLeft,
}

/// Checks, before anything is written, that every output a result names is
/// one of `declared` or lies beneath one (see [`Declared::locate`]).
pub fn check_outputs(value: &Value, declared: &[PathBuf]) -> Result<(), ReplayError> {
    let declared = Declared(declared);
    let mut input = open(value);
    transcript::read_header(&mut input).map_err(ReplayError::Damaged)?;
    loop {
        match next_frame(&mut input)? {
            (Tag::Output, len) => {
                let meta = read_meta(&mut input, len)?;
                declared.locate(Path::new(std::ffi::OsStr::from_bytes(&meta.path)))?;
            }
            (Tag::Status, _) => return Ok(()),
            (_, len) => skip(&mut input, len)?,
        }
    }
}

/// Restores every archived output of a result (each one of `declared` or
/// beneath one); returns its exit status.
pub fn restore_outputs(value: &Value, declared: &[PathBuf]) -> Result<u8, ReplayError> {
    let mut input = open(value);
    transcript::read_header(&mut input).map_err(ReplayError::Damaged)?;
    let mut restorer = Restorer::new(declared);
    loop {
        let (tag, len) = next_frame(&mut input)?;
        match tag {
            Tag::Stdout | Tag::Stderr | Tag::Merged => skip(&mut input, len)?,
            Tag::Output => {
                let meta = read_meta(&mut input, len)?;
                if meta.kind == Kind::File {
                    let Some((Tag::Content, len)) =
                        transcript::read_frame_head(&mut input).map_err(ReplayError::Damaged)?
                    else {
                        return Err(ReplayError::Damaged("an output without its content".into()));
                    };
                    let mut content = Exact((&mut input).take(len), len);
                    restorer.restore(&meta, Some(&mut content))?;
                } else {
                    restorer.restore(&meta, None)?;
                }
            }
            Tag::Content => return Err(ReplayError::Damaged("content without an output".into())),
            Tag::Status => {
                let code = read_status(&mut input, len)?;
                restorer.finish().map_err(ReplayError::Failed)?;
                return Ok(code);
            }
        }
    }
}

/// Writes a result's stdout and stderr out in their stored order. The streams
/// come before the outputs, so with `status` already known (the outputs were
/// restored) the replay ends at the first output.
pub fn replay_streams(
    value: &Value,
    out: &mut dyn Write,
    status: Option<u8>,
) -> Result<Replayed, ReplayError> {
    let mut input = open(value);
    transcript::read_header(&mut input).map_err(ReplayError::Damaged)?;
    let mut live = Live::new(out);
    // No bigger than the value: a small result touches no more memory than it needs.
    let mut buf = vec![0; (64 << 10).min(value.len() as usize).max(1)];
    loop {
        let (tag, len) = next_frame(&mut input)?;
        match (tag, status) {
            (Tag::Stdout | Tag::Stderr | Tag::Merged, _) => {
                let mut payload = (&mut input).take(len);
                loop {
                    let n = read_some(&mut payload, &mut buf)?;
                    if n == 0 {
                        break;
                    }
                    if !live.show(tag, &buf[..n]).map_err(ReplayError::Failed)? {
                        return Ok(Replayed::CallerLeft);
                    }
                }
            }
            (Tag::Output, Some(code)) => return Ok(Replayed::Status(code)),
            (Tag::Output | Tag::Content, None) => {
                return Err(ReplayError::Damaged(
                    "an output file that was not declared".into(),
                ));
            }
            (Tag::Content, Some(_)) => {
                return Err(ReplayError::Damaged("content without an output".into()));
            }
            (Tag::Status, _) => return read_status(&mut input, len).map(Replayed::Status),
        }
    }
}

/// The next frame's head; the end of the stream is damage, since the exit
/// status comes last.
fn next_frame(input: &mut dyn Read) -> Result<(Tag, u64), ReplayError> {
    transcript::read_frame_head(input)
        .map_err(ReplayError::Damaged)?
        .ok_or_else(|| ReplayError::Damaged("the exit status is missing".into()))
}

/// Reads past a frame's payload.
fn skip(input: &mut dyn Read, len: u64) -> Result<(), ReplayError> {
    let skipped = io::copy(&mut input.take(len), &mut io::sink())
        .map_err(|e| ReplayError::Damaged(e.to_string()))?;
    if skipped != len {
        return Err(ReplayError::Damaged("a frame is cut short".into()));
    }
    Ok(())
}

fn read_meta(input: &mut dyn Read, len: u64) -> Result<Meta, ReplayError> {
    codec::decode(&read_small(&mut input.take(len), len)?).map_err(ReplayError::Damaged)
}

fn read_status(input: &mut dyn Read, len: u64) -> Result<u8, ReplayError> {
    let status = read_small(&mut input.take(len), len)?;
    let [code] = status[..] else {
        return Err(ReplayError::Damaged(
            "an exit status of the wrong size".into(),
        ));
    };
    Ok(code)
}

fn read_some(input: &mut dyn Read, buf: &mut [u8]) -> Result<usize, ReplayError> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other.map_err(|e| ReplayError::Damaged(e.to_string())),
        }
    }
}

/// A short payload, read whole; a damaged length cannot make it allocate much.
fn read_small(input: &mut dyn Read, len: u64) -> Result<Vec<u8>, ReplayError> {
    if len > 1 << 20 {
        return Err(ReplayError::Damaged(format!(
            "a {len}-byte frame where a short one belongs"
        )));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    input
        .read_to_end(&mut bytes)
        .map_err(|e| ReplayError::Damaged(e.to_string()))?;
    if bytes.len() as u64 != len {
        return Err(ReplayError::Damaged("a frame is cut short".into()));
    }
    Ok(bytes)
}

/// A reader that fails unless it yields exactly the promised number of bytes.
struct Exact<R>(R, u64);

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        if n == 0 && !buf.is_empty() && self.1 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the stored output is cut short",
            ));
        }
        self.1 -= n as u64;
        Ok(n)
    }
}
