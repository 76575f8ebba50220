//! Rebinding as any store does it: the patterns a `bind` or `unbind` leaves,
//! and whether the old binding's files changed since its fingerprint (so a
//! rebinding never hides a change).

use std::path::Path;

use crate::bindings::Binding;
use crate::bindings::fingerprint::Scan;
use crate::bindings::pattern::{Pattern, compile_all};
use crate::error::Result;

/// `current` with `patterns` added (those naming a path already bound
/// left out), sorted, and the patterns added.
pub(crate) fn with_added(
    current: &[Pattern],
    patterns: &[Pattern],
) -> (Vec<Pattern>, Vec<Pattern>) {
    let mut added: Vec<Pattern> = Vec::new();
    for pattern in patterns {
        if !current.iter().chain(&added).any(|p| p.same_path(pattern)) {
            added.push(pattern.clone());
        }
    }
    let mut all = [current, &added[..]].concat();
    all.sort();
    (all, added)
}

/// `current` without the patterns naming the paths `patterns` name (all of
/// them with `None`), and the patterns removed.
pub(crate) fn without(
    current: &[Pattern],
    patterns: Option<&[Pattern]>,
) -> (Vec<Pattern>, Vec<Pattern>) {
    let gone = |p: &Pattern| patterns.is_none_or(|named| named.iter().any(|n| n.same_path(p)));
    current.iter().cloned().partition(|p| !gone(p))
}

/// An edit of a binding's patterns: the current ones -> the new ones and
/// those changed.
pub(crate) type Edit<'a> = dyn Fn(&[Pattern]) -> (Vec<Pattern>, Vec<Pattern>) + 'a;

/// What a rebinding comes to.
pub(crate) struct Rebinding {
    /// The new binding (`None`: no pattern is left).
    pub new: Option<Binding>,
    /// The patterns added or removed.
    pub changed: Vec<Pattern>,
    /// Whether the old binding's files changed since its fingerprint.
    pub old_changed: bool,
}

/// Applies `edit` (current patterns -> the new ones and those changed) to
/// `old`, scanning old and new patterns (leaving out `skip`, if any); `None` when
/// nothing changes.
pub(crate) fn plan_rebind(
    old: Option<&Binding>,
    edit: &Edit<'_>,
    skip: Option<&Path>,
) -> Result<Option<Rebinding>> {
    let old_patterns = old.map_or(&[][..], |b| &b.patterns[..]);
    let (patterns, changed) = edit(old_patterns);
    if changed.is_empty() {
        return Ok(None);
    }
    let mut scanned = [old_patterns, &patterns].concat();
    scanned.sort();
    scanned.dedup();
    let scan = Scan::of(&compile_all(&scanned)?, skip, &mut |_, _| {});
    let old_changed = old.is_some_and(|old| !scan.subset(&old.patterns).matches(&old.fingerprint));
    let new = (!patterns.is_empty()).then(|| Binding {
        fingerprint: scan.subset(&patterns).fingerprint(),
        patterns,
    });
    Ok(Some(Rebinding {
        new,
        changed,
        old_changed,
    }))
}
