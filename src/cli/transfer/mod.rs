//! The two interchange formats of `export` and `import`. JSON Lines: one object
//! per entry, keys and values as text when UTF-8, else `{"bytes": "<base64>"}`.
//! CSV (for spreadsheets): a header row, then one row per entry whose `encoding`
//! column says whether key and value are plain text or both base64.

mod read;
mod write;

use clap::ValueEnum;

pub use read::{Parsed, bad_line, read};
pub use write::write;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// JSON Lines, binary-safe
    #[default]
    Jsonl,
    /// CSV with a header row; binary keys and values as base64
    Csv,
}

pub const CSV_HEADER: [&str; 6] = [
    "key",
    "value",
    "encoding",
    "created_ms",
    "expires_ms",
    "stale",
];
