//! Checksummed record frames: `len u32 | crc u32 | body | len u32`, little-endian,
//! where `crc` is the CRC-32 of a salt, the length bytes and the body. The length
//! in the CRC means a run of zero bytes (what a crash often leaves behind) never
//! reads as a record; a journal's own random salt means a frame copied from
//! elsewhere (inside a stored value, say) never reads as one of its records. The
//! trailing length lets a reader find the last record from the end of a file.

/// Bytes a frame adds around its body.
pub const OVERHEAD: usize = 12;
/// The largest body a frame may carry; a bigger length field is damage. Records
/// hold at most a 4 KiB key and a 4 KiB inline value, so this is generous, and
/// small enough that a whole frame's length fits a snapshot slot's 24 bits.
pub const MAX_BODY: usize = 8 << 20;

/// Appends one framed body to `out`, with no salt.
pub fn push(body: &[u8], out: &mut Vec<u8>) {
    push_salted(0, body, out);
}

/// Appends one framed body to `out`, its checksum salted.
pub fn push_salted(salt: u32, body: &[u8], out: &mut Vec<u8>) {
    push_salted_with(salt, out, |out| out.extend_from_slice(body));
}

/// Appends one frame to `out`, its checksum salted, whose body `body` writes
/// straight into `out` (no copy of the body on its way).
pub fn push_salted_with(salt: u32, out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; 8]);
    body(out);
    let len =
        u32::try_from(out.len() - start - 8).expect("record bodies are bounded well below 4 GiB");
    let crc = checksum(salt, len, &out[start + 8..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
}

fn checksum(salt: u32, len: u32, body: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&salt.to_le_bytes());
    hasher.update(&len.to_le_bytes());
    hasher.update(body);
    hasher.finalize()
}

/// What [`parse`] found at an offset.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// A whole, checksum-valid record, and the offset just past it.
    Record { body: &'a [u8], end: usize },
    /// The buffer ends exactly here.
    End,
    /// The bytes here are not a valid frame.
    Torn(&'static str),
}

/// Parses the unsalted frame starting at `at`.
pub fn parse(buf: &[u8], at: usize) -> Parsed<'_> {
    parse_salted(buf, at, 0)
}

/// Parses the frame starting at `at`, whose checksum carries `salt`.
pub fn parse_salted(buf: &[u8], at: usize, salt: u32) -> Parsed<'_> {
    let rest = &buf[at.min(buf.len())..];
    if rest.is_empty() {
        return Parsed::End;
    }
    if rest.len() < OVERHEAD {
        return Parsed::Torn("a frame header is cut short");
    }
    let len = u32_at(rest, 0) as usize;
    if len > MAX_BODY {
        return Parsed::Torn("a frame length is implausibly large");
    }
    if rest.len() < OVERHEAD + len {
        return Parsed::Torn("a record is cut short");
    }
    let body = &rest[8..8 + len];
    if checksum(salt, len as u32, body) != u32_at(rest, 4) {
        return Parsed::Torn("a record checksum does not match");
    }
    if u32_at(rest, 8 + len) as usize != len {
        return Parsed::Torn("a record's trailing length does not match");
    }
    Parsed::Record {
        body,
        end: at + OVERHEAD + len,
    }
}

/// The body and end of the frame at `at`, which the caller has already
/// parsed as a valid record: its length is read, its checksum not checked again.
pub fn checked_at(buf: &[u8], at: usize) -> (&[u8], usize) {
    let len = u32_at(buf, at) as usize;
    (&buf[at + 8..at + 8 + len], at + OVERHEAD + len)
}

/// Whether a valid frame starts anywhere in `buf` at or after `from`. After an
/// invalid frame, that tells damage (valid records follow) from a torn tail (an
/// unfinished append, which leaves nothing valid behind it).
pub fn any_valid_from(buf: &[u8], from: usize, salt: u32) -> bool {
    next_valid_from(buf, from, salt).is_some()
}

/// The offset of the first valid frame starting at or after `from`: where
/// reading can resume after damage.
pub fn next_valid_from(buf: &[u8], from: usize, salt: u32) -> Option<usize> {
    (from..buf.len()).find(|&at| matches!(parse_salted(buf, at, salt), Parsed::Record { .. }))
}

/// Reads a little-endian u32 at `at`; the caller guarantees the bounds.
pub fn u32_at(buf: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(buf[at..at + 4].try_into().expect("4-byte slice"))
}

/// Reads a little-endian u64 at `at`; the caller guarantees the bounds.
pub fn u64_at(buf: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(buf[at..at + 8].try_into().expect("8-byte slice"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(bodies: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for body in bodies {
            push(body, &mut out);
        }
        out
    }

    #[test]
    fn round_trips_consecutive_frames() {
        let buf = framed(&[b"one", b"", b"three"]);
        let mut at = 0;
        let mut seen = Vec::new();
        while let Parsed::Record { body, end } = parse(&buf, at) {
            seen.push(body.to_vec());
            at = end;
        }
        assert_eq!(parse(&buf, at), Parsed::End);
        assert_eq!(seen, vec![b"one".to_vec(), vec![], b"three".to_vec()]);
    }

    #[test]
    fn every_truncation_is_torn_or_a_prefix() {
        let buf = framed(&[b"alpha", b"beta"]);
        let first_end = OVERHEAD + 5;
        for cut in 0..buf.len() {
            let parsed = parse(&buf[..cut], 0);
            match cut {
                0 => assert_eq!(parsed, Parsed::End),
                c if c >= first_end => assert!(matches!(parsed, Parsed::Record { .. })),
                _ => assert!(matches!(parsed, Parsed::Torn(_)), "cut {cut}"),
            }
        }
    }

    #[test]
    fn a_frame_salted_differently_is_not_a_record() {
        let mut buf = Vec::new();
        push_salted(7, b"body", &mut buf);
        assert!(matches!(parse_salted(&buf, 0, 7), Parsed::Record { .. }));
        assert!(matches!(parse_salted(&buf, 0, 8), Parsed::Torn(_)));
        assert!(!any_valid_from(&buf, 0, 8));
    }

    #[test]
    fn zeros_are_never_a_record() {
        for n in 0..64 {
            assert!(!any_valid_from(&vec![0; n], 0, 0), "{n} zero bytes");
        }
    }

    #[test]
    fn damage_is_told_from_a_torn_tail() {
        let buf = framed(&[b"first", b"second", b"third"]);
        let second = OVERHEAD + 5;
        let mut damaged = buf.clone();
        damaged[second + 9] ^= 0x10;
        assert!(matches!(parse(&damaged, second), Parsed::Torn(_)));
        assert!(
            any_valid_from(&damaged, second + 1, 0),
            "the third record is still valid"
        );
        let torn = &buf[..buf.len() - 3];
        assert!(matches!(
            parse(torn, second + OVERHEAD + 6),
            Parsed::Torn(_)
        ));
        assert!(!any_valid_from(torn, second + OVERHEAD + 6 + 1, 0));
    }

    #[test]
    fn every_bit_flip_is_detected() {
        let buf = framed(&[b"payload"]);
        for bit in 0..buf.len() * 8 {
            let mut damaged = buf.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(
                matches!(parse(&damaged, 0), Parsed::Torn(_)),
                "bit {bit} went unnoticed"
            );
        }
    }
}
