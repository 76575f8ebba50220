//! `verify` and `repair` on Redis: each entry of a cache read back in bounded
//! pipelines (its header, then its chunks one at a time against their
//! hashes), the key index against the entries a scan finds, the settings,
//! the graph and the log of cluster cascades.

use std::collections::BTreeSet;

use redis::Value as Reply;
use serde::Deserialize;

use crate::error::Result;
use crate::graph::Graph;
use crate::name::CacheName;
use crate::reporter::Progress;
use crate::store::{CacheCheck, CacheSettings};

use super::RedisStore;
use super::chunks::Chunks;
use super::data::BATCH;
use super::entry::{Floors, Freshness, HEADER_LEN, Header};
use super::scripts;
use super::write::settings_json;

/// Names asked of the server per step of a scan.
const SCAN_COUNT: &str = "1000";

/// What a logged cascade says of its client's lease (the rest is not read).
#[derive(Deserialize)]
struct Leased {
    until_ms: u64,
}

/// A damaged entry: its key, what is wrong with it, and how it was seen
/// (its header's bytes as read; `None`: its key holds another type of value).
type Damage = (Vec<u8>, String, Option<Vec<u8>>);

/// What a survey of one cache found.
struct Survey {
    /// The keys that have an entry.
    entries: BTreeSet<Vec<u8>>,
    /// The damaged entries.
    damaged: Vec<Damage>,
    /// Keys with an entry the key index lacks.
    unindexed: Vec<Vec<u8>>,
    /// What is wrong with the settings, if anything.
    settings: Option<String>,
}

impl RedisStore {
    /// The graph and the cascade log, checked.
    pub(crate) fn check_store(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let json: Option<String> = self.link.query(
            redis::cmd("HGET")
                .arg(self.keys.store("state"))
                .arg("graph"),
        )?;
        if let Some(Err(e)) = json.map(|j| serde_json::from_str::<Graph>(&j)) {
            problems.push(format!("the dependency graph does not decode: {e}"));
        }
        for (epoch, leased) in self.cascade_log()? {
            problems.push(match leased {
                Some(until) if until > self.now() => continue,
                Some(_) => format!(
                    "the cascade logged at epoch {epoch} was left unfinished (its client's lease ran out): `cacheman repair CACHE` finishes it"
                ),
                None => format!("the cascade logged at epoch {epoch} does not decode"),
            });
        }
        Ok(problems)
    }

    /// Each logged cascade's epoch and the end of its lease (`None`: the
    /// record does not decode).
    fn cascade_log(&self) -> Result<Vec<(String, Option<u64>)>> {
        let log: Vec<(String, String)> = self
            .link
            .query(redis::cmd("HGETALL").arg(self.keys.store("cascades")))?;
        Ok(log
            .into_iter()
            .map(|(epoch, record)| {
                let leased = serde_json::from_str::<Leased>(&record).ok();
                (epoch, leased.map(|l| l.until_ms))
            })
            .collect())
    }

    /// Checks one cache: its settings, every entry, and its key index.
    pub(crate) fn check_cache(
        &self,
        cache: &CacheName,
        progress: &dyn Progress,
    ) -> Result<CacheCheck> {
        let survey = self.survey(cache, progress)?;
        let mut problems: Vec<String> = survey.settings.into_iter().collect();
        for (key, problem, _) in &survey.damaged {
            problems.push(format!("key {}: {problem}", shown(key)));
        }
        for key in &survey.unindexed {
            problems.push(format!(
                "key {}: it has an entry, but the key index lacks it",
                shown(key)
            ));
        }
        Ok(CacheCheck {
            entries: survey.entries.len() as u64,
            problems,
        })
    }

    /// Mends one cache: finishes the cascades whose client's lease ran out,
    /// drops the damaged entries (as a miss would), puts back in the key
    /// index the entries it lacks, and resets damaged settings to the
    /// defaults. Says what it did.
    pub(crate) fn mend_cache(
        &self,
        cache: &CacheName,
        progress: &dyn Progress,
    ) -> Result<Vec<String>> {
        self.writable()?;
        let mut done = self.finish_cascades()?;
        let survey = self.survey(cache, progress)?;
        let name = cache.as_str();
        if let Some(problem) = survey.settings {
            let json = settings_json(&CacheSettings::default());
            self.link.query::<()>(
                redis::cmd("HSET")
                    .arg(self.keys.cache(name, "meta"))
                    .arg("settings")
                    .arg(json),
            )?;
            done.push(format!("{problem}: reset them to the defaults"));
        }
        for batch in survey.damaged.chunks(BATCH) {
            self.drop_seen(name, batch)?;
        }
        for (key, problem, _) in &survey.damaged {
            done.push(format!("dropped key {}: {problem}", shown(key)));
        }
        for batch in survey.unindexed.chunks(BATCH) {
            let mut pipe = redis::pipe();
            for key in batch {
                let idx = self.keys.cache(name, "idx");
                pipe.cmd("ZADD").arg(idx).arg(0).arg(key);
            }
            self.link.pipe::<()>(&pipe)?;
        }
        for key in &survey.unindexed {
            done.push(format!("put key {} back in the key index", shown(key)));
        }
        Ok(done)
    }

