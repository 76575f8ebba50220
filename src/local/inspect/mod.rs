//! Looking inside a store's files and keeping them sound: `inspect` summarises
//! any file or directory read-only, `verify` checks every checksum and
//! cross-reference, and `repair` rebuilds a damaged cache (or manifest) from
//! what is intact.

pub mod blobs;
pub mod problem;
pub mod recover;
pub mod repair;
pub mod scan;
pub mod summary;
pub mod target;
pub mod verify;

/// Where a long check or rebuild reports how far it got, in bytes read: the
/// engine calls it, the caller shows it (the CLI draws a bar).
pub trait Progress {
    /// How far it got.
    fn position(&self) -> u64;

    /// It got to `bytes`.
    fn set_position(&self, bytes: u64);

    /// It read `bytes` more.
    fn inc(&self, bytes: u64);
}
