//! Percent-encoding, as URLs use it.

use super::parse::bad;
use crate::error::Result;

/// Percent-decodes `text` (the `what` of a URL).
pub(super) fn decode(text: &str, what: &str) -> Result<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'%' {
            out.push(bytes[at]);
            at += 1;
            continue;
        }
        let byte = text
            .get(at + 1..at + 3)
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            .ok_or_else(|| bad(&format!("a bad percent-escape in the {what}")))?;
        out.push(byte);
        at += 3;
    }
    Ok(out)
}

/// Percent-encodes all but unreserved characters and those in `keep`.
pub(super) fn encode(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
