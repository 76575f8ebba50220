//! The store manifest: the store's default autosync rules, every cache's
//! settings, the dependency graph, and the invalidation epochs. It is one
//! document, replaced atomically under the store lock, so a change to it (a
//! whole cascade of invalidations, say) is all-or-nothing.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::local::codec;
use crate::local::format::{FileKind, PREAMBLE_LEN};
use crate::local::frame::{self, Parsed};

use crate::autosync::Autosync;
use crate::bindings::Binding;
use crate::entry::Entry;
use crate::graph::Graph;
use crate::store::CacheSettings;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The rules for caches that have none of their own.
    pub autosync: Autosync,
    /// The store's epoch: entries are written in the current one, and every
    /// invalidation starts a new one.
    pub epoch: u64,
    pub caches: BTreeMap<String, CacheSettings>,
    pub graph: Graph,
    /// Per cache, where its invalid and stale entries end.
    pub invalidated: BTreeMap<String, Invalidated>,
    /// Per cache, the files it is bound to (`cacheman bind`).
    pub bindings: BTreeMap<String, Binding>,
    /// The folder holding the volatile caches, recorded when the first one is
    /// made (`None` before, and in a store written by an older version).
    pub runtime: Option<PathBuf>,
}

/// Entries written in an epoch before `hard` are invalid (misses, dropped at the
/// next sync); before `soft`, stale (served only to callers that accept stale).
/// `keys` is the epoch of the last invalidation of some of its keys: a write
/// conditional on an older token is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invalidated {
    pub hard: u64,
    pub soft: u64,
    pub keys: u64,
}

/// What an entry is worth to a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    Stale,
    Invalid,
}

impl Invalidated {
    /// The epoch of the latest invalidation of any kind.
    pub fn latest(&self) -> u64 {
        self.hard.max(self.soft).max(self.keys)
    }

    pub fn judge(&self, entry: &Entry, now_ms: u64) -> Freshness {
        if entry.is_expired(now_ms) || entry.epoch < self.hard {
            Freshness::Invalid
        } else if entry.stale || entry.epoch < self.soft {
            Freshness::Stale
        } else {
            Freshness::Fresh
        }
    }
}

impl Manifest {
    pub fn invalidated(&self, cache: &str) -> Invalidated {
        self.invalidated.get(cache).copied().unwrap_or_default()
    }

    /// Starts a new epoch and invalidates `caches` whole in it (hard, no
    /// cascade: pass the cascade); returns the epoch.
    pub fn invalidate_hard<'a>(&mut self, caches: impl IntoIterator<Item = &'a str>) -> u64 {
        self.epoch = self.epoch.saturating_add(1);
        for name in caches {
            self.invalidated.entry(name.to_string()).or_default().hard = self.epoch;
        }
        self.epoch
    }
}

/// One cache as a reader needs it: enough to find and judge its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRecord {
    pub settings: CacheSettings,
    pub invalidated: Invalidated,
    /// The store's default rules and epoch, as in the whole manifest.
    pub autosync: Autosync,
    pub epoch: u64,
    /// The store's volatile folder, as in the whole manifest.
    pub runtime: Option<PathBuf>,
}

/// The first frame's fields: default autosync rules, epoch, volatile folder.
type StoreFields = (Autosync, u64, Option<PathBuf>);

/// The manifest version without a recorded volatile folder (first frame
/// `(autosync, epoch)`), which every version of cacheman reads; a manifest
/// that records one is version 2 (first frame `(autosync, epoch, folder)`),
/// which an older cacheman refuses instead of looking elsewhere.
const VERSION_WITHOUT_RUNTIME: u32 = 1;

/// Encodes the first frame in the form its version has.
fn encode_fields(autosync: &Autosync, epoch: u64, runtime: Option<&Path>) -> Vec<u8> {
    match runtime {
        None => codec::encode(&(autosync, epoch)),
        Some(path) => codec::encode(&(autosync, epoch, path.as_os_str().as_bytes())),
    }
}

/// Decodes the first frame of either version (each fills the body exactly,
/// so one never reads as the other).
fn decode_fields(body: &[u8]) -> std::result::Result<StoreFields, String> {
    if let Ok((autosync, epoch, path)) = codec::decode::<(Autosync, u64, Vec<u8>)>(body) {
        return Ok((
            autosync,
            epoch,
            Some(PathBuf::from(OsString::from_vec(path))),
        ));
    }
    codec::decode::<(Autosync, u64)>(body).map(|(autosync, epoch)| (autosync, epoch, None))
}

