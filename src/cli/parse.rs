//! Parsers for option values: durations (humantime syntax), TTLs and byte sizes.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::store::Ttl;

/// A positive duration such as `90s`, `10m` or `1h 30m`.
pub fn duration(option: &str, text: &str) -> Result<Duration> {
    let parsed = humantime::parse_duration(text.trim()).map_err(|e| {
        Error::usage_with_hint(
            format!("{option}: {text:?} is not a duration ({e})"),
            "write durations like 30s, 10m, 2h or 1day",
        )
    })?;
    if parsed.is_zero() {
        return Err(Error::usage(format!(
            "{option}: the duration must be longer than zero"
        )));
    }
    Ok(parsed)
}

/// A TTL: a duration, or `never`.
pub fn ttl(text: &str) -> Result<Ttl> {
    if text.trim().eq_ignore_ascii_case("never") {
        return Ok(Ttl::Never);
    }
    duration("--ttl", text).map(Ttl::After)
}

/// A byte size such as `512`, `64K`, `10MB` or `1.5GiB`.
pub fn size(option: &str, text: &str) -> Result<u64> {
    text.trim()
        .parse::<bytesize::ByteSize>()
        .map(|size| size.as_u64())
        .map_err(|e| {
            Error::usage_with_hint(
                format!("{option}: {text:?} is not a size ({e})"),
                "write sizes like 4096, 64K, 10MB or 1GiB",
            )
        })
}

/// A positive count.
pub fn count(option: &str, text: &str) -> Result<u64> {
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::usage(format!(
            "{option}: {text:?} is not a positive whole number"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("--ttl", "10m").unwrap(), Duration::from_secs(600));
        assert_eq!(
            duration("--ttl", "1h 30m").unwrap(),
            Duration::from_secs(5400)
        );
        for bad in ["", "10", "ten minutes", "0s", "-5s"] {
            assert!(duration("--ttl", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ttls() {
        assert_eq!(ttl("never").unwrap(), Ttl::Never);
        assert_eq!(ttl("2s").unwrap(), Ttl::After(Duration::from_secs(2)));
    }

    #[test]
    fn sizes() {
        assert_eq!(size("--max-bytes", "4096").unwrap(), 4096);
        assert_eq!(size("--max-bytes", "64KiB").unwrap(), 65536);
        assert_eq!(size("--max-bytes", "1MB").unwrap(), 1_000_000);
        for bad in ["", "lots", "-1", "1QB"] {
            assert!(size("--max-bytes", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn counts() {
        assert_eq!(count("--max-entries", "10").unwrap(), 10);
        for bad in ["0", "-1", "1.5", "many"] {
            assert!(count("--max-entries", bad).is_err(), "{bad:?}");
        }
    }
}
