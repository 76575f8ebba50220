#![warn(missing_docs)]
//! cacheman: persistent, named, dependent caches for the shell, and the engine
//! behind them.
//!
//! The [`Store`] trait is the interface the commands use; [`LocalStore`] keeps a
//! store in a local directory with append-only journals, immutable indexed
//! snapshots and content-addressed blobs. See `docs/format.md` for the files.
//!
//! ```
//! use cacheman::{CacheName, LocalStore, NewValue, SetOptions, Store};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = LocalStore::new(dir.path());
//! let cache = CacheName::new("greetings").unwrap();
//! store.set(&cache, b"en", NewValue::Bytes(b"hello"), &SetOptions::default()).unwrap();
//! let hit = store.get(&cache, b"en").unwrap().unwrap();
//! assert_eq!(hit.value.into_bytes().unwrap(), b"hello");
//! ```
//!
//! Get or create ([`get_or_create`]): the value of a key, or the one a
//! closure builds, stored; callers missing at once build once, a value built
//! across an invalidation is not stored, a validator may reject a found value.
//!
//! ```
//! use std::time::Duration;
//! use cacheman::{CacheName, LocalStore, Recipe, Ttl, get_or_create};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = LocalStore::new(dir.path());
//! let dns = CacheName::new("dns").unwrap();
//! let recipe = Recipe {
//!     cache: &dns,
//!     key: b"example.com",
//!     ttl: Ttl::After(Duration::from_secs(3600)),
//!     stale: None,
//!     validate: Some(&|ip: &[u8]| !ip.is_empty()),
//! };
//! let lookup = || -> cacheman::Result<Vec<u8>> { Ok(b"93.184.215.14".to_vec()) };
//! let ip = get_or_create(&store, &recipe, lookup).unwrap();
//! assert_eq!(ip, b"93.184.215.14");
//! // Found now: the builder does not run again.
//! let again = get_or_create(&store, &recipe, || -> cacheman::Result<Vec<u8>> {
//!     unreachable!()
//! });
//! assert_eq!(again.unwrap(), ip);
//! ```

/// Prints one line on stderr as `eprintln!` does, but a stderr that cannot be
/// written to (a full disk, a closed pipe) is no reason to fail or panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod autosync;
#[allow(missing_docs)]
mod bindings;
// The modules that allow missing docs are reachable only through the hidden
// `internals`; the few public types they define are linted where defined.
#[allow(missing_docs)]
mod cli;
mod clock;
mod counter;
mod detach;
mod entry;
mod error;
mod exit_code;
mod file_stamp;
#[allow(missing_docs)]
mod files;
mod glob;
mod graph;
#[allow(missing_docs)]
mod local;
mod name;
mod or_create;
#[cfg(feature = "redis")]
mod redis;
mod reporter;
mod reports;
mod resolve;
#[allow(missing_docs)]
mod run;
mod scratch;
mod store;
pub mod store_url;
#[allow(missing_docs)]
mod watch;

pub use autosync::{Autosync, Rule};
pub use bindings::{Binding, Finding, Pattern, Rebound, Recorded};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use exit_code::ExitCode;
pub use graph::{Cycle, Graph};
pub use local::LocalStore;
pub use name::CacheName;
pub use or_create::{Found, Got, Recipe, Validator, get_or_create};
#[cfg(feature = "redis")]
pub use redis::RedisStore;
pub use reporter::Progress;
pub use reports::{Aged, CacheStats, CounterState, Freed, GcLimits, GcReport, Origin, Tally};
pub use scratch::Scratch;
pub use scratch::notes::KeepNotes;
pub use store::{
    CacheSettings, CacheSummary, CopyError, Entries, Hit, Imported, Importer, InvalidateOptions,
    Invalidation, KeySelector, Lease, NewValue, Portable, ReadCheck, SetOptions, SettingsChange,
    Store, SyncResult, Ttl, Turn, Value, ValueStream, WATCHER_LOCK, WriteReport, open,
};
pub use store_url::{RedisTarget, StoreSpec};
pub use watch::{check_cache, checked_get};

/// Runs the command-line interface on the process's arguments: the whole of the
/// `cacheman` binary. The CLI is not part of the library's API.
#[doc(hidden)]
pub fn run_cli() -> std::process::ExitCode {
    cli::main()
}

/// The engine's internals, reachable for the crate's own tests, benches and fuzz
/// targets only. Not part of the API: anything here may change at any time.
#[doc(hidden)]
pub mod internals {
    pub use crate::local::inspect;

    /// The command-line interface's pieces the tests check (the clap tree, the
    /// generated completions and man pages).
    pub mod cli {
        pub use crate::cli::*;
    }

    /// The local directory store's files and formats.
    pub mod local {
        pub use crate::local::*;
    }

    /// `cacheman run`'s memoization: transcripts, outputs, notes.
    pub mod run {
        pub use crate::run::*;
    }

    /// The store interface's helpers for the commands.
    pub mod store {
        pub use crate::store::local;
    }

    /// File bindings: patterns, fingerprints, checks.
    pub mod watch {
        pub use crate::bindings::{coverage, fingerprint, pattern};
        pub use crate::watch::*;
    }
}
