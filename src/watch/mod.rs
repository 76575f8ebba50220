//! File bindings: caches bound to the files they mirror, invalidated when those
//! files change, by a running `cacheman watch` or by a check before a read.
//!
//! [`check_cache`] is the hook for commands that read a bound cache without a
//! watcher running; [`check_before_read`] is what `--check-bindings` does
//! (`get`, `run`).

#[warn(missing_docs)]
pub mod bindings;
#[warn(missing_docs)]
pub mod check;
pub mod coverage;
pub mod fingerprint;
#[warn(missing_docs)]
pub mod pattern;
pub mod pending;
pub mod watcher;
pub mod watches;

pub use bindings::Binding;
pub use check::{check_all, check_before_read, check_cache};
pub use pattern::Pattern;
