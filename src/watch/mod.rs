//! Acting on file bindings (the model is `crate::bindings`): caches
//! invalidated when their bound files change, by a running `cacheman watch` or
//! by a check before a read, all through the `Store` interface.
//!
//! [`check_cache`] is the hook for commands that read a bound cache without a
//! watcher running; [`checked_get`] is how every command reads a cache (a
//! cache's `check_bindings` setting checks first); [`check_before_read`] is
//! what `--check-bindings` does (`get`, `run`).

#[warn(missing_docs)]
pub mod check;
pub mod pending;
pub mod watcher;
pub mod watches;

pub use check::{check_all, check_before_read, check_cache, checked_get};