// The file: preamble, then four frames. The first holds the store-wide fields,
// the second a table of caches sorted by name (`name_len u16 | name | len u32 |
// encoded (settings, invalidated)` each), the third the graph, the fourth the
// file bindings. A reader looking for one cache checks and scans the first two
// and decodes one record, instead of decoding every cache, edge and binding of
// a large store.

impl Manifest {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        FileKind::Manifest.push_preamble(&mut out);
        if self.runtime.is_none() {
            out[8..PREAMBLE_LEN].copy_from_slice(&VERSION_WITHOUT_RUNTIME.to_le_bytes());
        }
        let fields = encode_fields(&self.autosync, self.epoch, self.runtime.as_deref());
        frame::push(&fields, &mut out);
        let mut table = Vec::new();
        for (name, settings) in &self.caches {
            let record = codec::encode(&(settings, self.invalidated(name)));
            table.extend_from_slice(&(name.len() as u16).to_le_bytes());
            table.extend_from_slice(name.as_bytes());
            table.extend_from_slice(&(record.len() as u32).to_le_bytes());
            table.extend_from_slice(&record);
        }
        frame::push(&table, &mut out);
        frame::push(&codec::encode(&self.graph), &mut out);
        frame::push(&codec::encode(&self.bindings), &mut out);
        out
    }

    pub fn decode(bytes: &[u8], path: &Path) -> Result<Manifest> {
        let mut frames = Frames::new(bytes, path)?;
        let (autosync, epoch, runtime) = frames.decode_fields()?;
        let mut manifest = Manifest {
            autosync,
            epoch,
            runtime,
            ..Manifest::default()
        };
        let (table, at) = frames.next()?;
        for (name, record) in table_rows(table, at, path) {
            let (name, record) = (name?, record?);
            let (settings, invalidated): (CacheSettings, Invalidated) =
                codec::decode(record).map_err(|reason| Error::corrupt(path, at, reason))?;
            if invalidated != Invalidated::default() {
                manifest.invalidated.insert(name.to_string(), invalidated);
            }
            manifest.caches.insert(name.to_string(), settings);
        }
        manifest.graph = frames.decode_next()?;
        manifest.bindings = frames.decode_next()?;
        frames.finish()?;
        Ok(manifest)
    }

    /// The store's default autosync rules and epoch, decoding nothing else
    /// (every frame's checksum is still verified).
    pub fn store_fields(bytes: &[u8], path: &Path) -> Result<(Autosync, u64)> {
        let mut frames = Frames::new(bytes, path)?;
        let (autosync, epoch, _) = frames.decode_fields()?;
        frames.next()?;
        frames.next()?;
        frames.next()?;
        frames.finish()?;
        Ok((autosync, epoch))
    }

    /// One cache's record, without decoding the others or the graph (whose
    /// checksums are still verified).
    pub fn find(bytes: &[u8], path: &Path, name: &str) -> Result<Option<CacheRecord>> {
        let mut frames = Frames::new(bytes, path)?;
        let (autosync, epoch, runtime) = frames.decode_fields()?;
        let (table, at) = frames.next()?;
        frames.next()?;
        frames.next()?;
        frames.finish()?;
        for (found, record) in table_rows(table, at, path) {
            if found? != name {
                continue;
            }
            let (settings, invalidated) =
                codec::decode(record?).map_err(|reason| Error::corrupt(path, at, reason))?;
            return Ok(Some(CacheRecord {
                settings,
                invalidated,
                autosync,
                epoch,
                runtime,
            }));
        }
        Ok(None)
    }

    /// One cache's file bindings, decoding only the bindings frame.
    pub fn find_binding(bytes: &[u8], path: &Path, name: &str) -> Result<Option<Binding>> {
        let mut frames = Frames::new(bytes, path)?;
        for _ in 0..3 {
            frames.next()?;
        }
        let mut bindings: BTreeMap<String, Binding> = frames.decode_next()?;
        frames.finish()?;
        Ok(bindings.remove(name))
    }
}

