//! JSON forms of byte strings: a UTF-8 string as itself, anything else as
//! `{"bytes": "<base64>"}`, so binary keys and values survive the trip.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

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
    fn times_are_rfc3339_until_the_year_9999() {
        assert_eq!(time(0), json!("1970-01-01T00:00:00Z"));
        assert_eq!(time(LAST_RFC3339_MS), json!("9999-12-31T23:59:59Z"));
        assert_eq!(time(u64::MAX), json!(u64::MAX));
    }
}
