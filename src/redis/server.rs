//! What the engine learns about the server at connect: its version, its
//! clock (an offset to `TIME`), its persistence and eviction settings, and
//! the refusal of an eviction policy that could drop the bookkeeping.

use std::collections::BTreeMap;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};

use super::link::Link;

/// The server's clock: the local one moved by the offset to `TIME` measured
/// at connect, so every machine sharing the store reads the same time.
#[derive(Debug)]
pub(crate) struct ServerClock {
    offset_ms: i64,
}

impl ServerClock {
    /// The clock whose `TIME` answer, asked at local times `before` and
    /// `after`, was `(secs, micros)`.
    fn from_answer(before: u64, after: u64, (secs, micros): (u64, u64)) -> ServerClock {
        let server = secs * 1000 + micros / 1000;
        let local = before + after.saturating_sub(before) / 2;
        ServerClock {
            offset_ms: server as i64 - local as i64,
        }
    }
}

/// What the engine asks the server once at connect, in one round trip: its
/// clock and its `INFO`.
pub(crate) fn handshake(link: &Link, cluster: bool) -> Result<(ServerClock, Info)> {
    let before = SystemClock.now_ms();
    let (time, info): ((u64, u64), redis::Value) = match cluster {
        // A cluster pipeline takes no keyless command.
        true => (
            link.query(&redis::cmd("TIME"))?,
            link.query_one_node(&redis::cmd("INFO"))?,
        ),
        false => link.pipe(redis::pipe().cmd("TIME").cmd("INFO"))?,
    };
    let after = SystemClock.now_ms();
    Ok((
        ServerClock::from_answer(before, after, time),
        Info::parse(&info),
    ))
}

impl Clock for ServerClock {
    fn now_ms(&self) -> u64 {
        SystemClock.now_ms().saturating_add_signed(self.offset_ms)
    }
}

/// `INFO` as fields, every section.
#[derive(Debug, Default)]
pub(crate) struct Info(pub BTreeMap<String, String>);

impl Info {
    /// Reads `INFO` (on a cluster, from the node that answers).
    pub(crate) fn read(link: &Link) -> Result<Info> {
        Ok(Info::parse(&link.query_one_node(&redis::cmd("INFO"))?))
    }

    /// `INFO`'s answer as fields.
    fn parse(answer: &redis::Value) -> Info {
        let text = first_text(answer).unwrap_or_default();
        Info(
            text.lines()
                .filter_map(|line| line.trim_end().split_once(':'))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// One field, or `"?"`.
    pub(crate) fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("?", String::as_str)
    }

    /// The server's version as (major, minor).
    pub(crate) fn version(&self) -> (u32, u32) {
        let mut parts = self.get("redis_version").split('.').map(|p| p.parse());
        let major = parts.next().and_then(|p| p.ok()).unwrap_or(0);
        let minor = parts.next().and_then(|p| p.ok()).unwrap_or(0);
        (major, minor)
    }

    /// Whether the server has `WAITAOF` (Redis 7.2+).
    pub(crate) fn has_waitaof(&self) -> bool {
        self.version() >= (7, 2)
    }

    /// Persistence, in a few words, given the server's RDB save points
    /// (`CONFIG GET save`; `None` when it would not say). A server that
    /// neither appends nor saves is said plainly to keep nothing.
    pub(crate) fn persistence(&self, save: Option<&str>) -> String {
        let aof = self.get("aof_enabled") == "1";
        if !aof && save == Some("") {
            return "none: appendonly no and no RDB save points (save \"\"); \
                    a restart of the server loses the store"
                .to_string();
        }
        let saves = match save {
            Some("") => "no RDB save points".to_string(),
            Some(points) => format!("RDB save points \"{points}\""),
            None => "RDB save points unknown".to_string(),
        };
        format!(
            "appendonly {}; {saves}; last RDB save {}",
            if aof { "yes" } else { "no" },
            match self.get("rdb_last_save_time") {
                "?" => "unknown".to_string(),
                t => format!("at unix time {t}"),
            }
        )
    }

    /// Refuses a node of a Redis Cluster named without `cluster=1`: each
    /// command for a slot the node does not serve would fail (MOVED).
    pub(crate) fn check_mode(&self, display: &str, cluster: bool) -> Result<()> {
        match !cluster && self.get("cluster_enabled") == "1" {
            true => Err(Error::Unavailable {
                store: display.to_string(),
                message: "the server is a node of a Redis Cluster, and the URL does not say so"
                    .into(),
                hint: Some(super::refusal::CLUSTER_HINT.into()),
            }),
            false => Ok(()),
        }
    }

    /// Refuses an eviction policy that may evict the store's bookkeeping:
    /// the store cannot be used at all (as if down, for `run --strict`).
    pub(crate) fn check_policy(&self, display: &str) -> Result<()> {
        let policy = self.get("maxmemory_policy");
        match policy.starts_with("allkeys-") {
            true => Err(Error::Unavailable {
                store: display.to_string(),
                hint: None,
                message: format!(
                    "the server's maxmemory-policy is {policy}, which may evict the store's \
                     epochs and floors and bring invalidated entries back; \
                     set it to volatile-lru (CONFIG SET maxmemory-policy volatile-lru)"
                ),
            }),
            false => Ok(()),
        }
    }
}

/// The server's RDB save points (`CONFIG GET save`), or `None` when it
/// refuses to say (`CONFIG` disabled or not allowed to this user).
pub(crate) fn save_points(link: &Link) -> Option<String> {
    let answer: Vec<String> = link.ask(redis::cmd("CONFIG").arg("GET").arg("save"))?;
    answer.into_iter().nth(1)
}

/// The first text in an answer (a cluster may answer with one per node).
fn first_text(value: &redis::Value) -> Option<String> {
    match value {
        redis::Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        redis::Value::VerbatimString { text, .. } => Some(text.clone()),
        redis::Value::SimpleString(text) => Some(text.clone()),
        redis::Value::Array(items) | redis::Value::Set(items) => items.iter().find_map(first_text),
        redis::Value::Map(pairs) => pairs.iter().find_map(|(_, v)| first_text(v)),
        _ => None,
    }
}
