//! `verify` and `repair` on a store that is not local files (Redis): the
//! store's own verification family, in the output style and with the exit
//! statuses of the local code path.

use std::io::Write;

use crate::cli::context::Context;
use crate::cli::output;
use crate::cli::progress::{self, Unit};
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::unknown_cache;

/// Checks the store (with no names) or the named caches: exit 0 when sound,
/// 1 with every problem found.
pub fn verify(ctx: &Context, names: Vec<CacheName>, out: &mut dyn Write) -> Result<ExitCode> {
    let every = ctx.store.cache_names()?;
    if let Some(name) = names.iter().find(|n| !every.contains(n)) {
        return Err(unknown_cache(name));
    }
    let mut text = String::new();
    let mut damaged = Vec::new();
    if names.is_empty() {
        text += &report("store", &ctx.store.verify_store()?);
    }
    let sound_store = text.is_empty();
    for name in if names.is_empty() { &every } else { &names } {
        let bar = progress::bar(0, Unit::Items, &format!("verifying {name}"));
        let check = ctx.store.verify_cache(name, &bar)?;
        bar.finish_and_clear();
        if check.problems.is_empty() {
            let entries = output::plural(check.entries, "entry", "entries");
            text += &format!("{name}: ok ({entries})\n");
        } else {
            text += &report(name.as_str(), &check.problems);
            damaged.push(name);
        }
    }
    output::write_all(out, text.as_bytes())?;
    output::flush(out)?;
    for name in &damaged {
        say!("hint: `cacheman repair {name}` drops the damaged entries and rebuilds the key index");
    }
    Ok(match sound_store && damaged.is_empty() {
        true => ExitCode::Success,
        false => ExitCode::Miss,
    })
}

/// Mends one cache and says what was done, one line each.
pub fn repair(ctx: &Context, name: &CacheName) -> Result<String> {
    if !ctx.store.cache_names()?.contains(name) {
        return Err(unknown_cache(name));
    }
    let bar = progress::bar(0, Unit::Items, &format!("repairing {name}"));
    let actions = ctx.store.repair_cache(name, &bar)?;
    bar.finish_and_clear();
    if actions.is_empty() {
        return Ok(format!("{name}: nothing to repair\n"));
    }
    Ok(actions
        .iter()
        .map(|action| format!("{name}: {action}\n"))
        .collect())
}

/// Every problem of a cache (or the store).
fn report(what: &str, problems: &[String]) -> String {
    if problems.is_empty() {
        return String::new();
    }
    let count = output::plural(problems.len() as u64, "problem", "problems");
    let mut text = format!("{what}: {count}:\n");
    for problem in problems {
        text += &format!("  {problem}\n");
    }
    text
}