/// What a damaged manifest still holds: each of its four frames that reads
/// back whole (`None` for a damaged one).
#[derive(Debug, Default)]
pub struct Salvage {
    /// The store's default autosync rules and epoch.
    pub store_fields: Option<(Autosync, u64)>,
    /// The volatile folder, when the first frame is whole and records one.
    pub runtime: Option<PathBuf>,
    /// Every cache's settings and invalidation floors.
    pub caches: Option<BTreeMap<String, (CacheSettings, Invalidated)>>,
    pub graph: Option<Graph>,
    pub bindings: Option<BTreeMap<String, Binding>>,
}

impl Manifest {
    /// Reads what is whole in a damaged manifest: frames from the front, each
    /// after the last up to the first damaged one, then from the back (a
    /// frame's trailing length finds its start) down to that one. A frame is
    /// kept only when its checksum matches and its body decodes.
    pub fn salvage(bytes: &[u8]) -> Salvage {
        let mut bodies: [Option<&[u8]>; 4] = [None; 4];
        let mut front = PREAMBLE_LEN;
        for body in bodies.iter_mut() {
            match frame::parse(bytes, front) {
                Parsed::Record { body: found, end } => {
                    *body = Some(found);
                    front = end;
                }
                _ => break,
            }
        }
        let mut back = bytes.len();
        for body in bodies.iter_mut().rev().take_while(|body| body.is_none()) {
            let Some(start) = back
                .checked_sub(4)
                .and_then(|at| bytes.get(at..back))
                .map(|len| u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize)
                .and_then(|len| back.checked_sub(len.checked_add(frame::OVERHEAD)?))
                .filter(|&start| start >= front)
            else {
                break;
            };
            match frame::parse(bytes, start) {
                Parsed::Record { body: found, end } if end == back => {
                    *body = Some(found);
                    back = start;
                }
                _ => break,
            }
        }
        let [store_fields, caches, graph, bindings] = bodies;
        fn decode<T: serde::de::DeserializeOwned>(body: Option<&[u8]>) -> Option<T> {
            codec::decode(body?).ok()
        }
        let fields = store_fields.and_then(|body| decode_fields(body).ok());
        Salvage {
            store_fields: fields.clone().map(|(autosync, epoch, _)| (autosync, epoch)),
            runtime: fields.and_then(|(_, _, runtime)| runtime),
            caches: caches.and_then(|table| {
                let path = Path::new("");
                table_rows(table, 0, path)
                    .map(|(name, record)| {
                        let record = codec::decode(record.ok()?).ok()?;
                        Some((name.ok()?.to_string(), record))
                    })
                    .collect()
            }),
            graph: decode(graph),
            bindings: decode(bindings),
        }
    }
}

/// The frames of a manifest, in order.
struct Frames<'a> {
    bytes: &'a [u8],
    path: &'a Path,
    at: usize,
}

impl<'a> Frames<'a> {
    fn new(bytes: &'a [u8], path: &'a Path) -> Result<Frames<'a>> {
        FileKind::Manifest.check_preamble(bytes, path)?;
        Ok(Frames {
            bytes,
            path,
            at: PREAMBLE_LEN,
        })
    }

    /// The next frame's body and its offset.
    fn next(&mut self) -> Result<(&'a [u8], u64)> {
        let at = self.at as u64;
        match frame::parse(self.bytes, self.at) {
            Parsed::Record { body, end } => {
                self.at = end;
                Ok((body, at))
            }
            Parsed::End => Err(Error::corrupt(self.path, at, "the manifest ends early")),
            Parsed::Torn(reason) => Err(Error::corrupt(self.path, at, reason)),
        }
    }

    fn decode_next<T: serde::de::DeserializeOwned>(&mut self) -> Result<T> {
        let (body, at) = self.next()?;
        codec::decode(body).map_err(|reason| Error::corrupt(self.path, at, reason))
    }

    /// The first frame, of either version.
    fn decode_fields(&mut self) -> Result<StoreFields> {
        let (body, at) = self.next()?;
        decode_fields(body).map_err(|reason| Error::corrupt(self.path, at, reason))
    }

    fn finish(&self) -> Result<()> {
        match self.at == self.bytes.len() {
            true => Ok(()),
            false => Err(Error::corrupt(
                self.path,
                self.at as u64,
                "trailing bytes after the manifest",
            )),
        }
    }
}

