//! Record bodies. A key comes first, in plain bytes, so a reader scanning for one
//! key compares it without decoding anything else; the rest goes through `codec`.
//!
//! Entry body (snapshot record): `key_len u32 | key | payload`.
//! Journal body: `seq u64 | op u8 | key_len u32 | key | payload`, where the op
//! byte's high bit says more records of the same append follow.

use serde::{Deserialize, Serialize};

use crate::entry::{Entry, StoredValue};
use crate::local::codec;
use crate::local::frame::{u32_at, u64_at};

/// A change recorded in a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Set(Entry),
    Del(Vec<u8>),
    /// Everything recorded before, in the journal and the snapshot, is gone.
    Clear,
}

impl Op {
    /// About the bytes this op's framed journal record takes (enough for
    /// most, so a group's records go into one buffer without regrowing).
    pub fn size_hint(&self) -> usize {
        const FIXED: usize = 64;
        match self {
            Op::Set(entry) => match &entry.value {
                StoredValue::Inline(value) => FIXED + entry.key.len() + value.len(),
                StoredValue::Blob { .. } => FIXED + 48 + entry.key.len(),
            },
            Op::Del(key) => FIXED + key.len(),
            Op::Clear => FIXED,
        }
    }
}

/// What the payload of an entry holds besides its key.
#[derive(Serialize, Deserialize)]
struct Payload {
    value: StoredValue,
    created_ms: u64,
    expires_ms: Option<u64>,
    epoch: u64,
    stale: bool,
}

/// A [`Payload`] borrowed from its entry, to encode without copying the value
/// (serde encodes a reference as what it refers to: the same bytes).
#[derive(Serialize)]
struct PayloadOf<'a> {
    value: &'a StoredValue,
    created_ms: u64,
    expires_ms: Option<u64>,
    epoch: u64,
    stale: bool,
}

/// The leading field of a [`Payload`], borrowed: what a record's size needs,
/// decoded without copying the value. It mirrors [`StoredValue`]'s encoding.
#[derive(Deserialize)]
struct PayloadHead<'a> {
    #[serde(borrow)]
    value: ValueRef<'a>,
}

#[derive(Deserialize)]
enum ValueRef<'a> {
    Inline(&'a [u8]),
    Blob { _hash: [u8; 32], len: u64 },
}

const OP_SET: u8 = 1;
const OP_DEL: u8 = 2;
const OP_CLEAR: u8 = 3;
/// Set in the op byte of every record of a multi-record append but its last:
/// an append whose last record is missing is incomplete, and so not applied.
const MORE_FOLLOW: u8 = 0x80;

/// Appends a key and, after it, what `payload` writes.
fn push_keyed(key: &[u8], out: &mut Vec<u8>, payload: impl FnOnce(&mut Vec<u8>)) {
    let len = u32::try_from(key.len()).expect("keys are bounded by MAX_KEY_LEN");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(key);
    payload(out);
}

/// Appends an entry's payload, encoded, to `out`.
fn push_payload(entry: &Entry, out: &mut Vec<u8>) {
    let payload = PayloadOf {
        value: &entry.value,
        created_ms: entry.created_ms,
        expires_ms: entry.expires_ms,
        epoch: entry.epoch,
        stale: entry.stale,
    };
    codec::encode_into(&payload, out);
}

/// The body of a snapshot record.
pub fn encode_entry(entry: &Entry) -> Vec<u8> {
    let mut out = Vec::with_capacity(entry.key.len() + 32);
    push_keyed(&entry.key, &mut out, |out| push_payload(entry, out));
    out
}

/// The body of a journal record; `more_follow` marks every record of a
/// multi-record append but its last.
pub fn encode_op(seq: u64, op: &Op, more_follow: bool) -> Vec<u8> {
    let mut out = Vec::new();
    push_op(seq, op, more_follow, &mut out);
    out
}

/// Appends the body of a journal record (see [`encode_op`]) to `out`.
pub fn push_op(seq: u64, op: &Op, more_follow: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(&seq.to_le_bytes());
    let flag = if more_follow { MORE_FOLLOW } else { 0 };
    match op {
        Op::Set(entry) => {
            out.push(OP_SET | flag);
            push_keyed(&entry.key, out, |out| push_payload(entry, out));
        }
        Op::Del(key) => {
            out.push(OP_DEL | flag);
            push_keyed(key, out, |_| {});
        }
        Op::Clear => {
            out.push(OP_CLEAR | flag);
            push_keyed(&[], out, |_| {});
        }
    }
}

/// A key and its still-encoded payload, borrowed from a record body.
#[derive(Debug, Clone, Copy)]
pub struct KeyedView<'a> {
    pub key: &'a [u8],
    payload: &'a [u8],
}