    /// Drops damaged entries, each only if it is still as the survey saw it:
    /// one a writer replaced since is left alone (compare-and-delete, as
    /// `gc` deletes).
    fn drop_seen(&self, cache: &str, batch: &[Damage]) -> Result<()> {
        let mut call = scripts::DROP_SEEN.prepare_invoke();
        call.key(self.keys.cache(cache, "idx"))
            .key(self.keys.cache(cache, "lru"));
        for (key, _, seen) in batch {
            call.key(self.keys.entry(cache, key)).arg(key);
            match seen {
                Some(head) => call.arg("entry").arg(head),
                None => call.arg("other").arg(""),
            };
        }
        self.link.eval::<u64>(&call).map(drop)
    }

    /// Finishes the logged cascades whose client's lease ran out; says which.
    fn finish_cascades(&self) -> Result<Vec<String>> {
        let due: Vec<String> = self
            .cascade_log()?
            .into_iter()
            .filter(|(_, until)| until.is_some_and(|u| u <= self.now()))
            .map(|(epoch, _)| epoch)
            .collect();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        self.finish_abandoned()?;
        Ok(due
            .iter()
            .map(|epoch| format!("finished the cascade abandoned at epoch {epoch}"))
            .collect())
    }

    /// Reads back every entry of a cache (those in its key index and those
    /// a scan finds), and its settings.
    fn survey(&self, cache: &CacheName, progress: &dyn Progress) -> Result<Survey> {
        let name = cache.as_str();
        let meta = self.keys.cache(name, "meta");
        let settings: Option<String> = self
            .link
            .query(redis::cmd("HGET").arg(&meta).arg("settings"))?;
        let settings = match settings.map(|s| serde_json::from_str::<CacheSettings>(&s)) {
            None => Some("its settings are missing".to_string()),
            Some(Err(e)) => Some(format!("its settings do not decode ({e})")),
            Some(Ok(_)) => None,
        };
        let indexed: BTreeSet<Vec<u8>> = self.indexed(name)?.into_iter().collect();
        let scanned = self.scan_entries(name)?;
        let every: Vec<Vec<u8>> = indexed.union(&scanned).cloned().collect();
        let (floors, _) = self.floors(name)?;
        let mut survey = Survey {
            entries: BTreeSet::new(),
            damaged: Vec::new(),
            unindexed: Vec::new(),
            settings,
        };
        for batch in every.chunks(BATCH) {
            self.survey_batch(name, batch, &floors, &indexed, &mut survey)?;
            progress.inc(batch.len() as u64);
        }
        Ok(survey)
    }

    /// Reads the headers of `batch` in one pipeline, then checks each entry.
    fn survey_batch(
        &self,
        cache: &str,
        batch: &[Vec<u8>],
        floors: &Floors,
        indexed: &BTreeSet<Vec<u8>>,
        survey: &mut Survey,
    ) -> Result<()> {
        let mut pipe = redis::pipe();
        for key in batch {
            let entry = self.keys.entry(cache, key);
            pipe.cmd("GETRANGE").arg(&entry).arg(0).arg(HEADER_LEN - 1);
            pipe.cmd("STRLEN").arg(&entry);
        }
        let replies = self.link.pipe_each(&pipe)?;
        for (key, pair) in batch.iter().zip(replies.chunks(2)) {
            let display = &self.link.display;
            if let Some(problem) = pair.iter().find_map(|r| server_error(r, display)) {
                survey.entries.insert(key.clone());
                survey.damaged.push((key.clone(), problem?, None));
                continue;
            }
            let head: Vec<u8> =
                redis::from_redis_value(pair[0].clone()).map_err(|e| self.damaged(e))?;
            let whole: u64 =
                redis::from_redis_value(pair[1].clone()).map_err(|e| self.damaged(e))?;
            if whole == 0 {
                continue; // indexed, but expired (gc drops it from the index)
            }
            survey.entries.insert(key.clone());
            if let Err(problem) = self.check_entry(cache, key, &head, whole, floors)? {
                survey.damaged.push((key.clone(), problem, Some(head)));
                continue;
            }
            if !indexed.contains(key) {
                survey.unindexed.push(key.clone());
            }
        }
        Ok(())
    }

