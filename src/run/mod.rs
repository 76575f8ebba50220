//! `cacheman run`: memoizing commands. A run's key is a hash of what it depends
//! on; its result (output in order, exit status, output files) is an entry in a
//! named cache, replayed on a hit. See [`memo::Memo`] for the whole flow.

pub mod capture;
pub mod explain;
pub mod inputs;
pub mod key;
pub mod memo;
pub mod note;
pub mod outputs;
pub mod relay;
pub mod replay;
pub mod spool;
pub mod sweep;
pub mod transcript;
pub mod walk;
