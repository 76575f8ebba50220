//! `cacheman verify`: check every checksum and cross-reference of the store or
//! of the named caches, read-only; exit 1 with a precise report of every
//! problem of every cache.

use std::io::Write;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::hint::MANIFEST_HINT;
use crate::cli::output;
use crate::cli::per_cache::{PerCache, store_exists};
use crate::cli::progress::{self, Unit};
use crate::error::{Error, Result};
use crate::exit_code::ExitCode;
use crate::local::inspect::blobs;
use crate::local::inspect::problem::Problem;
use crate::local::inspect::recover;
use crate::local::inspect::verify::{self, Class};
use crate::name::CacheName;
use crate::store::unknown_cache;

/// Check every checksum and cross-reference (the whole store if no cache is named)
#[derive(Debug, Args)]
#[command(
    after_help = "Checks the manifest and the cache directories it names (a persistent cache's
directory and HEAD must be there; a volatile cache's files are gone after a
reboot, by design); in each cache, HEAD and the files it names (regular files:
a directory or FIFO in their place is damage, never opened), every header,
record and hash-table checksum, every hash slot against its record, every
entry against its blob, and every blob against its BLAKE3 hash. Reads only;
takes no lock.

Exits 0 when everything is sound, and 1 with the file, offset and fault of
every problem of every cache (a cache whose HEAD or the files it names are
amiss is not read further); `cacheman repair CACHE` recovers, and
`cacheman repair --manifest` recovers from a damaged manifest. A file that
cannot be read (a permission refused, an I/O error) is no damage: exit 3.
A damaged counters file is a note, not a problem (exit 0): hit and miss
counting is best-effort, no entry is lost, and the next counted read replaces it.

On a Redis store it checks each cache's settings, every entry's header and
chunks (each against its hash), the key index against the entries, the graph
and the log of cluster cascades; exit 0 or 1 alike.

Examples:
  cacheman verify
  cacheman verify users || cacheman repair users"
)]
pub struct VerifyArgs {
    /// The caches to check
    pub caches: Vec<String>,
}

pub fn run(ctx: &Context, args: VerifyArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let names = args
        .caches
        .iter()
        .map(|name| CacheName::new(name))
        .collect::<Result<Vec<_>>>()?;
    if names.is_empty() && !store_exists(ctx, "nothing to verify") {
        return Ok(ExitCode::Success);
    }
    if ctx.store.as_local().is_none() {
        return super::store_check::verify(ctx, names, out);
    }
    let local = crate::store::local(&*ctx.store, "verify")?;
    let manifest = match recover::read_manifest(local)? {
        Ok(manifest) => manifest,
        Err(damaged) => {
            let problems = [(Class::Manifest, vec![&damaged.problem])];
            output::write_all(out, report("store", &problems).as_bytes())?;
            output::flush(out)?;
            say!("hint: {MANIFEST_HINT}");
            return Ok(ExitCode::Miss);
        }
    };
    for name in &names {
        if !manifest.caches.contains_key(name.as_str()) {
            return Err(unknown_cache(name));
        }
    }
    let mut sound = true;
    if names.is_empty() {
        let layout = verify::check_layout(local, &manifest)?;
        sound = layout.is_sound();
        let text = report("store", &layout.by_class()) + &notes("store", &layout.notes);
        output::write_all(out, text.as_bytes())?;
    }
    let names = match names.is_empty() {
        true => ctx.store.cache_names()?,
        false => names,
    };
    // A cache that cannot be opened (a volatile one whose folder is unsafe)
    // is reported on its own and the others still verified.
    let mut each = PerCache::default();
    let mut damaged = Vec::new();
    for name in &names {
        if each.run(|| verify_one(ctx, name, out)) == Some(false) {
            damaged.push(name);
        }
    }
    output::flush(out)?;
    for name in &damaged {
        say!("hint: `cacheman repair {name}` recovers the intact entries");
    }
    match (each.exit_code(), sound && damaged.is_empty()) {
        (ExitCode::Success, true) => Ok(ExitCode::Success),
        (ExitCode::Success, false) => Ok(ExitCode::Miss),
        (failed, _) => Ok(failed),
    }
}

/// Checks one cache and reports it: ok, or every problem found. Returns
/// whether it is sound.
fn verify_one(ctx: &Context, name: &CacheName, out: &mut dyn Write) -> Result<bool> {
    let cache = crate::store::local(&*ctx.store, "verify")?
        .find(name)?
        .ok_or_else(|| Error::usage(format!("cache '{name}' was dropped while verify ran")))?;
    if cache.settings.volatile && !cache.dir.path().exists() {
        let line =
            format!("{name}: ok (volatile, and empty: its files are gone, as after a reboot)\n");
        output::write_all(out, line.as_bytes())?;
        return Ok(true);
    }
    let work = verify::record_bytes(&cache.dir) + blobs::total_bytes(&cache.dir.blobs_path());
    let bar = progress::bar(work, Unit::Bytes, &format!("verifying {name}"));
    let (findings, counts) = verify::verify_cache(&cache.dir, &bar)?;
    bar.finish_and_clear();
    let mut text = report(name.as_str(), &findings.by_class());
    if findings.is_sound() {
        text = format!(
            "{name}: ok ({}, {}, {})\n",
            output::plural(counts.entries, "entry", "entries"),
            output::plural(counts.journals, "journal", "journals"),
            output::plural(counts.blobs, "blob", "blobs"),
        );
    }
    text.push_str(&notes(name.as_str(), &findings.notes));
    output::write_all(out, text.as_bytes())?;
    Ok(findings.is_sound())
}

/// One line per note about a cache (or the store).
fn notes(name: &str, notes: &[Problem]) -> String {
    notes
        .iter()
        .map(|note| format!("{name}: note: {note}\n"))
        .collect()
}

/// Every problem of a cache (or the store), by class.
fn report(what: &str, classes: &[(Class, Vec<&Problem>)]) -> String {
    let mut text = String::new();
    for (class, problems) in classes {
        text.push_str(&format!(
            "{what}: {} with {}:\n",
            output::plural(problems.len() as u64, "problem", "problems"),
            class.describe()
        ));
        for problem in problems {
            text.push_str(&format!("  {problem}\n"));
        }
    }
    text
}
