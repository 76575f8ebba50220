//! `cacheman stats`: entries, sizes, hit and miss counts, pending changes and
//! ages of one cache or all of them; `--reset` zeroes the counters.

use std::io::Write;

use clap::Args;
use serde_json::{Value as Json, json};

use crate::cli::context::Context;
use crate::cli::per_cache::{PerCache, every_cache};
use crate::cli::settings::human_bytes;
use crate::cli::{json, output};
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::reports::{Aged, CacheStats, CounterState, Origin, Tally};

/// Show entries, sizes, hits and misses, pending changes and ages (every cache if none named)
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman stats
  cacheman stats users --json | jq .hit_ratio
  cacheman stats --reset          # zero the hit and miss counts of every cache

Hits and misses are counted by every `get` (and `has`, and `batch`) without a
lock; --no-stats (or CACHEMAN_NO_STATS=1) turns counting off for a command. Entries and bytes
are the live entries: unexpired and not invalidated.")]
pub struct StatsArgs {
    /// The cache; without it, every cache and their total
    pub cache: Option<String>,
    /// Print one JSON object per cache, one per line
    #[arg(long)]
    pub json: bool,
    /// Zero the hit and miss counters instead of printing
    #[arg(long, conflicts_with = "json")]
    pub reset: bool,
}

pub fn run(ctx: &Context, args: StatsArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let names = match &args.cache {
        Some(name) => vec![CacheName::new(name)?],
        None => every_cache(ctx, "nothing to report")?,
    };
    // One damaged cache is reported on its own and the others still shown.
    let mut each = PerCache::default();
    if args.reset {
        for name in &names {
            each.run(|| ctx.store.reset_counters(name));
        }
        return Ok(each.exit_code());
    }
    let mut stats = Vec::new();
    for name in &names {
        stats.extend(each.run(|| ctx.store.stats(name)));
    }
    let now = ctx.store.clock().now_ms();
    for cache in &stats {
        warn_about_counters(cache, now);
    }
    if args.json {
        for cache in &stats {
            output::json_line(out, &to_json(cache, now))?;
        }
    } else if !stats.is_empty() {
        let header = [
            "NAME", "ENTRIES", "SIZE", "HITS", "MISSES", "HIT%", "PENDING", "SYNCED", "JOURNAL",
            "OLDEST", "NEWEST",
        ];
        let mut rows: Vec<Vec<String>> = stats.iter().map(|c| to_row(c, now)).collect();
        if stats.len() > 1 {
            rows.push(total_row(&stats));
        }
        output::write_all(out, output::table(&header, &rows).as_bytes())?;
    }
    Ok(each.exit_code())
}

fn tally(cache: &CacheStats) -> Option<&Tally> {
    match &cache.counters {
        CounterState::Counting(tally) => Some(tally),
        CounterState::Absent | CounterState::Damaged(_) => None,
    }
}

/// Says on stderr when the counts do not cover the cache's whole life.
fn warn_about_counters(cache: &CacheStats, now: u64) {
    match &cache.counters {
        CounterState::Damaged(why) => say!(
            "cacheman: warning: '{}': counters unreadable ({why}); the next read starts them again",
            cache.name
        ),
        CounterState::Counting(tally) if tally.origin == Origin::Recovered => say!(
            "cacheman: warning: '{}': counters were damaged and restarted {}",
            cache.name,
            ago(tally.since_ms, now)
        ),
        _ => {}
    }
}

fn ratio(hits: u64, misses: u64) -> Option<f64> {
    let lookups = hits + misses;
    (lookups > 0).then(|| hits as f64 / lookups as f64)
}

fn percent(hits: u64, misses: u64) -> String {
    ratio(hits, misses).map_or("-".into(), |r| format!("{:.1}%", r * 100.0))
}

/// A time as how long ago it was, in its largest unit: `42s ago`, `3h ago`.
fn ago(ms: u64, now: u64) -> String {
    let secs = now.saturating_sub(ms) / 1000;
    let (n, unit) = match secs {
        0..60 => (secs, "s"),
        60..3600 => (secs / 60, "m"),
        3600..86_400 => (secs / 3600, "h"),
        _ => (secs / 86_400, "d"),
    };
    format!("{n}{unit} ago")
}

fn age_of(aged: &Option<Aged>, now: u64) -> String {
    aged.as_ref().map_or("-".into(), |a| ago(a.created_ms, now))
}

fn to_row(cache: &CacheStats, now: u64) -> Vec<String> {
    let (hits, misses, hit_percent) = match tally(cache) {
        Some(t) => (
            t.hits.to_string(),
            t.misses.to_string(),
            percent(t.hits, t.misses),
        ),
        None => ("-".into(), "-".into(), "-".into()),
    };
    vec![
        cache.name.to_string(),
        cache.entries.to_string(),
        human_bytes(cache.bytes),
        hits,
        misses,
        hit_percent,
        cache.pending.to_string(),
        cache.last_sync_ms.map_or("never".into(), |ms| ago(ms, now)),
        human_bytes(cache.journal_bytes),
        age_of(&cache.oldest, now),
        age_of(&cache.newest, now),
    ]
}

fn total_row(stats: &[CacheStats]) -> Vec<String> {
    let sum = |f: &dyn Fn(&CacheStats) -> u64| stats.iter().map(f).sum::<u64>();
    let hits = sum(&|c| tally(c).map_or(0, |t| t.hits));
    let misses = sum(&|c| tally(c).map_or(0, |t| t.misses));
    vec![
        "TOTAL".into(),
        sum(&|c| c.entries).to_string(),
        human_bytes(sum(&|c| c.bytes)),
        hits.to_string(),
        misses.to_string(),
        percent(hits, misses),
        sum(&|c| c.pending).to_string(),
        "-".into(),
        human_bytes(sum(&|c| c.journal_bytes)),
        "-".into(),
        "-".into(),
    ]
}

fn aged_json(aged: &Option<Aged>) -> Json {
    aged.as_ref().map_or(
        Json::Null,
        |a| json!({ "key": json::bytes(&a.key), "created": json::time(a.created_ms) }),
    )
}

fn to_json(cache: &CacheStats, now: u64) -> Json {
    let (state, tally) = match &cache.counters {
        CounterState::Counting(t) => (t.origin.name(), Some(t)),
        CounterState::Absent => ("absent", None),
        CounterState::Damaged(_) => ("damaged", None),
    };
    json!({
        "name": cache.name.as_str(),
        "entries": cache.entries,
        "bytes": cache.bytes,
        "hits": tally.map(|t| t.hits),
        "misses": tally.map(|t| t.misses),
        "hit_ratio": tally.and_then(|t| ratio(t.hits, t.misses)),
        "counters": state,
        "counting_since": tally.map_or(Json::Null, |t| json::time(t.since_ms)),
        "pending": cache.pending,
        "last_sync": cache.last_sync_ms.map_or(Json::Null, json::time),
        "ms_since_sync": cache.last_sync_ms.map(|ms| now.saturating_sub(ms)),
        "journal_bytes": cache.journal_bytes,
        "oldest": aged_json(&cache.oldest),
        "newest": aged_json(&cache.newest),
    })
}
