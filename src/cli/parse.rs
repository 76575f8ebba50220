//! Parsers for option values: durations (humantime syntax), TTLs and byte sizes.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::store::Ttl;

/// Refuses a value written with a minus sign: every number cacheman takes
/// is zero or more.
fn not_negative(option: &str, text: &str) -> Result<()> {
    match is_negative(text) {
        true => Err(Error::usage(format!(
            "{option}: {text:?}: a negative value is not allowed"
        ))),
        false => Ok(()),
    }
}

fn is_negative(text: &str) -> bool {
    text.trim_start().starts_with('-')
}

/// An epoch token (from `cacheman epoch`), as clap's value parser.
pub fn token(text: &str) -> std::result::Result<u64, String> {
    if is_negative(text) {
        return Err("a negative value is not allowed".into());
    }
    text.trim()
        .parse()
        .map_err(|_| "a token is a whole number, as `cacheman epoch` prints".into())
}

/// A positive duration such as `90s`, `10m` or `1h 30m`.
pub fn duration(option: &str, text: &str) -> Result<Duration> {
    not_negative(option, text)?;
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

/// A positive byte size such as `512`, `64K`, `10MB` or `1.5GiB`: `K` and
/// `KiB` are 1024 bytes (as `du -h` and `ls -h` count), `KB` 1000; up to
/// `E`/`EiB`; below 16 EiB.
pub fn size(option: &str, text: &str) -> Result<u64> {
    not_negative(option, text)?;
    let bad = |why: String| {
        Error::usage_with_hint(
            format!("{option}: {text:?} {why}"),
            "write sizes like 4096, 64K (64 KiB), 10MB (10^7 bytes) or 1GiB",
        )
    };
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let multiplier = unit_bytes(unit.trim()).ok_or_else(|| {
        bad(format!(
            "is not a size: {:?} is not a unit (B, K, KB, KiB, M, MiB, ... EiB)",
            unit.trim()
        ))
    })?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        return Err(bad("is not a size".into()));
    }
    // Exact decimal arithmetic: (whole.fraction × multiplier), rounded down.
    let scale = 10u128.checked_pow(fraction.len() as u32);
    let bytes = format!("{whole}{fraction}")
        .parse::<u128>()
        .ok()
        .zip(scale)
        .and_then(|(n, scale)| n.checked_mul(u128::from(multiplier)).map(|n| n / scale))
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| bad("is too large: a size is below 16 EiB".into()))?;
    if bytes == 0 {
        return Err(Error::usage_with_hint(
            format!("{option}: the size must be more than zero"),
            "`cacheman clear CACHE` empties a cache",
        ));
    }
    Ok(bytes)
}

/// The bytes in one of a size's unit.
fn unit_bytes(unit: &str) -> Option<u64> {
    const UNITS: [(&str, &str, u32); 6] = [
        ("k", "ki", 1),
        ("m", "mi", 2),
        ("g", "gi", 3),
        ("t", "ti", 4),
        ("p", "pi", 5),
        ("e", "ei", 6),
    ];
    let unit = unit.to_ascii_lowercase();
    if unit.is_empty() || unit == "b" {
        return Some(1);
    }
    UNITS.iter().find_map(|&(letter, binary, power)| {
        if unit == letter || unit == binary || unit == format!("{binary}b") {
            Some(1024u64.pow(power))
        } else if unit == format!("{letter}b") {
            Some(1000u64.pow(power))
        } else {
            None
        }
    })
}

/// A positive count.
pub fn count(option: &str, text: &str) -> Result<u64> {
    not_negative(option, text)?;
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        Ok(_) => Err(Error::usage_with_hint(
            format!("{option}: the count must be more than zero"),
            "`cacheman clear CACHE` empties a cache",
        )),
        Err(_) => Err(Error::usage(format!(
            "{option}: {text:?} is not a positive whole number"
        ))),
    }
}

/// `--ttl` (default: the cache's) and `--stale`, which needs a `--ttl`
/// duration to start from.
pub fn ttl_and_stale(ttl: Option<&str>, stale: Option<&str>) -> Result<(Ttl, Option<Duration>)> {
    let ttl = ttl.map(self::ttl).transpose()?.unwrap_or(Ttl::CacheDefault);
    let stale = stale.map(|text| duration("--stale", text)).transpose()?;
    if stale.is_some() && !matches!(ttl, Ttl::After(_)) {
        return Err(Error::usage_with_hint(
            "--stale needs a --ttl duration to start from",
            "for example: --ttl 5s --stale 1h",
        ));
    }
    Ok((ttl, stale))
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
        let negative = duration("--ttl", "-5s").unwrap_err().to_string();
        assert!(
            negative.contains("a negative value is not allowed"),
            "{negative}"
        );
    }

    #[test]
    fn ttls() {
        assert_eq!(ttl("never").unwrap(), Ttl::Never);
        assert_eq!(ttl("2s").unwrap(), Ttl::After(Duration::from_secs(2)));
    }

    #[test]
    fn sizes() {
        for (text, bytes) in [
            ("4096", 4096),
            ("64K", 65536),
            ("64k", 65536),
            ("64KiB", 65536),
            ("64 kib", 65536),
            ("64KB", 64_000),
            ("1M", 1 << 20),
            ("1MB", 1_000_000),
            ("1.5GiB", 1_610_612_736),
            ("0.5K", 512),
            ("15EiB", 15 << 60),
            ("18446744073709551615", u64::MAX),
        ] {
            assert_eq!(size("--max-bytes", text).unwrap(), bytes, "{text:?}");
        }
        let error = |text: &str| size("--max-bytes", text).unwrap_err().to_string();
        for negative in ["-1", "-64K", " -0"] {
            assert!(error(negative).contains("negative"), "{negative:?}");
        }
        for bad in ["", "lots", "1QB", "1e3", ".5K", "1.2.3", "K"] {
            assert!(
                error(bad).contains("is not a size"),
                "{bad:?}: {}",
                error(bad)
            );
        }
        for huge in [
            "16EiB",
            "20000EiB",
            "99999999999999999999999",
            "18446744073709551616",
        ] {
            assert!(
                error(huge).contains("is too large"),
                "{huge:?}: {}",
                error(huge)
            );
        }
        for zero in ["0", "0K", "0.0001KB"] {
            assert!(
                error(zero).contains("more than zero"),
                "{zero:?}: {}",
                error(zero)
            );
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
