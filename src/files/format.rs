//! Magic numbers and format versions of every file kind, and recognising a file by
//! its first bytes. Every file starts with an 8-byte magic and a u32 version.

use std::path::Path;

use crate::error::{Error, Result};
use crate::files::frame::u32_at;

/// Magic plus version.
pub const PREAMBLE_LEN: usize = 12;

/// The kinds of file a store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Snapshot,
    Journal,
    Head,
    Manifest,
    Blob,
    Counters,
    /// A `cacheman run` note (`STORE/run-notes/CACHE/ARGV`).
    Note,
}

impl FileKind {
    pub const ALL: [FileKind; 7] = [
        FileKind::Snapshot,
        FileKind::Journal,
        FileKind::Head,
        FileKind::Manifest,
        FileKind::Blob,
        FileKind::Counters,
        FileKind::Note,
    ];

    pub fn magic(self) -> &'static [u8; 8] {
        match self {
            FileKind::Snapshot => b"CMANSNAP",
            FileKind::Journal => b"CMANJRNL",
            FileKind::Head => b"CMANHEAD",
            FileKind::Manifest => b"CMANMANI",
            FileKind::Blob => b"CMANBLOB",
            FileKind::Counters => b"CMANCTRS",
            FileKind::Note => b"CMANNOTE",
        }
    }

    /// The newest format version this build writes and reads.
    pub fn version(self) -> u32 {
        match self {
            // Version 2 records the volatile folder; see `manifest`.
            FileKind::Manifest => 2,
            _ => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FileKind::Snapshot => "snapshot",
            FileKind::Journal => "journal",
            FileKind::Head => "head",
            FileKind::Manifest => "manifest",
            FileKind::Blob => "blob",
            FileKind::Counters => "counters",
            FileKind::Note => "run note",
        }
    }

    /// Recognises a file by its magic.
    pub fn detect(bytes: &[u8]) -> Option<FileKind> {
        FileKind::ALL
            .into_iter()
            .find(|kind| bytes.starts_with(kind.magic()))
    }

    pub fn push_preamble(self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.magic());
        out.extend_from_slice(&self.version().to_le_bytes());
    }

    /// Checks that `buf` starts with this kind's magic and a version we can read.
    pub fn check_preamble(self, buf: &[u8], path: &Path) -> Result<()> {
        if buf.len() < PREAMBLE_LEN {
            return Err(Error::corrupt(
                path,
                0,
                format!("too short for a {} header", self.name()),
            ));
        }
        if !buf.starts_with(self.magic()) {
            return Err(Error::corrupt(
                path,
                0,
                format!("not a cacheman {} file (bad magic)", self.name()),
            ));
        }
        let version = u32_at(buf, 8);
        if !(1..=self.version()).contains(&version) {
            return Err(Error::corrupt(
                path,
                8,
                format!(
                    "{} format version {version} is not supported (this build reads {})",
                    self.name(),
                    match self.version() {
                        1 => "version 1".to_string(),
                        newest => format!("versions 1 to {newest}"),
                    }
                ),
            ));
        }
        Ok(())
    }
}

/// Checks a header's trailing CRC, which covers every header byte before it.
pub fn check_header_crc(header: &[u8], path: &Path) -> Result<()> {
    let at = header.len() - 4;
    if crc32fast::hash(&header[..at]) != u32_at(header, at) {
        return Err(Error::corrupt(
            path,
            at as u64,
            "header checksum does not match",
        ));
    }
    Ok(())
}

/// Appends the CRC of everything in `header` so far.
pub fn push_header_crc(header: &mut Vec<u8>) {
    let crc = crc32fast::hash(header);
    header.extend_from_slice(&crc.to_le_bytes());
}
