//! JSON forms of byte strings: a UTF-8 string as itself, anything else as
//! `{"bytes": "<base64>"}`, so binary keys and values survive the trip; and
//! keys given in that base64 on the command line (`--key-base64`).

use std::borrow::Cow;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Args;
use serde_json::{Value, json};

use crate::error::{Error, Result};

/// How the commands that take keys read them: as given, or in base64, which
/// reaches any key (an argument cannot hold a NUL byte).
#[derive(Debug, Args)]
pub struct KeyForm {
    /// The keys are given in base64 (as `{"bytes": ...}` shows them), for keys
    /// an argument cannot hold, such as those with NUL bytes
    #[arg(long)]
    pub key_base64: bool,
}

impl KeyForm {
    /// A key's bytes.
    pub fn bytes<'a>(&self, key: &'a OsStr) -> Result<Cow<'a, [u8]>> {
        if !self.key_base64 {
            return Ok(Cow::Borrowed(key.as_bytes()));
        }
        STANDARD
            .decode(key.as_bytes())
            .map(Cow::Owned)
            .map_err(|e| {
                Error::usage_with_hint(
                    format!(
                        "--key-base64: {:?} is not base64 ({e})",
                        key.to_string_lossy()
                    ),
                    "encode a key with `printf 'a\\0b' | base64`",
                )
            })
    }
}

pub fn bytes(data: &[u8]) -> Value {
    match std::str::from_utf8(data) {
        Ok(text) => Value::String(text.to_owned()),
        Err(_) => json!({ "bytes": STANDARD.encode(data) }),
    }
}

/// The last instant RFC 3339 can write: 9999-12-31T23:59:59Z.
const LAST_RFC3339_MS: u64 = 253_402_300_799_000;

/// A timestamp in milliseconds since the Unix epoch, as RFC 3339 (UTC, seconds);
/// beyond the year 9999, which RFC 3339 cannot write, as the number itself.
pub fn time(ms: u64) -> Value {
    if ms > LAST_RFC3339_MS {
        return Value::from(ms);
    }
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    Value::String(humantime::format_rfc3339_seconds(at).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_stays_text_and_binary_becomes_base64() {
        assert_eq!(bytes(b"caf\xc3\xa9"), json!("café"));
        assert_eq!(bytes(b"\xff\x00"), json!({"bytes": "/wA="}));
    }

    #[test]
    fn keys_are_read_as_given_or_in_base64() {
        let plain = KeyForm { key_base64: false };
        let coded = KeyForm { key_base64: true };
        assert_eq!(&*plain.bytes(OsStr::new("YQBi")).unwrap(), b"YQBi");
        assert_eq!(&*coded.bytes(OsStr::new("YQBi")).unwrap(), b"a\0b");
        let refused = coded.bytes(OsStr::new("not base64!")).unwrap_err();
        assert!(refused.to_string().contains("is not base64"), "{refused}");
    }

    #[test]
    fn times_are_rfc3339_until_the_year_9999() {
        assert_eq!(time(0), json!("1970-01-01T00:00:00Z"));
        assert_eq!(time(LAST_RFC3339_MS), json!("9999-12-31T23:59:59Z"));
        assert_eq!(time(u64::MAX), json!(u64::MAX));
    }
}
