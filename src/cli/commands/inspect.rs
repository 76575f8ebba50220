//! `cacheman inspect`: a read-only summary of any cacheman file, cache
//! directory or store directory, with `--entries` and JSON Lines.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{Map, Value, json};

use crate::cli::settings::human_bytes;
use crate::cli::{json, output};
use crate::clock::{Clock, SystemClock};
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::local::LocalStore;
use crate::local::cache::CacheDir;
use crate::local::format::FileKind;
use crate::local::inspect::blobs;
use crate::local::inspect::problem::{Problem, key_label};
use crate::local::inspect::summary::{self, Context as EntryContext, Field, FileSummary, Row};
use crate::local::inspect::target::{self, Target};

/// Describe cacheman files and directories without changing them
#[derive(Debug, Args)]
#[command(
    after_help = "Takes snapshots (snap.N), journals (journal.N), HEAD, the manifest, blobs,
counters, run notes (run-notes/CACHE/ARGV), and whole cache or store
directories; the kind is recognised by the file's magic.
Exits 1 when a file is damaged (a torn journal tail is reported, not damage).

Examples:
  cacheman inspect ~/.cache/cacheman/caches/users/journal.3
  cacheman inspect --entries ~/.cache/cacheman/caches/users
  cacheman inspect --json \"$(cacheman info --path)\""
)]
pub struct InspectArgs {
    /// Files or directories to inspect
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also list the entries: key, size, created, expiry, epoch and state
    #[arg(long)]
    pub entries: bool,
    /// Print JSON Lines: one object per file, blob folder and entry
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: InspectArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let targets = args
        .paths
        .iter()
        .map(|path| target::classify(path))
        .collect::<Result<Vec<_>>>()?;
    let mut printer = Printer {
        out,
        json: args.json,
        entries: args.entries,
        now_ms: SystemClock.now_ms(),
        damaged: false,
    };
    for target in targets {
        match target {
            Target::File(path) => printer.file(&path)?,
            Target::Cache(path) => {
                let context = summary::context_of(&path, printer.now_ms);
                printer.cache(&path, &context)?
            }
            Target::Store(path) => {
                let manifest = path.join("manifest");
                if manifest.symlink_metadata().is_ok() {
                    printer.file(&manifest)?;
                }
                // The volatile caches too, which live in the runtime folder.
                let volatile = match LocalStore::new(&path).volatile_root() {
                    Some(root) => target::cache_dirs(&root)?,
                    None => Vec::new(),
                };
                for cache in target::store_caches(&path)?.into_iter().chain(volatile) {
                    let name = cache.file_name().unwrap_or_default().to_string_lossy();
                    let context = summary::context_in(&path, &name, printer.now_ms);
                    printer.cache(&cache, &context)?;
                }
            }
        }
    }
    Ok(match printer.damaged {
        true => ExitCode::Miss,
        false => ExitCode::Success,
    })
}

struct Printer<'a> {
    out: &'a mut dyn Write,
    json: bool,
    entries: bool,
    now_ms: u64,
    damaged: bool,
}

