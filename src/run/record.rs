//! The note kept beside each command's last stored result: the parts of its key
//! (for `--explain`) and the trusted input hashes (for the next run's
//! fingerprint short-cut). It is stored in the results' cache under its own key.

use serde::{Deserialize, Serialize};

use crate::local::codec;
use crate::run::inputs::Known;
use crate::run::key::Parts;

/// Identifies a record, with its format version in the last byte.
const MAGIC: [u8; 8] = *b"cmrec\0\0\x01";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub parts: Parts,
    pub known: Vec<Known>,
}

impl Record {
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(codec::encode(self));
        bytes
    }

    /// The record, or why these bytes are not one.
    pub fn decode(bytes: &[u8]) -> Result<Record, String> {
        match bytes.strip_prefix(&MAGIC) {
            Some(body) => codec::decode(body),
            None => Err("not a run record of this version (bad magic)".into()),
        }
    }
}

/// The store key of a result.
pub fn result_key(key: &[u8; 32]) -> Vec<u8> {
    format!("result/{}", blake3::Hash::from_bytes(*key).to_hex()).into_bytes()
}

/// The store key of the record for a command (see [`Parts::argv_id`]).
pub fn record_key(argv_id: &[u8; 32]) -> Vec<u8> {
    format!("argv/{}", blake3::Hash::from_bytes(*argv_id).to_hex()).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let record = Record {
            parts: Parts {
                argv: vec![b"true".to_vec()],
                ..Parts::default()
            },
            known: Vec::new(),
        };
        assert_eq!(Record::decode(&record.encode()).unwrap(), record);
        assert!(Record::decode(b"cmrec\0\0\x09").is_err());
        assert!(Record::decode(&record.encode()[..10]).is_err());
    }
}
