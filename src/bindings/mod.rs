//! File bindings as a model of their own: the paths a cache is bound to
//! ([`Pattern`]), the fingerprint of what they cover, and what binding and
//! checking report. Any store keeps them (the local one serializes them into its
//! manifest); `watch` and `check` act on them through the `Store` interface.

pub mod coverage;
pub mod fingerprint;
#[warn(missing_docs)]
mod model;
#[warn(missing_docs)]
pub mod pattern;
pub(crate) mod rebind;

pub use model::{Binding, Finding, Rebound, Recorded};
pub use pattern::Pattern;
