//! What the statistics and maintenance operations of the `Store` interface
//! report: plain values any store fills in, whatever keeps its data.

use crate::name::CacheName;

/// An entry at one end of a cache's age range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aged {
    /// The entry's key.
    pub key: Vec<u8>,
    /// When the entry was written, in milliseconds since the Unix epoch.
    pub created_ms: u64,
}

/// The state of a cache's counters file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CounterState {
    /// Nothing was counted yet (or counting is disabled).
    Absent,
    /// Counting, with the tally so far.
    Counting(Tally),
    /// The file is damaged; the next counted read replaces it.
    Damaged(String),
}

/// One cache as `stats` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStats {
    /// The cache.
    pub name: CacheName,
    /// Live entries: unexpired and not invalidated (stale ones included).
    pub entries: u64,
    /// Their key and value bytes.
    pub bytes: u64,
    /// Changes not yet merged into a snapshot.
    pub pending: u64,
    /// When the cache was last synced; `None` when it never was.
    pub last_sync_ms: Option<u64>,
    /// Bytes of its journals.
    pub journal_bytes: u64,
    /// The entry written longest ago.
    pub oldest: Option<Aged>,
    /// The entry written last.
    pub newest: Option<Aged>,
    /// The hit and miss counters.
    pub counters: CounterState,
}

/// The counters as `stats` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Reads that found a live entry.
    pub hits: u64,
    /// Reads that found none.
    pub misses: u64,
    /// When counting started (ms since the Unix epoch), and why then.
    pub since_ms: u64,
    /// Why counting started when it did.
    pub origin: Origin,
}

/// Why counting started when it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The first counted read of the cache.
    Created,
    /// `stats --reset`.
    Reset,
    /// A read found the file damaged and replaced it.
    Recovered,
}

impl Origin {
    /// The one table of what each origin is: its code in the file, its name
    /// in `stats --json`, and why counting started, in the words `inspect` uses.
    fn row(self) -> (u64, &'static str, &'static str) {
        match self {
            Origin::Created => (0, "counting", "the first counted read"),
            Origin::Reset => (1, "reset", "stats --reset"),
            Origin::Recovered => (2, "recovered", "a read that found the file damaged"),
        }
    }

    pub(crate) fn code(self) -> u64 {
        self.row().0
    }

    /// An unknown code reads as the first counted read's.
    pub(crate) fn from_code(code: u64) -> Origin {
        [Origin::Reset, Origin::Recovered]
            .into_iter()
            .find(|origin| origin.code() == code)
            .unwrap_or(Origin::Created)
    }

    /// The origin's name, as reports show it.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// Why counting started when it did.
    pub fn cause(self) -> &'static str {
        self.row().2
    }
}

/// Limits for one `gc`, on top of the cache's own (the tighter one wins).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GcLimits {
    /// Keep at most this many entries.
    pub max_entries: Option<u64>,
    /// Keep at most this many bytes of values.
    pub max_bytes: Option<u64>,
}

/// What a `gc` of one cache freed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GcReport {
    /// Expired and invalidated entries dropped.
    pub dropped: u64,
    /// Entries evicted, least recently used first, to fit the limits.
    pub evicted: u64,
    /// Key and value bytes of the entries that went.
    pub bytes: u64,
    /// Blob files deleted: those of the values its sync dropped or found
    /// replaced, and the orphans.
    pub blobs: Freed,
    /// Of those, the blob files no record named at all (a writer killed
    /// between writing a blob and recording it leaves one).
    pub orphans: Freed,
    /// Temporary files of writers that died mid-write.
    pub temporary: Freed,
    /// Entries left.
    pub entries: u64,
}

/// What a sweep of a folder removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Freed {
    /// Files removed.
    pub files: u64,
    /// Bytes those files held.
    pub bytes: u64,
}

impl Freed {
    /// Adds `other` to this count.
    pub fn add(&mut self, other: Freed) {
        self.files += other.files;
        self.bytes += other.bytes;
    }
}
