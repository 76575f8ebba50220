//! An entry as the server keeps it (one string: a fixed binary header, then
//! the value inline or its list of chunks), a cache's floors, and how the
//! two judge each other.

/// The length of an entry's header: version, stale mark, body kind, then
/// created, expires (0: never), epoch, generation and length, each a
/// big-endian u64 (the write script and `DELETE_SEEN` read these offsets).
pub(crate) const HEADER_LEN: usize = 43;

/// The version byte an entry starts with.
const VERSION: u8 = 1;

/// What follows an entry's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stored {
    /// The value itself.
    Inline(Vec<u8>),
    /// The value's list of chunks, encoded.
    Chunks(Vec<u8>),
}

/// What a cache's `meta` hash says about the validity of its entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Floors {
    /// The cache's generation (`clear` advances it).
    pub generation: u64,
    /// Entries written before this epoch are invalid.
    pub hard: u64,
    /// Entries written before this epoch are stale.
    pub soft: u64,
}

/// The fields `Floors` reads from `meta`, in order.
pub(crate) const FLOOR_FIELDS: [&str; 3] = ["gen", "hard", "soft"];

impl Floors {
    /// Floors from the values of [`FLOOR_FIELDS`].
    pub(crate) fn from_fields(fields: &[Option<String>]) -> Floors {
        let at = |i: usize| number(fields.get(i).and_then(|f| f.as_deref()));
        Floors {
            generation: at(0),
            hard: at(1),
            soft: at(2),
        }
    }
}

/// An entry's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub created_ms: u64,
    pub expires_ms: Option<u64>,
    pub epoch: u64,
    pub generation: u64,
    pub len: u64,
    pub stale: bool,
}

/// What an entry is worth to a reader now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    Fresh,
    Stale,
    Invalid,
}

impl Header {
    /// The header an entry starts with, and whether its body is a list of
    /// chunks; `None` when it does not decode.
    pub(crate) fn decode(bytes: &[u8]) -> Option<(Header, bool)> {
        let head = bytes.get(..HEADER_LEN)?;
        let word = |i: usize| {
            let at = 3 + 8 * i;
            u64::from_be_bytes(head[at..at + 8].try_into().expect("8 bytes"))
        };
        let flag = |b: u8| match b {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        };
        (head[0] == VERSION).then_some(())?;
        let header = Header {
            created_ms: word(0),
            expires_ms: Some(word(1)).filter(|x| *x != 0),
            epoch: word(2),
            generation: word(3),
            len: word(4),
            stale: flag(head[1])?,
        };
        Some((header, flag(head[2])?))
    }

    /// The bytes of this header, for a body of chunks or not.
    pub(crate) fn encode(&self, chunked: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend([VERSION, u8::from(self.stale), u8::from(chunked)]);
        let words = [
            self.created_ms,
            self.expires_ms.unwrap_or(0),
            self.epoch,
            self.generation,
            self.len,
        ];
        words.iter().for_each(|w| out.extend(w.to_be_bytes()));
        out
    }

    /// Whether the entry is fresh, stale or invalid at `now_ms` under `floors`.
    pub(crate) fn judge(&self, floors: &Floors, now_ms: u64) -> Freshness {
        let expired = self.expires_ms.is_some_and(|at| at <= now_ms);
        match () {
            _ if self.generation != floors.generation || expired || self.epoch < floors.hard => {
                Freshness::Invalid
            }
            _ if self.stale || self.epoch < floors.soft => Freshness::Stale,
            _ => Freshness::Fresh,
        }
    }
}

/// An entry's header and body; `None` when it does not decode.
pub(crate) fn decode(mut bytes: Vec<u8>) -> Option<(Header, Stored)> {
    let (header, chunked) = Header::decode(&bytes)?;
    let body = bytes.split_off(HEADER_LEN);
    Some((
        header,
        match chunked {
            true => Stored::Chunks(body),
            false => Stored::Inline(body),
        },
    ))
}

/// A decimal number, or 0.
pub(crate) fn number(text: Option<&str>) -> u64 {
    text.and_then(|t| t.parse().ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(epoch: u64, stale: bool) -> Header {
        Header {
            created_ms: 1,
            expires_ms: Some(100),
            epoch,
            generation: 2,
            len: 0,
            stale,
        }
    }

    #[test]
    fn floors_generation_and_expiry_judge_an_entry() {
        let floors = Floors {
            generation: 2,
            hard: 5,
            soft: 7,
        };
        assert_eq!(header(4, false).judge(&floors, 0), Freshness::Invalid);
        assert_eq!(header(5, false).judge(&floors, 0), Freshness::Stale);
        assert_eq!(header(7, false).judge(&floors, 0), Freshness::Fresh);
        assert_eq!(header(7, true).judge(&floors, 0), Freshness::Stale);
        assert_eq!(header(7, false).judge(&floors, 100), Freshness::Invalid);
        let cleared = Floors {
            generation: 3,
            ..floors
        };
        assert_eq!(header(7, false).judge(&cleared, 0), Freshness::Invalid);
    }

    #[test]
    fn a_header_decodes_as_encoded_and_refuses_damage() {
        for (stale, chunked) in [(false, false), (true, true)] {
            let mut bytes = header(7, stale).encode(chunked);
            assert_eq!(bytes.len(), HEADER_LEN);
            bytes.extend(b"value");
            let decoded = decode(bytes.clone()).unwrap();
            assert_eq!(decoded.0, header(7, stale));
            let body = b"value".to_vec();
            let expected = if chunked {
                Stored::Chunks(body)
            } else {
                Stored::Inline(body)
            };
            assert_eq!(decoded.1, expected);
            let mut damaged = bytes.clone();
            damaged[0] = 9;
            assert!(decode(damaged).is_none());
            assert!(decode(bytes[..HEADER_LEN - 1].to_vec()).is_none());
        }
        let never = Header {
            expires_ms: None,
            ..header(1, false)
        };
        assert_eq!(Header::decode(&never.encode(false)).unwrap().0, never);
    }
}
