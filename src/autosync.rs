//! The autosync policy: Redis `save S C` rules. A cache syncs on its own when,
//! for some rule, at least `C` changes are pending and more than `S` seconds have
//! passed since its last successful sync.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One `save S C` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// More than this many seconds have passed since the last successful sync.
    pub seconds: u64,
    /// At least this many changes are pending.
    pub changes: u64,
}

/// A set of rules; no rules means autosync is off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Autosync {
    /// The rules; a sync is due when any of them holds.
    pub rules: Vec<Rule>,
}

impl Default for Autosync {
    /// (60 s, 10000), (300 s, 10), (900 s, 1), as in Redis.
    fn default() -> Autosync {
        Autosync {
            rules: vec![
                Rule {
                    seconds: 60,
                    changes: 10_000,
                },
                Rule {
                    seconds: 300,
                    changes: 10,
                },
                Rule {
                    seconds: 900,
                    changes: 1,
                },
            ],
        }
    }
}

impl Autosync {
    /// No rules: never sync on its own.
    pub fn off() -> Autosync {
        Autosync { rules: Vec::new() }
    }

    /// Whether there are no rules.
    pub fn is_off(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether a cache with `pending` unsynced changes, last synced at
    /// `last_sync_ms`, must sync at `now_ms`. Changes count with `>=`, seconds
    /// with a strict `>`, exactly as Redis's `save` does.
    pub fn due(&self, pending: u64, last_sync_ms: u64, now_ms: u64) -> bool {
        let elapsed = now_ms.saturating_sub(last_sync_ms);
        self.rules.iter().any(|rule| {
            pending > 0 && pending >= rule.changes && elapsed > rule.seconds.saturating_mul(1000)
        })
    }

    /// The earliest time a rule can fire if no more changes arrive, or `None`
    /// when none ever will. A timer sleeps until then.
    pub fn next_due_ms(&self, pending: u64, last_sync_ms: u64) -> Option<u64> {
        self.rules
            .iter()
            .filter(|rule| pending > 0 && pending >= rule.changes)
            .map(|rule| {
                last_sync_ms
                    .saturating_add(rule.seconds.saturating_mul(1000))
                    .saturating_add(1)
            })
            .min()
    }
}

impl fmt::Display for Autosync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_off() {
            return f.write_str("off");
        }
        let rules: Vec<String> = self
            .rules
            .iter()
            .map(|r| format!("{}:{}", r.seconds, r.changes))
            .collect();
        f.write_str(&rules.join(","))
    }
}

impl FromStr for Autosync {
    type Err = Error;

    /// `off`, or rules written `SECONDS:CHANGES[,SECONDS:CHANGES...]`.
    fn from_str(text: &str) -> Result<Autosync> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(Autosync::off());
        }
        let bad = |why: String| {
            Error::usage_with_hint(
                format!("--autosync: {text:?} {why}"),
                "write rules as SECONDS:CHANGES pairs, e.g. 60:10000,300:10,900:1, or 'off'",
            )
        };
        let mut rules = Vec::new();
        for part in text.split(',') {
            let (seconds, changes) = part
                .trim()
                .split_once(':')
                .ok_or_else(|| bad(format!("has a rule without ':' ({part:?})")))?;
            let number = |field: &str, what: &str| {
                field
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| bad(format!("has {what} {field:?} that is not a whole number")))
            };
            let rule = Rule {
                seconds: number(seconds, "seconds")?,
                changes: number(changes, "a change count")?,
            };
            if rule.changes == 0 {
                return Err(bad(
                    "has a rule with 0 changes; a rule needs at least 1".into()
                ));
            }
            rules.push(rule);
        }
        Ok(Autosync { rules })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    #[test]
    fn parses_and_prints_rules() {
        let rules: Autosync = "60:10000, 300:10,900:1".parse().unwrap();
        assert_eq!(rules, Autosync::default());
        assert_eq!(rules.to_string(), "60:10000,300:10,900:1");
        assert_eq!("OFF".parse::<Autosync>().unwrap(), Autosync::off());
        assert_eq!(Autosync::off().to_string(), "off");
        for bad in ["", "60", "60:", ":5", "a:b", "60:0", "60:-1", "60:1,,"] {
            assert!(bad.parse::<Autosync>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn seconds_are_strict_and_changes_inclusive() {
        let rules = Autosync::default();
        // One change: only the 900 s rule can fire, and only after more than 900 s.
        assert!(!rules.due(1, 0, 15 * MIN));
        assert!(rules.due(1, 0, 15 * MIN + 1));
        // Ten changes: the 300 s rule.
        assert!(!rules.due(10, 0, 5 * MIN));
        assert!(rules.due(10, 0, 5 * MIN + 1));
        assert!(!rules.due(9, 0, 5 * MIN + 1));
        // Ten thousand: the 60 s rule.
        assert!(rules.due(10_000, 0, MIN + 1));
        assert!(!rules.due(9_999, 0, MIN + 1));
    }

    #[test]
    fn nothing_pending_never_syncs_and_off_never_does() {
        assert!(!Autosync::default().due(0, 0, u64::MAX));
        assert!(!Autosync::off().due(u64::MAX, 0, u64::MAX));
        assert_eq!(Autosync::off().next_due_ms(5, 0), None);
    }

    #[test]
    fn elapsed_time_counts_from_the_last_sync() {
        let rules = Autosync::default();
        let last_sync = 100 * MIN;
        assert!(!rules.due(1, last_sync, last_sync + 15 * MIN));
        assert!(rules.due(1, last_sync, last_sync + 15 * MIN + 1));
        assert_eq!(
            rules.next_due_ms(1, last_sync),
            Some(last_sync + 15 * MIN + 1)
        );
        assert_eq!(
            rules.next_due_ms(10, last_sync),
            Some(last_sync + 5 * MIN + 1)
        );
        assert_eq!(rules.next_due_ms(0, last_sync), None);
    }
}