    /// Checks one entry of `whole` bytes starting with `head`: its header
    /// decodes, and (unless it is invalid anyway) its value is whole; what
    /// is wrong, if anything.
    fn check_entry(
        &self,
        cache: &str,
        key: &[u8],
        head: &[u8],
        whole: u64,
        floors: &Floors,
    ) -> Result<std::result::Result<(), String>> {
        let Some((header, chunked)) = Header::decode(head) else {
            return Ok(Err(format!(
                "its header does not decode ({} bytes, {})",
                head.len(),
                match head.first() {
                    Some(&v) if head.len() == HEADER_LEN => format!("version byte {v}"),
                    _ => format!("a header is {HEADER_LEN}"),
                }
            )));
        };
        if header.judge(floors, self.now()) == Freshness::Invalid {
            return Ok(Ok(()));
        }
        let inline = whole.saturating_sub(HEADER_LEN as u64);
        let problem = match chunked {
            false if inline != header.len => Some(format!(
                "its value is {inline} bytes, its header says {}",
                header.len
            )),
            false => None,
            true => {
                let bytes: Option<Vec<u8>> = self
                    .link
                    .query(redis::cmd("GET").arg(self.keys.entry(cache, key)))?;
                let list = bytes.as_deref().and_then(|b| b.get(HEADER_LEN..));
                match list.and_then(Chunks::decode) {
                    None => Some("its list of chunks does not decode".to_string()),
                    Some(chunks) => self.check_chunks(cache, &chunks, header.len)?,
                }
            }
        };
        Ok(problem.map_or(Ok(()), Err))
    }

    /// Reads a value's chunks one at a time, each against its hash, and
    /// the whole against the value's hash and length.
    fn check_chunks(&self, cache: &str, chunks: &Chunks, len: u64) -> Result<Option<String>> {
        let mut whole = blake3::Hasher::new();
        let mut read = 0;
        for id in &chunks.ids {
            let hex = blake3::Hash::from(*id).to_hex();
            let bytes: Option<Vec<u8>> = self
                .link
                .query(redis::cmd("GET").arg(self.keys.chunk(cache, id)))?;
            let Some(bytes) = bytes else {
                return Ok(Some(format!("chunk {hex} is missing")));
            };
            if blake3::hash(&bytes).as_bytes() != id {
                return Ok(Some(format!(
                    "chunk {hex} is damaged (its content hashes to something else)"
                )));
            }
            whole.update(&bytes);
            read += bytes.len() as u64;
        }
        Ok(
            match (read == len, whole.finalize().as_bytes() == &chunks.whole) {
                (false, _) => Some(format!(
                    "its chunks hold {read} bytes, its header says {len}"
                )),
                (true, false) => Some("its chunks do not make the value it names".to_string()),
                (true, true) => None,
            },
        )
    }

    /// The keys of every entry of a cache on the server, found by a scan
    /// of its slot's node.
    fn scan_entries(&self, cache: &str) -> Result<BTreeSet<Vec<u8>>> {
        let prefix = self.keys.entry(cache, b"");
        let mut pattern = Vec::with_capacity(prefix.len() + 1);
        for &byte in &prefix {
            if matches!(byte, b'*' | b'?' | b'[' | b']' | b'\\') {
                pattern.push(b'\\');
            }
            pattern.push(byte);
        }
        pattern.push(b'*');
        let meta = self.keys.cache(cache, "meta");
        let mut found = BTreeSet::new();
        let mut cursor = "0".to_string();
        loop {
            let (next, names): (String, Vec<Vec<u8>>) = self.link.run(
                &scripts::SCAN,
                &[&meta],
                &[cursor.as_bytes(), &pattern, SCAN_COUNT.as_bytes()],
            )?;
            found.extend(
                names
                    .into_iter()
                    .filter_map(|n| n.strip_prefix(prefix.as_slice()).map(<[u8]>::to_vec)),
            );
            if next == "0" {
                return Ok(found);
            }
            cursor = next;
        }
    }
}

/// What is wrong with an entry whose key holds another type of value, or
/// the error of another failed read.
fn server_error(reply: &Reply, display: &str) -> Option<Result<String>> {
    match reply {
        Reply::ServerError(e) if e.code() == "WRONGTYPE" => Some(Ok(
            "it is not an entry (its key holds another type of value)".to_string(),
        )),
        Reply::ServerError(e) => Some(Err(super::link::backend(
            display,
            &redis::RedisError::from(e.clone()),
        ))),
        _ => None,
    }
}

/// A key as a problem names it.
fn shown(key: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(key))
}
