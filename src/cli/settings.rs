//! The cache settings options `create` and `config` share, and how they print.

use std::time::Duration;

use clap::Args;
use serde_json::json;

use crate::autosync::Autosync;
use crate::cli::parse;
use crate::error::Result;
use crate::store::{CacheSettings, Ttl};

#[derive(Debug, Args)]
pub struct SettingArgs {
    /// Default time to live of entries (30s, 10m, 2h, 1day), or 'never'
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub ttl: Option<String>,
    /// Keep at most N entries, least recently used going first; 'none' lifts it
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub max_entries: Option<String>,
    /// Keep at most this many key and value bytes (4096, 64K = 64 KiB, 10MB = 10^7, 1GiB); 'none' lifts it
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub max_bytes: Option<String>,
    /// Autosync rules SECONDS:CHANGES[,...] or 'off'; 'default' follows the store's rules
    #[arg(long, value_name = "RULES", allow_hyphen_values = true)]
    pub autosync: Option<String>,
    /// fsync every write before the command returns
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub durable: Option<bool>,
    /// Check the files bound to the cache (`cacheman bind`) before every `get`
    /// and `has`, at the cost of a stat of each bound file
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub check_bindings: Option<bool>,
}

impl SettingArgs {
    /// Applies the options given to `settings`; options not given leave it as it is.
    pub fn apply(&self, settings: &mut CacheSettings) -> Result<()> {
        if let Some(ttl) = &self.ttl {
            settings.ttl_ms = match parse::ttl(ttl)? {
                Ttl::After(d) => Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                Ttl::Never | Ttl::CacheDefault => None,
            };
        }
        if let Some(n) = &self.max_entries {
            settings.max_entries = unless_none(n, |n| parse::count("--max-entries", n))?;
        }
        if let Some(b) = &self.max_bytes {
            settings.max_bytes = unless_none(b, |b| parse::size("--max-bytes", b))?;
        }
        if let Some(rules) = &self.autosync {
            settings.autosync = match rules.trim() {
                "default" => None,
                rules => Some(rules.parse()?),
            };
        }
        if let Some(durable) = self.durable {
            settings.durable = durable;
        }
        if let Some(check) = self.check_bindings {
            settings.check_bindings = check;
        }
        Ok(())
    }

    pub fn any(&self) -> bool {
        self.ttl.is_some()
            || self.max_entries.is_some()
            || self.max_bytes.is_some()
            || self.autosync.is_some()
            || self.durable.is_some()
            || self.check_bindings.is_some()
    }
}

fn unless_none(text: &str, parse: impl FnOnce(&str) -> Result<u64>) -> Result<Option<u64>> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    parse(text).map(Some)
}

pub fn human_ttl(ttl_ms: Option<u64>) -> String {
    ttl_ms.map_or("-".into(), |ms| {
        humantime::format_duration(Duration::from_millis(ms)).to_string()
    })
}

pub fn human_bytes(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).display().iec().to_string()
}

/// A size exactly, in the largest unit that divides it (binary first, as `K`
/// parses): `64K` reads back as `64 KiB`, `64KB` as `64 KB`, `1500` as `1500 B`.
pub fn exact_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
    let in_unit = |base: u64, suffix: &str| {
        (1..=UNITS.len() as u32).rev().find_map(|power| {
            let unit = base.checked_pow(power)?;
            bytes
                .is_multiple_of(unit)
                .then(|| format!("{} {}{suffix}", bytes / unit, UNITS[power as usize - 1]))
        })
    };
    match bytes {
        0 => "0 B".into(),
        _ => in_unit(1024, "iB")
            .or_else(|| in_unit(1000, "B"))
            .unwrap_or_else(|| format!("{bytes} B")),
    }
}

/// How a cache's autosync rules read: its own, or `default` when it follows the store's.
pub fn autosync_label(settings: &CacheSettings) -> String {
    settings
        .autosync
        .as_ref()
        .map_or("default".into(), Autosync::to_string)
}

/// The settings as JSON fields.
pub fn to_json(settings: &CacheSettings, effective: &Autosync) -> serde_json::Value {
    json!({
        "ttl_ms": settings.ttl_ms,
        "max_entries": settings.max_entries,
        "max_bytes": settings.max_bytes,
        "volatile": settings.volatile,
        "durable": settings.durable,
        "autosync": effective.to_string(),
        "autosync_is_default": settings.autosync.is_none(),
        "check_bindings": settings.check_bindings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_show_back_exactly() {
        for (bytes, shown) in [
            (65536, "64 KiB"),
            (64_000, "64 KB"),
            (1 << 20, "1 MiB"),
            (1_536, "1536 B"),
            (3_072, "3 KiB"),
            (1_500, "1500 B"),
            (15 << 60, "15 EiB"),
            (u64::MAX, "18446744073709551615 B"),
        ] {
            assert_eq!(exact_bytes(bytes), shown, "{bytes}");
        }
    }
}
