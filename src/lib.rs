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

/// Prints one line on stderr as `eprintln!` does, but a stderr that cannot be
/// written to (a full disk, a closed pipe) is no reason to fail or panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod autosync;
pub mod cli;
pub mod clock;
pub mod detach;
pub mod entry;
pub mod error;
pub mod exit_code;
pub mod file_stamp;
pub mod glob;
pub mod graph;
pub mod local;
pub mod name;
pub mod reporter;
pub mod reports;
pub mod resolve;
pub mod run;
pub mod store;
pub mod watch;

pub use error::{Error, Result};
pub use exit_code::ExitCode;
pub use local::LocalStore;
/// The local engine's tooling (verify, repair, recovery, file summaries), at its
/// old path for the tests and fuzz targets that use it.
pub use local::inspect;
pub use name::CacheName;
pub use store::{CacheSettings, Hit, NewValue, SetOptions, Store, Ttl, Value};
