//! Small whole-file documents (the head and the manifest): preamble, then one
//! framed body. They are only ever replaced atomically, never edited in place.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::files::format::{FileKind, PREAMBLE_LEN};
use crate::files::frame::{self, Parsed};
use crate::files::{codec, fsutil};

/// Encodes a document.
pub fn encode<T: Serialize>(kind: FileKind, value: &T) -> Vec<u8> {
    wrap(kind, &codec::encode(value))
}

/// A document of an already encoded body.
pub fn wrap(kind: FileKind, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(PREAMBLE_LEN + body.len() + frame::OVERHEAD);
    kind.push_preamble(&mut out);
    frame::push(body, &mut out);
    out
}

/// Decodes a document read from `path`.
pub fn decode<T: DeserializeOwned>(kind: FileKind, bytes: &[u8], path: &Path) -> Result<T> {
    codec::decode(unwrap(kind, bytes, path)?)
        .map_err(|reason| Error::corrupt(path, PREAMBLE_LEN as u64, reason))
}

/// The body of a document read from `path`, its preamble and frame checked.
pub fn unwrap<'a>(kind: FileKind, bytes: &'a [u8], path: &Path) -> Result<&'a [u8]> {
    kind.check_preamble(bytes, path)?;
    match frame::parse(bytes, PREAMBLE_LEN) {
        Parsed::Record { body, end } if end == bytes.len() => Ok(body),
        Parsed::Record { end, .. } => Err(Error::corrupt(
            path,
            end as u64,
            "trailing bytes after the document",
        )),
        Parsed::End => Err(Error::corrupt(
            path,
            PREAMBLE_LEN as u64,
            "the document body is missing",
        )),
        Parsed::Torn(reason) => Err(Error::corrupt(path, PREAMBLE_LEN as u64, reason)),
    }
}

/// Reads a document, or `None` when the file does not exist.
pub fn read<T: DeserializeOwned>(kind: FileKind, path: &Path) -> Result<Option<T>> {
    fsutil::read_optional(path)?
        .map(|bytes| decode(kind, &bytes, path))
        .transpose()
}

/// Replaces a document atomically and durably.
pub fn write<T: Serialize>(kind: FileKind, path: &Path, value: &T) -> Result<()> {
    fsutil::write_atomic(path, &encode(kind, value))
}