impl KeyedView<'_> {
    pub fn parse(body: &[u8]) -> Result<KeyedView<'_>, String> {
        if body.len() < 4 {
            return Err("record body too short for a key length".into());
        }
        let key_len = u32_at(body, 0) as usize;
        let key_end = 4usize
            .checked_add(key_len)
            .filter(|&end| end <= body.len())
            .ok_or("key length runs past the record")?;
        Ok(KeyedView {
            key: &body[4..key_end],
            payload: &body[key_end..],
        })
    }

    /// Key plus value bytes, as [`Entry::size`] counts them, without decoding
    /// the rest of the entry.
    pub fn size(&self) -> Result<u64, String> {
        let head: PayloadHead<'_> = codec::decode_prefix(self.payload)?;
        let value = match head.value {
            ValueRef::Inline(bytes) => bytes.len() as u64,
            ValueRef::Blob { len, .. } => len,
        };
        Ok((self.key.len() as u64).saturating_add(value))
    }

    /// Decodes the whole entry.
    pub fn entry(&self) -> Result<Entry, String> {
        let p: Payload = codec::decode(self.payload)?;
        Ok(Entry {
            key: self.key.to_vec(),
            value: p.value,
            created_ms: p.created_ms,
            expires_ms: p.expires_ms,
            epoch: p.epoch,
            stale: p.stale,
        })
    }
}

/// The kind of a journal record, before its payload is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Set,
    Del,
    Clear,
}

/// A journal record borrowed from its body.
#[derive(Debug, Clone, Copy)]
pub struct OpView<'a> {
    pub seq: u64,
    pub kind: OpKind,
    /// More records of the same append follow this one.
    pub more_follow: bool,
    pub keyed: KeyedView<'a>,
}

impl OpView<'_> {
    pub fn parse(body: &[u8]) -> Result<OpView<'_>, String> {
        if body.len() < 9 {
            return Err("journal record too short".into());
        }
        let kind = match body[8] & !MORE_FOLLOW {
            OP_SET => OpKind::Set,
            OP_DEL => OpKind::Del,
            OP_CLEAR => OpKind::Clear,
            other => return Err(format!("unknown operation code {other}")),
        };
        Ok(OpView {
            seq: u64_at(body, 0),
            kind,
            more_follow: body[8] & MORE_FOLLOW != 0,
            keyed: KeyedView::parse(&body[9..])?,
        })
    }

    /// Decodes the whole operation.
    pub fn op(&self) -> Result<Op, String> {
        Ok(match self.kind {
            OpKind::Set => Op::Set(self.keyed.entry()?),
            OpKind::Del => Op::Del(self.keyed.key.to_vec()),
            OpKind::Clear => Op::Clear,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_size_read_without_decoding_is_the_entry_size() {
        let values = [
            StoredValue::Inline(Vec::new()),
            StoredValue::Inline(vec![7; 300]),
            StoredValue::Inline(vec![1; 4096]),
            StoredValue::Blob {
                hash: [9; 32],
                len: u64::MAX / 3,
            },
        ];
        for value in values {
            let entry = entry(b"some key", value);
            let body = encode_op(1, &Op::Set(entry.clone()), false);
            let view = OpView::parse(&body).unwrap();
            assert_eq!(view.keyed.size(), Ok(entry.size()));
        }
    }

    fn entry(key: &[u8], value: StoredValue) -> Entry {
        Entry {
            key: key.to_vec(),
            value,
            created_ms: 1_700_000_000_000,
            expires_ms: Some(1_700_000_060_000),
            epoch: 7,
            stale: true,
        }
    }

    /// The payload encoded from a borrowed entry is byte for byte the owned
    /// `Payload`'s encoding, which every stored record was written with.
    #[test]
    fn a_borrowed_payload_encodes_as_the_owned_one() {
        let blob = StoredValue::Blob {
            hash: [7; 32],
            len: 9,
        };
        for value in [StoredValue::Inline(b"v\0\xff".to_vec()), blob] {
            let entry = entry(b"k", value);
            let owned = codec::encode(&Payload {
                value: entry.value.clone(),
                created_ms: entry.created_ms,
                expires_ms: entry.expires_ms,
                epoch: entry.epoch,
                stale: entry.stale,
            });
            let mut borrowed = Vec::new();
            push_payload(&entry, &mut borrowed);
            assert_eq!(borrowed, owned);
        }
    }

    #[test]
    fn ops_round_trip() {
        let ops = [
            Op::Set(entry(b"k\0\xff", StoredValue::Inline(b"v\n".to_vec()))),
            Op::Set(entry(
                b"",
                StoredValue::Blob {
                    hash: [9; 32],
                    len: 1 << 40,
                },
            )),
            Op::Del(b"gone".to_vec()),
            Op::Clear,
        ];
        for (seq, op) in ops.iter().enumerate() {
            for more_follow in [false, true] {
                let body = encode_op(seq as u64, op, more_follow);
                let view = OpView::parse(&body).unwrap();
                assert_eq!(view.seq, seq as u64);
                assert_eq!(view.more_follow, more_follow);
                assert_eq!(&view.op().unwrap(), op);
            }
        }
    }

    #[test]
    fn entries_round_trip() {
        let e = entry(b"key", StoredValue::Inline(vec![0; 100]));
        let body = encode_entry(&e);
        let view = KeyedView::parse(&body).unwrap();
        assert_eq!(view.key, b"key");
        assert_eq!(view.entry().unwrap(), e);
    }

    #[test]
    fn truncated_bodies_are_errors_not_panics() {
        let body = encode_op(
            3,
            &Op::Set(entry(b"key", StoredValue::Inline(b"value".to_vec()))),
            false,
        );
        for cut in 0..body.len() {
            let parsed = OpView::parse(&body[..cut]).and_then(|v| v.op());
            assert!(parsed.is_err(), "cut at {cut} decoded");
        }
    }
}
