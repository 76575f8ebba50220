//! An entry as the server keeps it (a hash: created `c`, expires `x`, epoch
//! `p`, generation `g`, length `n`, stale mark `s`, and the value inline in
//! `v` or as chunks in `k`), a cache's floors, and how the two judge each other.

use std::collections::HashMap;

/// The fields of an entry's header, read without its value.
pub(crate) const HEADER: [&str; 6] = ["c", "x", "p", "g", "n", "s"];

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
    /// A header from the values of [`HEADER`]; `None` when the entry is absent.
    pub(crate) fn from_fields(fields: &[Option<Vec<u8>>]) -> Option<Header> {
        let text = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.as_deref())
                .and_then(|b| std::str::from_utf8(b).ok())
        };
        text(0)?;
        Some(Header {
            created_ms: number(text(0)),
            expires_ms: text(1).and_then(|x| x.parse().ok()),
            epoch: number(text(2)),
            generation: number(text(3)),
            len: number(text(4)),
            stale: text(5).is_some(),
        })
    }

    /// A header from a whole entry hash.
    pub(crate) fn from_hash(hash: &HashMap<String, Vec<u8>>) -> Option<Header> {
        let fields: Vec<_> = HEADER.iter().map(|f| hash.get(*f).cloned()).collect();
        Header::from_fields(&fields)
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
}
