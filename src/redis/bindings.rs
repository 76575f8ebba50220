//! File bindings on Redis, per machine: bound paths are local paths, so each
//! host keeps its own bindings and fingerprints (a store-wide hash named
//! after the host, changed by compare-and-set), while a change found on any
//! machine invalidates the shared caches for everyone.

use std::collections::BTreeMap;

use crate::bindings::pattern::Pattern;
use crate::bindings::rebind::{Rebinding, plan_rebind, with_added, without};
use crate::bindings::{Binding, Finding, Rebound, Recorded};
use crate::error::Result;
use crate::name::CacheName;
use crate::store::{CacheSettings, InvalidateOptions, Invalidation};
use crate::watch::check::scan_skip;

use super::RedisStore;
use super::scripts;

/// This machine's host name (`localhost` when unknown): the name its
/// bindings are kept under unless the store was opened with another.
pub(super) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

impl RedisStore {
    fn bindings_key(&self) -> Vec<u8> {
        self.keys.store(&format!("bindings:{}", self.host))
    }

    /// One cache's binding on this machine, and its version.
    fn versioned_binding(&self, cache: &str) -> Result<(Option<Binding>, String)> {
        let (json, version): (Option<String>, Option<String>) = self.link.query(
            redis::cmd("HMGET")
                .arg(self.bindings_key())
                .arg(cache)
                .arg(format!("{cache}:v")),
        )?;
        let binding = match json {
            None => None,
            Some(json) => Some(serde_json::from_str(&json).map_err(|e| self.damaged(e))?),
        };
        Ok((binding, version.unwrap_or_else(|| "0".into())))
    }

    /// Replaces a binding if it is still at `version` (`None` removes it).
    fn swap_binding(&self, cache: &str, version: &str, new: Option<&Binding>) -> Result<bool> {
        let json = new
            .map(|b| serde_json::to_string(b).unwrap_or_default())
            .unwrap_or_default();
        self.link.run(
            &scripts::CAS,
            &[&self.bindings_key()],
            &[cache.as_bytes(), version.as_bytes(), json.as_bytes()],
        )
    }

    pub(crate) fn all_bindings(&self) -> Result<BTreeMap<String, Binding>> {
        let fields: BTreeMap<String, String> = self
            .link
            .query(redis::cmd("HGETALL").arg(self.bindings_key()))?;
        fields
            .into_iter()
            .filter(|(cache, _)| !cache.ends_with(":v"))
            .map(|(cache, json)| {
                let binding = serde_json::from_str(&json).map_err(|e| self.damaged(e))?;
                Ok((cache, binding))
            })
            .collect()
    }

    pub(crate) fn one_binding(&self, cache: &CacheName) -> Result<Option<Binding>> {
        Ok(self.versioned_binding(cache.as_str())?.0)
    }

    pub(crate) fn add_binding(&self, cache: &CacheName, patterns: &[Pattern]) -> Result<Rebound> {
        self.writable()?;
        self.make(cache, &CacheSettings::default(), true)?;
        self.rebind(cache, |current| with_added(current, patterns))
    }

    pub(crate) fn remove_binding(
        &self,
        cache: &CacheName,
        patterns: Option<&[Pattern]>,
    ) -> Result<Rebound> {
        self.writable()?;
        self.existing(cache)?;
        self.rebind(cache, |current| without(current, patterns))
    }

    /// Applies `edit` (current patterns -> the new ones and those changed).
    /// A change the old patterns show since their fingerprint invalidates
    /// the cache (with its dependents) before the new binding is stored, so
    /// a rebinding never hides one.
    fn rebind(
        &self,
        cache: &CacheName,
        edit: impl Fn(&[Pattern]) -> (Vec<Pattern>, Vec<Pattern>),
    ) -> Result<Rebound> {
        loop {
            let (old, version) = self.versioned_binding(cache.as_str())?;
            let skip = scan_skip(self);
            let Some(Rebinding {
                new,
                changed,
                old_changed,
            }) = plan_rebind(old.as_ref(), &edit, skip.as_deref())?
            else {
                return Ok(Rebound::default());
            };
            let invalidation = match old_changed {
                true => Some(self.invalidate_caches(std::slice::from_ref(cache), &cascade())?),
                false => None,
            };
            if self.swap_binding(cache.as_str(), &version, new.as_ref())? {
                return Ok(Rebound {
                    changed,
                    invalidation,
                });
            }
        }
    }

    /// Records the findings whose cache is still bound as compared (with
    /// `force`, a change is recorded if the patterns are): the changed
    /// caches are invalidated with their dependents in one new epoch, then
    /// each fingerprint is swapped in.
    pub(crate) fn record(&self, findings: Vec<Finding>, force: bool) -> Result<Recorded> {
        if findings.is_empty() {
            return Ok(Recorded::default());
        }
        self.writable()?;
        let mut current = Vec::new();
        let mut outdated = Vec::new();
        for finding in findings {
            let (stored, version) = self.versioned_binding(finding.cache.as_str())?;
            let still = stored
                .as_ref()
                .is_some_and(|stored| match force && finding.changed {
                    true => stored.patterns == finding.compared.patterns,
                    false => *stored == finding.compared,
                });
            match (stored, still, finding.changed) {
                (Some(stored), true, _) => current.push((finding, stored, version)),
                (Some(_), false, true) => outdated.push(finding.cache),
                _ => {}
            }
        }
        let roots: Vec<CacheName> = current
            .iter()
            .filter(|(f, _, _)| f.changed)
            .map(|(f, _, _)| f.cache.clone())
            .collect();
        let invalidated = match roots.is_empty() {
            true => Vec::new(),
            false => self.invalidate_each(&roots)?,
        };
        for (finding, stored, version) in current {
            let binding = Binding {
                fingerprint: finding.fingerprint,
                ..stored
            };
            // Another recorder got there first: what it stored stands.
            self.swap_binding(finding.cache.as_str(), &version, Some(&binding))?;
        }
        Ok(Recorded {
            invalidated,
            outdated,
        })
    }

    /// Invalidates `roots` with their dependents in one epoch, and says what
    /// each root's own cascade was.
    fn invalidate_each(&self, roots: &[CacheName]) -> Result<Vec<(CacheName, Invalidation)>> {
        let done = self.invalidate_caches(roots, &cascade())?;
        let graph = self.read_graph()?.0;
        roots
            .iter()
            .map(|root| {
                let caches = graph
                    .cascade([root.as_str()])
                    .iter()
                    .map(|name| CacheName::new(name))
                    .collect::<Result<Vec<_>>>()?;
                let invalidation = Invalidation {
                    caches,
                    keys: 0,
                    epoch: done.epoch,
                };
                Ok((root.clone(), invalidation))
            })
            .collect()
    }
}

/// A hard invalidation with cascade.
fn cascade() -> InvalidateOptions {
    InvalidateOptions {
        cascade: true,
        ..InvalidateOptions::default()
    }
}
