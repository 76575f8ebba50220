//! The note kept beside each command's last stored result: the parts of its key
//! (for `--explain`) and the trusted input hashes (for the next run's
//! fingerprint short-cut). It is stored in the results' cache under its own key.

use serde::{Deserialize, Serialize};

use crate::local::codec;
use crate::run::inputs::Known;
use crate::run::key::{Parts, hex};

/// Identifies a record, with its format version in the last byte.
const MAGIC: [u8; 8] = *b"cmrec\0\0\x02";

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

    /// The record; `None` for a record of another format version (it only
    /// helps later runs, so an old one is passed over); or why these bytes are
    /// not a record.
    pub fn decode(bytes: &[u8]) -> Result<Option<Record>, String> {
        let version_at = MAGIC.len() - 1;
        match bytes.strip_prefix(&MAGIC) {
            Some(body) => codec::decode(body).map(Some),
            None if bytes.len() >= MAGIC.len() && bytes[..version_at] == MAGIC[..version_at] => {
                Ok(None)
            }
            None => Err("not a run record (bad magic)".into()),
        }
    }
}

/// The store key of a result.
pub fn result_key(key: &[u8; 32]) -> Vec<u8> {
    format!("result/{}", hex(key)).into_bytes()
}

/// The store key of the record for a command (see [`Parts::argv_id`]).
pub fn record_key(argv_id: &[u8; 32]) -> Vec<u8> {
    format!("argv/{}", hex(argv_id)).into_bytes()
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
        assert_eq!(
            Record::decode(&record.encode()).unwrap(),
            Some(record.clone())
        );
        assert_eq!(
            Record::decode(b"cmrec\0\0\x01old").unwrap(),
            None,
            "another version"
        );
        assert!(Record::decode(b"cmrun\0\0\x02").is_err());
        assert!(Record::decode(&record.encode()[..10]).is_err());
    }
}