impl Printer<'_> {
    fn file(&mut self, path: &Path) -> Result<()> {
        let summary = summary::summarize(path, &mut |_| Ok(()))?;
        self.summary(&summary)?;
        if self.entries && matches!(summary.kind, Some(FileKind::Snapshot | FileKind::Journal)) {
            let file = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
            let context = summary::context_of(file.parent().unwrap_or(&file), self.now_ms);
            self.entries_header(path)?;
            summary::summarize(path, &mut |row| self.row(path, &row, &context))?;
        }
        Ok(())
    }

    fn cache(&mut self, dir: &Path, context: &EntryContext) -> Result<()> {
        for file in target::cache_files(dir)? {
            let summary = summary::summarize(&file, &mut |_| Ok(()))?;
            self.summary(&summary)?;
        }
        let blobs = dir.join("blobs");
        let stored = blobs::check_all(&blobs, &|_| {})?;
        let (count, bytes, damaged) = (stored.files, stored.bytes, stored.damaged);
        self.damaged |= !damaged.is_empty();
        if self.json {
            let line = json!({
                "type": "blobs",
                "path": blobs.display().to_string(),
                "files": count,
                "bytes": bytes,
                "checksums": status(&damaged),
                "problems": damaged.iter().map(problem_json).collect::<Vec<_>>(),
            });
            output::json_line(self.out, &line)?;
        } else {
            let mut text = format!(
                "{}: {}, {}\n",
                blobs.display(),
                output::plural(count, "blob file", "blob files"),
                human_bytes(bytes)
            );
            push_problems(&mut text, &damaged, status(&damaged));
            self.write(&text)?;
        }
        if self.entries {
            self.entries_header(dir)?;
            let cache = CacheDir::new(dir.to_path_buf());
            summary::cache_entries(&cache, &mut |row| self.row(dir, &row, context))?;
        }
        Ok(())
    }

    fn summary(&mut self, summary: &FileSummary) -> Result<()> {
        self.damaged |= !summary.problems.is_empty();
        if self.json {
            return output::json_line(self.out, &summary_json(summary));
        }
        let version = summary
            .version
            .map_or(String::new(), |v| format!(", format version {v}"));
        let mut text = match summary.kind {
            Some(kind) => format!(
                "{}: {}{version}, {}\n",
                summary.path.display(),
                kind.name(),
                human_bytes(summary.file_bytes)
            ),
            None => format!("{}: not a regular file\n", summary.path.display()),
        };
        for (name, value) in &summary.fields {
            push_line(&mut text, name, &field_text(value));
        }
        if let Some((first, last)) = summary.time_range {
            push_line(
                &mut text,
                "time range",
                &format!("{} to {}", time_text(first), time_text(last)),
            );
        }
        push_problems(&mut text, &summary.problems, status(&summary.problems));
        if let Some(torn) = &summary.torn {
            push_line(
                &mut text,
                "torn tail",
                &format!(
                    "{} bytes at offset {} ({}{}); the next write or `cacheman repair` cuts it",
                    torn.bytes,
                    torn.offset,
                    torn.reason,
                    torn.records_note()
                ),
            );
        }
        self.write(&text)
    }

    fn entries_header(&mut self, path: &Path) -> Result<()> {
        if self.json {
            return Ok(());
        }
        self.write(&format!(
            "{}: entries\n  {:<11} {:>6} {:>10}  {:<20}  {:<20}  KEY\n",
            path.display(),
            "STATE",
            "EPOCH",
            "SIZE",
            "CREATED",
            "EXPIRES"
        ))
    }

    fn row(&mut self, path: &Path, row: &Row, context: &EntryContext) -> Result<()> {
        let (state, key) = match row {
            Row::Set(entry) => (context.state(entry), &entry.key[..]),
            Row::Del(key) => ("deleted", &key[..]),
            Row::Clear => ("cleared", &b""[..]),
        };
        if self.json {
            let mut line = json!({
                "type": "entry",
                "path": path.display().to_string(),
                "op": match row { Row::Set(_) => "set", Row::Del(_) => "del", Row::Clear => "clear" },
                "state": state,
            });
            if let (Row::Set(entry), Some(object)) = (row, line.as_object_mut()) {
                object.insert("key".into(), json::bytes(&entry.key));
                object.insert("size".into(), entry.value.len().into());
                object.insert("created".into(), json::time(entry.created_ms));
                object.insert(
                    "expires".into(),
                    entry.expires_ms.map_or(Value::Null, json::time),
                );
                object.insert("epoch".into(), entry.epoch.into());
            } else if let (Row::Del(key), Some(object)) = (row, line.as_object_mut()) {
                object.insert("key".into(), json::bytes(key));
            }
            return output::json_line(self.out, &line);
        }
        let [epoch, size, created, expires] = match row {
            Row::Set(entry) => [
                entry.epoch.to_string(),
                entry.value.len().to_string(),
                time_text(entry.created_ms),
                entry.expires_ms.map_or("never".into(), time_text),
            ],
            Row::Del(_) | Row::Clear => ["-".into(), "-".into(), "-".into(), "-".into()],
        };
        let key = match row {
            Row::Clear => "(every key)".into(),
            _ => key_label(key),
        };
        self.write(&format!(
            "  {state:<11} {epoch:>6} {size:>10}  {created:<20}  {expires:<20}  {key}\n"
        ))
    }

    fn write(&mut self, text: &str) -> Result<()> {
        output::write_all(self.out, text.as_bytes())
    }
}

fn status(problems: &[Problem]) -> &'static str {
    match problems.is_empty() {
        true => "ok",
        false => "damaged",
    }
}

fn push_line(text: &mut String, name: &str, value: &str) {
    text.push_str(&format!("  {name:<22}{value}\n"));
}

fn push_problems(text: &mut String, problems: &[Problem], status: &str) {
    push_line(text, "checksums", status);
    for problem in problems {
        let what = match problem.offset {
            Some(offset) => format!("offset {offset}: {}", problem.what),
            None => problem.what.clone(),
        };
        push_line(text, "damage", &what);
    }
}

fn time_text(ms: u64) -> String {
    match json::time(ms) {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

fn field_text(value: &Field) -> String {
    match value {
        Field::Count(n) => n.to_string(),
        Field::Bytes(n) => format!("{n} ({})", human_bytes(*n)),
        Field::Time(ms) => time_text(*ms),
        Field::Text(text) => text.clone(),
    }
}

fn problem_json(problem: &Problem) -> Value {
    json!({
        "path": problem.path.display().to_string(),
        "offset": problem.offset,
        "what": problem.what,
    })
}

fn summary_json(summary: &FileSummary) -> Value {
    let mut object = Map::new();
    object.insert("type".into(), "file".into());
    object.insert("path".into(), summary.path.display().to_string().into());
    object.insert("kind".into(), summary.kind.map(FileKind::name).into());
    object.insert("version".into(), summary.version.into());
    object.insert("bytes".into(), summary.file_bytes.into());
    for (name, value) in &summary.fields {
        let value = match value {
            Field::Count(n) | Field::Bytes(n) => Value::from(*n),
            Field::Time(ms) => json::time(*ms),
            Field::Text(text) => Value::from(text.as_str()),
        };
        object.insert(name.replace(' ', "_"), value);
    }
    object.insert(
        "time_range".into(),
        summary.time_range.map_or(Value::Null, |(first, last)| {
            json!([json::time(first), json::time(last)])
        }),
    );
    object.insert("checksums".into(), status(&summary.problems).into());
    object.insert(
        "problems".into(),
        summary.problems.iter().map(problem_json).collect(),
    );
    object.insert(
        "torn_tail".into(),
        summary.torn.as_ref().map_or(
            Value::Null,
            |torn| json!({"offset": torn.offset, "bytes": torn.bytes, "reason": torn.reason, "records": torn.records}),
        ),
    );
    Value::Object(object)
}