/// The rows of the cache table: each name and its still-encoded record.
fn table_rows<'a>(
    table: &'a [u8],
    at: u64,
    path: &'a Path,
) -> impl Iterator<Item = (Result<&'a str>, Result<&'a [u8]>)> + 'a {
    let mut rest = table;
    let damaged = move || Error::corrupt(path, at, "the cache table is malformed");
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let row = (|| {
            let name_len = usize::from(u16::from_le_bytes(rest.get(..2)?.try_into().ok()?));
            let name = std::str::from_utf8(rest.get(2..2 + name_len)?).ok()?;
            let at_len = 2 + name_len;
            let record_len =
                u32::from_le_bytes(rest.get(at_len..at_len + 4)?.try_into().ok()?) as usize;
            let record = rest.get(at_len + 4..at_len + 4 + record_len)?;
            rest = &rest[at_len + 4 + record_len..];
            Some((name, record))
        })();
        Some(match row {
            Some((name, record)) => (Ok(name), Ok(record)),
            None => {
                rest = &[];
                (Err(damaged()), Err(damaged()))
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        let mut manifest = Manifest {
            epoch: 7,
            ..Manifest::default()
        };
        for name in ["a", "b"] {
            manifest
                .caches
                .insert(name.into(), CacheSettings::default());
        }
        manifest.invalidated.insert(
            "a".into(),
            Invalidated {
                hard: 5,
                soft: 6,
                keys: 0,
            },
        );
        manifest.graph.add("a", "b").unwrap();
        manifest.bindings.insert("b".into(), Binding::default());
        manifest
    }

    /// Where each of the four frames of `bytes` starts.
    fn frame_starts(bytes: &[u8]) -> Vec<usize> {
        let mut starts = vec![PREAMBLE_LEN];
        while starts.len() < 4 {
            let at = starts[starts.len() - 1];
            starts.push(at + frame::OVERHEAD + frame::u32_at(bytes, at) as usize);
        }
        starts
    }

    #[test]
    fn salvage_keeps_every_frame_but_the_damaged_one() {
        let whole = manifest();
        let bytes = whole.encode();
        for (damaged, start) in frame_starts(&bytes).into_iter().enumerate() {
            // The leading length, the checksum, and the body.
            for offset in [0, 5, 9] {
                let mut bytes = bytes.clone();
                bytes[start + offset] ^= 1;
                let salvage = Manifest::salvage(&bytes);
                let found = [
                    salvage.store_fields.is_some(),
                    salvage.caches.is_some(),
                    salvage.graph.is_some(),
                    salvage.bindings.is_some(),
                ];
                let expected: Vec<bool> = (0..4).map(|n| n != damaged).collect();
                assert_eq!(found.to_vec(), expected, "frame {damaged}, offset {offset}");
                if let Some(caches) = salvage.caches {
                    assert_eq!(caches["a"].1, whole.invalidated("a"));
                    assert_eq!(caches.len(), 2);
                }
                if let Some((_, epoch)) = salvage.store_fields {
                    assert_eq!(epoch, 7);
                }
                if let Some(graph) = salvage.graph {
                    assert_eq!(graph, whole.graph);
                }
            }
        }
    }

    #[test]
    fn the_volatile_folder_is_recorded_in_version_2_and_read_back() {
        let plain = manifest().encode();
        assert_eq!(
            frame::u32_at(&plain, 8),
            1,
            "no folder: readable by older versions"
        );
        let mut with_folder = manifest();
        with_folder.runtime = Some(PathBuf::from("/run/user/7/cacheman-0123456789abcdef"));
        let bytes = with_folder.encode();
        assert_eq!(frame::u32_at(&bytes, 8), 2);
        let path = Path::new("manifest");
        assert_eq!(Manifest::decode(&bytes, path).unwrap(), with_folder);
        assert_eq!(Manifest::decode(&plain, path).unwrap(), manifest());
        let found = Manifest::find(&bytes, path, "a").unwrap().unwrap();
        assert_eq!(found.runtime, with_folder.runtime);
        assert_eq!(Manifest::store_fields(&bytes, path).unwrap().1, 7);
        assert_eq!(Manifest::salvage(&bytes).runtime, with_folder.runtime);
    }

    #[test]
    fn salvage_of_nothing_finds_nothing() {
        for bytes in [&b""[..], &[0; 100], &manifest().encode()[..30]] {
            let salvage = Manifest::salvage(bytes);
            assert!(salvage.caches.is_none() && salvage.graph.is_none());
        }
    }
}
