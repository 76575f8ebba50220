//! The stored form of one run: a magic header, then tagged, length-prefixed
//! frames (stdout and stderr chunks in arrival order, or chunks of the two
//! merged, archived output files, the exit status), written to a spool file and
//! read back as a stream, so memory stays bounded whatever the command printed.

use std::io::{self, Read, Write};

/// Identifies a stored run result, with its format version in the last byte.
const MAGIC: [u8; 8] = *b"cmrun\0\0\x01";

/// The kinds of frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Stdout = 1,
    Stderr = 2,
    /// An archived output: its encoded [`crate::run::outputs::Meta`].
    Output = 3,
    /// The content of the file described by the `Output` frame before it.
    Content = 4,
    /// The exit status, one byte; always the last frame.
    Status = 5,
    /// A chunk of stdout and stderr together: the caller had them on one
    /// file, so the command wrote both to one pipe. Replayed to stdout.
    Merged = 6,
}

impl Tag {
    fn from_byte(byte: u8) -> Option<Tag> {
        Some(match byte {
            1 => Tag::Stdout,
            2 => Tag::Stderr,
            3 => Tag::Output,
            4 => Tag::Content,
            5 => Tag::Status,
            6 => Tag::Merged,
            _ => return None,
        })
    }
}

/// Header bytes: magic, then how long the result stays fresh (ms, `u64::MAX`
/// for as long as the entry lives).
pub const HEADER_LEN: usize = 16;

/// Writes the header of a result that stays fresh for `fresh_ms`.
pub fn write_header(out: &mut dyn Write, fresh_ms: u64) -> io::Result<()> {
    out.write_all(&MAGIC)?;
    out.write_all(&fresh_ms.to_le_bytes())
}

/// Writes one frame's tag and length; `len` payload bytes must follow.
pub fn write_frame_head(out: &mut dyn Write, tag: Tag, len: u64) -> io::Result<()> {
    out.write_all(&[tag as u8])?;
    out.write_all(&len.to_le_bytes())
}

/// Writes a whole frame.
pub fn write_frame(out: &mut dyn Write, tag: Tag, payload: &[u8]) -> io::Result<()> {
    write_frame_head(out, tag, payload.len() as u64)?;
    out.write_all(payload)
}

/// Reads the header: how long the result stays fresh, or why it is not a result.
pub fn read_header(input: &mut dyn Read) -> Result<u64, String> {
    let mut header = [0; HEADER_LEN];
    input
        .read_exact(&mut header)
        .map_err(|_| "a run result shorter than its header".to_string())?;
    if header[..8] != MAGIC {
        return Err("not a run result of this version (bad magic)".into());
    }
    Ok(u64::from_le_bytes(header[8..].try_into().expect("8 bytes")))
}

/// Reads the next frame's tag and length, or `None` at a clean end.
pub fn read_frame_head(input: &mut dyn Read) -> Result<Option<(Tag, u64)>, String> {
    let mut head = [0; 9];
    match input.read(&mut head[..1]) {
        Ok(0) => return Ok(None),
        Ok(_) => {}
        Err(e) => return Err(e.to_string()),
    }
    input
        .read_exact(&mut head[1..])
        .map_err(|_| "a frame header is cut short".to_string())?;
    let tag = Tag::from_byte(head[0]).ok_or_else(|| format!("unknown frame tag {}", head[0]))?;
    Ok(Some((
        tag,
        u64::from_le_bytes(head[1..].try_into().expect("8 bytes")),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let mut buf = Vec::new();
        write_header(&mut buf, 42).unwrap();
        write_frame(&mut buf, Tag::Stdout, b"out").unwrap();
        write_frame(&mut buf, Tag::Status, &[7]).unwrap();
        let mut input = buf.as_slice();
        assert_eq!(read_header(&mut input).unwrap(), 42);
        assert_eq!(read_frame_head(&mut input).unwrap(), Some((Tag::Stdout, 3)));
        input = &input[3..];
        assert_eq!(read_frame_head(&mut input).unwrap(), Some((Tag::Status, 1)));
        input = &input[1..];
        assert_eq!(read_frame_head(&mut input).unwrap(), None);
    }

    #[test]
    fn damage_is_named() {
        assert!(read_header(&mut &b"short"[..]).is_err());
        assert!(read_header(&mut &[0u8; 16][..]).is_err());
        assert!(read_frame_head(&mut &[9u8, 0, 0, 0, 0, 0, 0, 0, 0][..]).is_err());
        assert!(read_frame_head(&mut &[1u8, 0][..]).is_err());
    }
}
