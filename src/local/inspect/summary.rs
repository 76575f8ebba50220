//! `inspect`'s view of one file: recognised by its magic, read without a lock
//! and never written, and described as a list of named fields, its damage and
//! (for a journal) its torn tail. Entries are listed with the state the
//! context allows: with the manifest's floors inside a store, `unknown` where
//! only those floors could tell.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::entry::Entry;
use crate::error::{Error, IoContext, Result};
use crate::local::cache::{CacheDir, Overlay};
use crate::local::counters;
use crate::local::document;
use crate::local::format::{FileKind, PREAMBLE_LEN};
use crate::local::frame::u32_at;
use crate::local::fsutil;
use crate::local::head::Head;
use crate::local::inspect::blobs;
use crate::local::inspect::problem::Problem;
use crate::local::inspect::scan;
use crate::local::journal::Torn;
use crate::local::manifest::{Freshness, Invalidated, Manifest};
use crate::local::record::Op;
use crate::run::key;
use crate::run::note::Note;

/// One value of a summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Count(u64),
    Bytes(u64),
    /// Milliseconds since the Unix epoch.
    Time(u64),
    Text(String),
}

/// What `inspect` says about one file.
#[derive(Debug, Clone)]
pub struct FileSummary {
    pub path: PathBuf,
    /// `None` for something that is not a regular file.
    pub kind: Option<FileKind>,
    pub version: Option<u32>,
    pub file_bytes: u64,
    pub fields: Vec<(&'static str, Field)>,
    /// The oldest and newest creation time of its entries.
    pub time_range: Option<(u64, u64)>,
    pub problems: Vec<Problem>,
    pub torn: Option<Torn>,
}

impl FileSummary {
    fn new(
        path: &Path,
        kind: Option<FileKind>,
        version: Option<u32>,
        file_bytes: u64,
    ) -> FileSummary {
        FileSummary {
            path: path.to_path_buf(),
            kind,
            version,
            file_bytes,
            fields: Vec::new(),
            time_range: None,
            problems: Vec::new(),
            torn: None,
        }
    }

    fn field(&mut self, name: &'static str, value: Field) {
        self.fields.push((name, value));
    }

    fn saw(&mut self, created_ms: u64) {
        self.time_range = Some(match self.time_range {
            Some((first, last)) => (first.min(created_ms), last.max(created_ms)),
            None => (created_ms, created_ms),
        });
    }
}

/// What tells an entry's state: the cache's invalidation floors, when the file
/// sits in a store whose manifest names them, and the time.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub floors: Option<Invalidated>,
    pub now_ms: u64,
}

impl Context {
    /// The state of an entry: `live`, `expired`, `stale`, `invalidated`, or
    /// `unknown` when it is neither expired nor marked stale and no floors are known.
    pub fn state(&self, entry: &Entry) -> &'static str {
        if entry.is_expired(self.now_ms) {
            return "expired";
        }
        match self.floors.map(|floors| floors.judge(entry, self.now_ms)) {
            Some(Freshness::Invalid) => "invalidated",
            Some(Freshness::Stale) => "stale",
            Some(Freshness::Fresh) => "live",
            None if entry.stale => "stale",
            None => "unknown",
        }
    }
}

/// One record as `--entries` lists it: a set carries its entry; a delete, its key.
#[derive(Debug, Clone)]
pub enum Row {
    Set(Entry),
    Del(Vec<u8>),
    Clear,
}

impl From<Op> for Row {
    fn from(op: Op) -> Row {
        match op {
            Op::Set(entry) => Row::Set(entry),
            Op::Del(key) => Row::Del(key),
            Op::Clear => Row::Clear,
        }
    }
}

/// The kind of cacheman file at `path` by its magic, and its format version;
/// anything else is bad input.
pub fn detect(path: &Path) -> Result<(FileKind, Option<u32>)> {
    let mut head = Vec::with_capacity(PREAMBLE_LEN);
    fsutil::open_regular(path)?
        .take(PREAMBLE_LEN as u64)
        .read_to_end(&mut head)
        .at(path)?;
    let Some(kind) = FileKind::detect(&head) else {
        let what = match head.len() {
            0 => "an empty file".to_string(),
            _ => format!(
                "unknown magic {}",
                head.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ),
        };
        return Err(Error::usage_with_hint(
            format!("{}: not a cacheman file ({what})", path.display()),
            "inspect takes snapshots, journals, HEAD, manifests, blobs, counters, run notes, and cache or store directories",
        ));
    };
    let version = (head.len() >= PREAMBLE_LEN).then(|| u32_at(&head, 8));
    Ok((kind, version))
}

