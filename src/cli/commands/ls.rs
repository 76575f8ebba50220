//! `cacheman ls`: the caches with their sizes and settings.

use std::collections::BTreeMap;
use std::io::Write;

use clap::Args;
use serde_json::json;

use crate::bindings::pattern::Kind;
use crate::bindings::{Binding, Pattern};
use crate::cli::context::Context;
use crate::cli::settings::{self, autosync_label, human_bytes, human_ttl};
use crate::cli::{json, output};
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::store::CacheSummary;

/// List the caches with entry counts, sizes and settings
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman ls
  cacheman ls --json | jq -r '.[] | select(.pending > 0) | .name'")]
pub struct LsArgs {
    /// Print a JSON array with one object per cache
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: LsArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let caches = ctx.store.list()?;
    let bound = crate::store::bindings_if_any(&*ctx.store)?;
    let bound_to = |cache: &CacheSummary| bound_paths(&bound, cache);
    if args.json {
        let list: Vec<_> = caches
            .iter()
            .map(|cache| with_bindings(to_json(cache), bound_to(cache)))
            .collect();
        output::json_line(out, &list)?;
    } else if !caches.is_empty() {
        let header = [
            "NAME",
            "ENTRIES",
            "SIZE",
            "PENDING",
            "TTL",
            "LIMITS",
            "AUTOSYNC",
            "FLAGS",
            "ROOTS",
            "DEPENDENTS",
            "BOUND",
        ];
        let rows: Vec<Vec<String>> = caches
            .iter()
            .map(|cache| {
                let mut row = to_row(cache);
                let shown: Vec<String> = bound_to(cache).iter().map(Pattern::shown).collect();
                row.push(dash_if_empty(shown.join(", ")));
                row
            })
            .collect();
        output::write_all(out, output::table(&header, &rows).as_bytes())?;
    }
    // A cache whose files cannot be used is listed, and why is said on stderr.
    let mut code = ExitCode::Success;
    for (cache, problem) in caches.iter().filter_map(|c| Some((c, c.problem.as_ref()?))) {
        say!("cacheman: error: cache '{}': {problem}", cache.name);
        code = ExitCode::Store;
    }
    Ok(code)
}

fn to_json(cache: &CacheSummary) -> serde_json::Value {
    let mut object = settings::to_json(&cache.settings, &cache.autosync);
    let fields = json!({
        "name": cache.name.as_str(),
        "entries": cache.entries,
        "bytes": cache.bytes,
        "pending": cache.pending,
        "last_sync": cache.last_sync_ms.map_or(serde_json::Value::Null, json::time),
        "roots": cache.roots,
        "dependents": cache.dependents,
    });
    if let (Some(object), Some(fields)) = (object.as_object_mut(), fields.as_object()) {
        object.extend(fields.clone());
    }
    if let Some(problem) = &cache.problem {
        object["problem"] = json!(problem);
    }
    object
}

/// A cache's bound paths, none for an unbound one.
fn bound_paths<'a>(bound: &'a BTreeMap<String, Binding>, cache: &CacheSummary) -> &'a [Pattern] {
    bound
        .get(cache.name.as_str())
        .map_or(&[], |binding| binding.patterns.as_slice())
}

/// Adds `"bindings": [path, ...]` to a cache's JSON object.
fn with_bindings(mut object: serde_json::Value, patterns: &[Pattern]) -> serde_json::Value {
    object["bindings"] = patterns_json(patterns);
    object
}

/// Bound paths as JSON strings (`{"bytes": ...}` when not UTF-8); a tree ends in `/`.
pub fn patterns_json(patterns: &[Pattern]) -> serde_json::Value {
    patterns
        .iter()
        .map(|p| match p.kind {
            Kind::Dir => json::bytes(&[p.path.as_slice(), b"/"].concat()),
            Kind::File | Kind::Glob => json::bytes(&p.path),
        })
        .collect()
}

fn to_row(cache: &CacheSummary) -> Vec<String> {
    let s = &cache.settings;
    let mut limits = Vec::new();
    if let Some(n) = s.max_entries {
        limits.push(output::plural(n, "entry", "entries"));
    }
    if let Some(b) = s.max_bytes {
        limits.push(settings::exact_bytes(b));
    }
    let flags: Vec<&str> = [(s.volatile, "volatile"), (s.durable, "durable")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    let count = |n: u64| match cache.problem {
        Some(_) => "?".to_string(),
        None => n.to_string(),
    };
    vec![
        cache.name.to_string(),
        count(cache.entries),
        match cache.problem {
            Some(_) => "?".to_string(),
            None => human_bytes(cache.bytes),
        },
        count(cache.pending),
        human_ttl(s.ttl_ms),
        dash_if_empty(limits.join(", ")),
        autosync_label(s),
        dash_if_empty(flags.join(",")),
        dash_if_empty(cache.roots.join(",")),
        dash_if_empty(cache.dependents.join(",")),
    ]
}

fn dash_if_empty(text: String) -> String {
    if text.is_empty() { "-".into() } else { text }
}
