//! cacheman's local files, whatever the store: file-system primitives with
//! the safety rules, temporary files, trusted directories, checksummed frames,
//! typed documents and the one serde codec. The local engine and the
//! machine-local scratch directory ([`crate::scratch`]) both build on them.

pub mod codec;
pub mod document;
pub mod format;
pub mod frame;
pub mod fsutil;
pub mod temp;
pub mod trusted;