/// Summarises one cacheman file; `entry` gets each of its records. Something
/// other than a regular file is described as damage, and never opened.
pub fn summarize(path: &Path, entry: &mut dyn FnMut(Row) -> Result<()>) -> Result<FileSummary> {
    match fsutil::check_regular(path) {
        Err(e @ Error::Corrupt { .. }) => {
            let mut summary = FileSummary::new(path, None, None, 0);
            summary.problems.push(e.into());
            return Ok(summary);
        }
        other => other?,
    }
    let (kind, version) = detect(path)?;
    let file_bytes = std::fs::metadata(path).at(path)?.len();
    let mut summary = FileSummary::new(path, Some(kind), version, file_bytes);
    match kind {
        FileKind::Snapshot => snapshot(&mut summary, entry)?,
        FileKind::Journal => journal(&mut summary, entry)?,
        FileKind::Head => head(&mut summary)?,
        FileKind::Manifest => manifest(&mut summary)?,
        FileKind::Blob => blob_file(&mut summary),
        FileKind::Counters => counters_file(&mut summary),
        FileKind::Note => note_file(&mut summary)?,
    }
    Ok(summary)
}

/// A `cacheman run` note: the key parts of its command's last stored result.
fn note_file(summary: &mut FileSummary) -> Result<()> {
    let bytes = fsutil::read(&summary.path)?;
    let note = match Note::decode(&bytes, &summary.path) {
        Ok(note) => note,
        Err(e) => {
            summary.problems.push(e.into());
            return Ok(());
        }
    };
    let shown = |words: &[Vec<u8>]| {
        let words: Vec<String> = words
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        match words.is_empty() {
            true => "none".to_string(),
            false => words.join(" "),
        }
    };
    let parts = &note.parts;
    summary.field("command", Field::Text(shown(&parts.argv)));
    let cwd = parts.cwd.as_ref().map_or("not in the key".into(), |cwd| {
        String::from_utf8_lossy(cwd).into_owned()
    });
    summary.field("working directory", Field::Text(cwd));
    let env: Vec<Vec<u8>> = parts.env.iter().map(|(name, _)| name.clone()).collect();
    summary.field("environment", Field::Text(shown(&env)));
    let files: usize = parts.inputs.iter().map(|i| i.files.len()).sum();
    summary.field(
        "inputs",
        Field::Text(format!(
            "{} matching {files} {}",
            parts.inputs.len(),
            if files == 1 { "file" } else { "files" }
        )),
    );
    summary.field(
        "trusted input hashes",
        Field::Count(note.known.len() as u64),
    );
    summary.field(
        "stdin in the key",
        Field::Text(parts.stdin.is_some().to_string()),
    );
    summary.field("outputs", Field::Text(shown(&parts.outputs)));
    summary.field("result key", Field::Text(key::hex(&parts.key())));
    Ok(())
}

fn snapshot(summary: &mut FileSummary, each: &mut dyn FnMut(Row) -> Result<()>) -> Result<()> {
    let path = summary.path.clone();
    let scan = scan::snapshot(&path, |_, _, entry| {
        summary.saw(entry.created_ms);
        each(Row::Set(entry))
    })?;
    summary.problems = scan.problems;
    if let Some(snapshot) = &scan.opened {
        let h = &snapshot.header;
        summary.field("generation", Field::Count(h.generation));
        summary.field("created", Field::Time(h.created_ms));
        summary.field("entries", Field::Count(h.entry_count));
        summary.field("entry bytes", Field::Bytes(h.live_bytes));
        summary.field("index slots", Field::Count(h.slot_count));
        summary.field("invalid before epoch", Field::Count(h.invalid_before));
        let table = snapshot.each_slot(|_| {})?;
        if !table.crc_matches {
            summary.problems.push(Problem::at(
                &path,
                h.table_offset,
                "the hash table's checksum does not match",
            ));
        }
    }
    summary.field("readable records", Field::Count(scan.records));
    Ok(())
}

fn journal(summary: &mut FileSummary, each: &mut dyn FnMut(Row) -> Result<()>) -> Result<()> {
    let path = summary.path.clone();
    let (mut sets, mut dels, mut clears) = (0, 0, 0);
    let mut seqs: Option<(u64, u64)> = None;
    let scan = scan::journal(&path, |_, seq, op| {
        seqs = Some(seqs.map_or((seq, seq), |(first, _)| (first, seq)));
        match &op {
            Op::Set(entry) => {
                sets += 1;
                summary.saw(entry.created_ms);
            }
            Op::Del(_) => dels += 1,
            Op::Clear => clears += 1,
        }
        each(op.into())
    })?;
    if let Some(header) = scan.opened {
        summary.field("number", Field::Count(header.number));
        summary.field("created", Field::Time(header.created_ms));
        summary.field("first sequence", Field::Count(header.first_seq));
    }
    summary.field("records", Field::Count(scan.records));
    summary.field(
        "operations",
        Field::Text(format!("{sets} set, {dels} del, {clears} clear")),
    );
    if let Some((first, last)) = seqs {
        summary.field("sequence", Field::Text(format!("{first} to {last}")));
    }
    summary.problems = scan.problems;
    summary.torn = scan.torn;
    Ok(())
}

