//! The one place bincode is used. Every record and document body is encoded here,
//! so moving to another serde format is a change to this module alone.

use bincode::config::{self, Config};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The largest body a decoder will allocate for; anything bigger is damage.
const DECODE_LIMIT: usize = 64 << 20;

fn decode_config() -> impl Config {
    config::standard().with_limit::<DECODE_LIMIT>()
}

/// Encodes a value. Encoding our own types into memory has no failure mode.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, config::standard())
        .expect("encoding a plain data type into memory cannot fail")
}

/// Encodes a value at the end of `out`: the bytes [`encode`] gives.
pub fn encode_into<T: Serialize>(value: &T, out: &mut Vec<u8>) {
    bincode::serde::encode_into_std_write(value, out, config::standard())
        .expect("encoding a plain data type into memory cannot fail");
}

/// Decodes a value that must fill `bytes` exactly.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let (value, used) = bincode::serde::decode_from_slice(bytes, decode_config())
        .map_err(|e| format!("undecodable body: {e}"))?;
    if used != bytes.len() {
        return Err(format!(
            "{} trailing bytes after the body",
            bytes.len() - used
        ));
    }
    Ok(value)
}

/// Decodes the value at the start of `bytes`, borrowing from them, and ignores
/// what follows.
pub fn decode_prefix<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    bincode::serde::borrow_decode_from_slice(bytes, decode_config())
        .map(|(value, _)| value)
        .map_err(|e| format!("undecodable body: {e}"))
}
