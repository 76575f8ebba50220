//! `cacheman import`: load entries, with their times, from JSON Lines or CSV.
//! Everything is read, checked and staged in the store first (in bounded
//! memory, whatever the size of the input); only then is anything written.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use crate::cli::commands::set::open_input;
use crate::cli::context::Context;
use crate::cli::output;
use crate::cli::progress::{Counter, Unit};
use crate::cli::transfer::{self, Format, Parsed};
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::{CacheName, check_key};
use crate::store::Portable;

/// Load entries from an export (a file, or stdin), all or nothing
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman import users users.jsonl
  cacheman import users users.csv            # the format follows a .csv name
  cacheman export users | cacheman import users-copy

Entries keep the creation and expiry times they were exported with, and replace
entries with the same key; those expired since are left out (and counted). A
missing cache is created with default settings (an empty input creates none).
The whole input is checked before anything is written: a malformed line, or a
creation time more than a day in the future, is reported with its number
(exit 2) and nothing is imported. See `cacheman export --help` for the formats.")]
pub struct ImportArgs {
    /// The cache to load into
    pub cache: String,
    /// The file to read; '-' or none reads stdin
    pub file: Option<PathBuf>,
    /// The input format [default: csv for a .csv file, else jsonl]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

pub fn run(ctx: &Context, args: ImportArgs) -> Result<ExitCode> {
    let cache = CacheName::new(&args.cache)?;
    let file = args.file.filter(|path| path.as_os_str() != "-");
    let format = args.format.unwrap_or(match &file {
        Some(path)
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv")) =>
        {
            Format::Csv
        }
        _ => Format::Jsonl,
    });
    let (mut input, size): (Box<dyn Read>, Option<u64>) = match &file {
        Some(path) => {
            let file = open_input(path, "")?;
            let size = file
                .metadata()
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len());
            (Box::new(file), size)
        }
        None => (Box::new(std::io::stdin().lock()), None),
    };
    let mut progress = Counter::new(
        size,
        Unit::Bytes,
        &format!("reading the import into {cache}"),
    );
    let mut importer = ctx.store.import(&cache)?;
    let mut expired = 0;
    let now = ctx.store.clock().now_ms();
    transfer::read(format, &mut input, now, &mut |parsed: Parsed| {
        check_key(&parsed.entry.key).map_err(|e| transfer::bad_line(parsed.line, e))?;
        progress.set_position(parsed.bytes_read);
        // An entry that expired since its export is a miss already: leave it out.
        if parsed.entry.expires_ms.is_some_and(|at| at <= now) {
            expired += 1;
            return Ok(());
        }
        let entry = Portable {
            key: parsed.entry.key.clone(),
            value: (),
            created_ms: parsed.entry.created_ms,
            expires_ms: parsed.entry.expires_ms,
            stale: parsed.entry.stale,
        };
        importer.push(entry, &mut |out| parsed.write_value(out))
    })?;
    progress.finish_and_clear();
    let imported = importer.finish()?;
    let (count, repeated) = (imported.records, imported.records - imported.keys);
    ctx.after_write(&cache, &imported.report);
    let skipped = match expired {
        0 => String::new(),
        n => format!(
            " (left out {} already expired)",
            output::plural(n, "entry", "entries")
        ),
    };
    let repeated = match repeated {
        0 => String::new(),
        n => format!(
            " ({} again: the later line wins)",
            output::plural(n, "key came", "keys came")
        ),
    };
    let created = match count == 0 && ctx.store.settings(&cache)?.is_none() {
        true => "; nothing to import, so the cache was not created",
        false => "",
    };
    say!(
        "{cache}: imported {}{repeated}{skipped}{created}",
        output::plural(count, "entry", "entries")
    );
    Ok(ExitCode::Success)
}