fn head(summary: &mut FileSummary) -> Result<()> {
    let bytes = fsutil::read(&summary.path)?;
    match document::decode::<Head>(FileKind::Head, &bytes, &summary.path) {
        Ok(head) => {
            summary.field("generation", Field::Count(head.generation));
            summary.field("last journal", Field::Count(head.last_journal));
            summary.field("last sync", Field::Time(head.last_sync_ms));
        }
        Err(e) => summary.problems.push(e.into()),
    }
    Ok(())
}

fn manifest(summary: &mut FileSummary) -> Result<()> {
    let bytes = fsutil::read(&summary.path)?;
    match Manifest::decode(&bytes, &summary.path) {
        Ok(manifest) => {
            summary.field("epoch", Field::Count(manifest.epoch));
            summary.field("caches", Field::Count(manifest.caches.len() as u64));
            let names: Vec<&str> = manifest.caches.keys().map(String::as_str).collect();
            summary.field("names", Field::Text(names.join(", ")));
            summary.field(
                "dependencies",
                Field::Count(manifest.graph.edges().count() as u64),
            );
        }
        Err(e) => summary.problems.push(e.into()),
    }
    Ok(())
}

fn blob_file(summary: &mut FileSummary) {
    match blobs::check_blob(&summary.path).unwrap_or_else(|e| Err(e.into())) {
        Ok((hash, len)) => {
            summary.field("value bytes", Field::Bytes(len));
            summary.field(
                "blake3",
                Field::Text(blake3::Hash::from_bytes(hash).to_hex().to_string()),
            );
        }
        Err(problem) => summary.problems.push(problem),
    }
}

fn counters_file(summary: &mut FileSummary) {
    match counters::read(&summary.path) {
        Ok(contents) => {
            let tally = contents.tally;
            summary.field("hits", Field::Count(tally.hits));
            summary.field("misses", Field::Count(tally.misses));
            summary.field("counting since", Field::Time(tally.since_ms));
            summary.field(
                "counting started by",
                Field::Text(tally.origin.cause().into()),
            );
            summary.field("stamped slots", Field::Count(contents.stamped));
            summary.field("table slots", Field::Count(contents.slots));
        }
        Err(e) => summary.problems.push(Problem::counters(e)),
    }
}

/// The context of a file or cache directory: the floors of the cache it
/// belongs to when it sits in a store (`STORE/caches/NAME/...`) whose manifest
/// reads back. Reading the manifest changes nothing.
pub fn context_of(cache_dir: &Path, now_ms: u64) -> Context {
    let floors = (|| {
        let cache_dir = cache_dir.canonicalize().ok()?;
        let parent = cache_dir.parent()?;
        if parent.file_name()? != "caches" {
            return None;
        }
        floors_in(parent.parent()?, cache_dir.file_name()?.to_str()?)
    })();
    Context { floors, now_ms }
}

/// The context of cache `name` of the store at `store`.
pub fn context_in(store: &Path, name: &str, now_ms: u64) -> Context {
    Context {
        floors: floors_in(store, name),
        now_ms,
    }
}

/// The floors of cache `name` in the manifest of the store at `store`, when
/// it reads back and names that cache.
fn floors_in(store: &Path, name: &str) -> Option<Invalidated> {
    let manifest_path = store.join("manifest");
    let bytes = fsutil::read(&manifest_path).ok()?;
    let manifest = Manifest::decode(&bytes, &manifest_path).ok()?;
    manifest
        .caches
        .contains_key(name)
        .then(|| manifest.invalidated(name))
}

/// Calls `each` with every current entry of a cache directory: the snapshot's
/// that no journal changed (in the order of its records), then the journals'
/// own, sorted by key. Damaged
/// records are skipped (`verify` reports them).
pub fn cache_entries(dir: &CacheDir, each: &mut dyn FnMut(Row) -> Result<()>) -> Result<()> {
    let Ok(Some(head)) = scan::head(dir) else {
        return Ok(()); // a damaged HEAD is shown damaged; it names no entries
    };
    let mut overlay = Overlay::default();
    for number in head.journals() {
        scan::journal(&dir.journal_path(number), |_, _, op| {
            overlay.apply(op);
            Ok(())
        })?;
    }
    if head.has_snapshot() && !overlay.cleared {
        scan::snapshot(
            &dir.snapshot_path(head.generation),
            |_, _, entry| match overlay.shadows(&entry.key) {
                true => Ok(()),
                false => each(Row::Set(entry)),
            },
        )?;
    }
    let mut changed: Vec<&Entry> = overlay.entries().collect();
    changed.sort_by(|a, b| a.key.cmp(&b.key));
    changed
        .into_iter()
        .try_for_each(|entry| each(Row::Set(entry.clone())))
}
