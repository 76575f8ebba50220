//! Fills a cache with N entries through the library and syncs it, for benchmarks.
//!
//! ```text
//! cargo run --release --example fill -- STORE_DIR CACHE N [VALUE_SIZE] [--method batch|deferred|set] [--no-sync]
//! ```
//!
//! Keys are `key-0`..`key-{N-1}`; values are VALUE_SIZE bytes (default 16). The
//! default method, `batch`, loads them with one `Store::set_many` and merges
//! once; `deferred` and `set` go through one `Store::set` per entry, which at 1M
//! entries takes minutes (see `benches/support/fill.rs`). `--no-sync` skips the
//! final sync and leaves the last writes pending in the journal (all of them,
//! with `batch` and N under 4096). Timings go to stderr.

#[path = "../benches/support/fill.rs"]
mod fill;

use std::process::ExitCode;

use cacheman::CacheName;
use fill::Method;

const USAGE: &str =
    "usage: fill STORE_DIR CACHE N [VALUE_SIZE] [--method batch|deferred|set] [--no-sync]";

fn main() -> ExitCode {
    let mut method = Method::Batch;
    let mut sync = true;
    let mut positional = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--method" {
            match args.next().as_deref().and_then(Method::parse) {
                Some(m) => method = m,
                None => return usage("--method takes batch, deferred or set"),
            }
        } else if arg == "--no-sync" {
            sync = false;
        } else if arg.starts_with("--") {
            return usage(&format!("unknown option {arg}"));
        } else {
            positional.push(arg);
        }
    }
    let (dir, cache, n, size) = match positional.as_slice() {
        [dir, cache, n] => (dir, cache, n, "16"),
        [dir, cache, n, size] => (dir, cache, n, size.as_str()),
        _ => return usage("expected 3 or 4 arguments"),
    };
    let Ok(n) = n.parse::<u64>() else {
        return usage("N must be a whole number");
    };
    let Ok(size) = size.parse::<usize>() else {
        return usage("VALUE_SIZE must be a whole number of bytes");
    };
    let cache = match CacheName::new(cache) {
        Ok(cache) => cache,
        Err(e) => return usage(&e.to_string()),
    };
    match fill::fill(dir.as_ref(), &cache, n, size, method, sync) {
        Ok(report) => {
            eprintln!(
                "fill: {n} entries of {size} bytes into '{cache}' ({method:?}): write {:.2} s ({} syncs on the way), final sync {:.2} s",
                report.write_secs, report.syncs_while_writing, report.sync_secs
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fill: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("fill: {problem}\n{USAGE}");
    ExitCode::from(2)
}
