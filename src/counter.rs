//! The arithmetic of `incr`, the same on every engine: a stored value read as
//! a decimal integer, the increment added, a bad value or an overflow refused.

use crate::error::{Error, Result};
use crate::name::CacheName;

/// The value after adding `by` to `stored` (`None`: no live entry, 0). A
/// value that is not a decimal integer, or a sum past the 64-bit range, is
/// refused with the value's problem named.
pub(crate) fn add(cache: &CacheName, key: &[u8], stored: Option<&[u8]>, by: i64) -> Result<i64> {
    let current = match stored {
        None => 0,
        Some(bytes) => parse(bytes).map_err(|why| refuse(cache, key, why))?,
    };
    current.checked_add(by).ok_or_else(|| {
        refuse(
            cache,
            key,
            format!("{current} + {by} overflows a 64-bit integer"),
        )
    })
}

/// The error for a value `incr` cannot add to (exit 2: nothing was changed).
pub(crate) fn refuse(cache: &CacheName, key: &[u8], why: impl std::fmt::Display) -> Error {
    Error::usage(format!(
        "cannot increment key {} of cache '{cache}': {why}",
        String::from_utf8_lossy(key)
    ))
}

/// A decimal integer (an optional sign, then digits), or why not.
fn parse(bytes: &[u8]) -> Result<i64, String> {
    let shown = || {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned();
        format!("{text:?}{}", if bytes.len() > 40 { "..." } else { "" })
    };
    let text = std::str::from_utf8(bytes).map_err(|_| "the value is not text".to_string())?;
    text.parse::<i64>().map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
            format!("the value {} is out of the 64-bit range", shown())
        }
        _ => format!("the value {} is not a decimal integer", shown()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(stored: Option<&[u8]>, by: i64) -> Result<i64> {
        add(&CacheName::new("c").unwrap(), b"k", stored, by)
    }

    #[test]
    fn a_missing_value_counts_as_zero_and_a_sign_is_allowed() {
        assert_eq!(added(None, 5).unwrap(), 5);
        assert_eq!(added(Some(b"-7"), 2).unwrap(), -5);
        assert_eq!(added(Some(b"+7"), -2).unwrap(), 5);
    }

    #[test]
    fn bad_values_and_overflow_are_refused_with_the_problem_named() {
        let why = |r: Result<i64>| r.unwrap_err().to_string();
        assert!(why(added(Some(b"abc"), 1)).contains("\"abc\" is not a decimal integer"));
        assert!(why(added(Some(b" 1"), 1)).contains("not a decimal integer"));
        assert!(why(added(Some(b""), 1)).contains("not a decimal integer"));
        assert!(why(added(Some(b"99999999999999999999"), 1)).contains("out of the 64-bit range"));
        assert!(why(added(Some(b"9223372036854775807"), 1)).contains("overflows"));
        assert!(why(added(Some(&[0xff]), 1)).contains("not text"));
    }
}
