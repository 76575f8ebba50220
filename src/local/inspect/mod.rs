//! Looking inside a store's files and keeping them sound: `inspect` summarises
//! any file or directory read-only, `verify` checks every checksum and
//! cross-reference, and `repair` rebuilds a damaged cache (or manifest) from
//! what is intact. They report how far they got through a
//! [`Progress`](crate::reporter::Progress).

pub mod blobs;
pub mod problem;
pub mod recover;
pub mod repair;
pub mod scan;
pub mod summary;
pub mod target;
pub mod verify;
