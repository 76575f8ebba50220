//! The two interchange formats of `export` and `import`. JSON Lines: one object
//! per entry, keys and values as text when UTF-8, else `{"bytes": "<base64>"}`.
//! CSV (for spreadsheets): a header row, then one row per entry whose `encoding`
//! column says whether key and value are plain text or both base64.

use std::io::{BufRead, BufReader, Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::ValueEnum;
use indicatif::ProgressBar;
use serde::Deserialize;
use serde_json::json;

use crate::cli::{json, output};
use crate::error::{Error, Result};
use crate::local::transfer::{Export, Portable};

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

/// An entry read from an import, with the line it ends on and how far into the
/// input that is.
pub struct Parsed {
    pub line: u64,
    pub bytes_read: u64,
    pub entry: Portable<Vec<u8>>,
}

/// Writes every entry of `export` to `out`, counting them on `bar`.
pub fn write(
    format: Format,
    export: &Export,
    out: &mut dyn Write,
    bar: &ProgressBar,
) -> Result<()> {
    match format {
        Format::Jsonl => export.for_each(|entry| {
            bar.inc(1);
            output::json_line(out, &to_json(&entry))
        }),
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            let csv_error = |e: csv::Error| output::stdout_error(e.into());
            csv.write_record(CSV_HEADER).map_err(csv_error)?;
            export.for_each(|entry| {
                bar.inc(1);
                csv.write_record(to_csv(&entry)).map_err(csv_error)
            })?;
            csv.flush().map_err(output::stdout_error)
        }
    }
}

fn to_json(entry: &Portable<Vec<u8>>) -> serde_json::Value {
    json!({
        "key": json::bytes(&entry.key),
        "value": json::bytes(&entry.value),
        "created_ms": entry.created_ms,
        "expires_ms": entry.expires_ms,
        "stale": entry.stale,
    })
}

fn to_csv(entry: &Portable<Vec<u8>>) -> [Vec<u8>; 6] {
    let text = std::str::from_utf8(&entry.key).is_ok() && std::str::from_utf8(&entry.value).is_ok();
    let field = |bytes: &[u8]| match text {
        true => bytes.to_vec(),
        false => STANDARD.encode(bytes).into_bytes(),
    };
    [
        field(&entry.key),
        field(&entry.value),
        (if text { "text" } else { "base64" }).into(),
        entry.created_ms.to_string().into(),
        entry
            .expires_ms
            .map_or(String::new(), |ms| ms.to_string())
            .into(),
        entry.stale.to_string().into(),
    ]
}

/// Reads entries from `input`, calling `f` with each; an entry without a
/// creation time gets `now_ms`. A malformed line is an error naming it.
pub fn read(
    format: Format,
    input: &mut dyn Read,
    now_ms: u64,
    f: &mut dyn FnMut(Parsed) -> Result<()>,
) -> Result<()> {
    match format {
        Format::Jsonl => read_jsonl(input, now_ms, f),
        Format::Csv => read_csv(input, now_ms, f),
    }
}

/// The error for line `line` of an import.
pub fn bad_line(line: u64, why: impl std::fmt::Display) -> Error {
    Error::usage_with_hint(
        format!("line {line}: {why}"),
        "nothing was imported; fix that line and run the import again",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonLine {
    key: JsonBytes,
    value: JsonBytes,
    created_ms: Option<u64>,
    #[serde(default)]
    expires_ms: Option<u64>,
    #[serde(default)]
    stale: bool,
}

#[derive(Deserialize)]
#[serde(untagged, expecting = "a string, or {\"bytes\": \"<base64>\"}")]
enum JsonBytes {
    Text(String),
    Binary(Base64),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Base64 {
    bytes: String,
}

impl JsonBytes {
    fn decode(self, what: &str) -> std::result::Result<Vec<u8>, String> {
        match self {
            JsonBytes::Text(text) => Ok(text.into_bytes()),
            JsonBytes::Binary(b) => STANDARD
                .decode(b.bytes)
                .map_err(|e| format!("the {what}'s base64 is invalid: {e}")),
        }
    }
}

fn read_jsonl(
    input: &mut dyn Read,
    now_ms: u64,
    f: &mut dyn FnMut(Parsed) -> Result<()>,
) -> Result<()> {
    let mut input = BufReader::with_capacity(64 << 10, input);
    let mut buf = Vec::new();
    let (mut line, mut bytes_read) = (0, 0);
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).map_err(read_error)?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        bytes_read += n as u64;
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed: JsonLine = serde_json::from_slice(&buf).map_err(|e| {
            let message = e.to_string();
            let reason = message
                .rsplit_once(" at line ")
                .map_or(&*message, |(r, _)| r);
            match e.line() {
                1 => bad_line(line, format!("{reason} (column {})", e.column())),
                _ => bad_line(line, format!("{reason} (at its end)")),
            }
        })?;
        let entry = Portable {
            key: parsed.key.decode("key").map_err(|e| bad_line(line, e))?,
            value: parsed
                .value
                .decode("value")
                .map_err(|e| bad_line(line, e))?,
            created_ms: parsed.created_ms.unwrap_or(now_ms),
            expires_ms: parsed.expires_ms,
            stale: parsed.stale,
        };
        f(Parsed {
            line,
            bytes_read,
            entry,
        })?;
    }
}

fn read_csv(
    input: &mut dyn Read,
    now_ms: u64,
    f: &mut dyn FnMut(Parsed) -> Result<()>,
) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new().from_reader(input);
    let header = reader.byte_headers().map_err(|e| bad_line(1, e))?;
    if header.iter().ne(CSV_HEADER.iter().map(|h| h.as_bytes())) {
        return Err(bad_line(
            1,
            format!("the header must be {}", CSV_HEADER.join(",")),
        ));
    }
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(bad_line(e.position().map_or(line, |p| p.line()), e)),
        }
        let line = record.position().map_or(line, |p| p.line());
        let entry = csv_entry(&record, now_ms).map_err(|e| bad_line(line, e))?;
        f(Parsed {
            line,
            bytes_read: reader.position().byte(),
            entry,
        })?;
    }
}

fn csv_entry(
    record: &csv::ByteRecord,
    now_ms: u64,
) -> std::result::Result<Portable<Vec<u8>>, String> {
    let field = |i: usize| record.get(i).unwrap_or_default();
    let text = |i: usize| {
        std::str::from_utf8(field(i)).map_err(|_| format!("{} is not UTF-8", CSV_HEADER[i]))
    };
    let number = |i: usize| -> std::result::Result<Option<u64>, String> {
        match text(i)?.trim() {
            "" => Ok(None),
            n => n.parse().map(Some).map_err(|_| {
                format!(
                    "{} {n:?} is not a whole number of milliseconds",
                    CSV_HEADER[i]
                )
            }),
        }
    };
    let (key, value) = match text(2)? {
        "text" => (field(0).to_vec(), field(1).to_vec()),
        "base64" => {
            let decode = |i: usize| {
                STANDARD
                    .decode(field(i))
                    .map_err(|e| format!("{} is not valid base64: {e}", CSV_HEADER[i]))
            };
            (decode(0)?, decode(1)?)
        }
        other => {
            return Err(format!(
                "encoding {other:?} is neither \"text\" nor \"base64\""
            ));
        }
    };
    let stale = match text(5)?.trim() {
        "" | "false" => false,
        "true" => true,
        other => return Err(format!("stale {other:?} is neither \"true\" nor \"false\"")),
    };
    Ok(Portable {
        key,
        value,
        created_ms: number(3)?.unwrap_or(now_ms),
        expires_ms: number(4)?,
        stale,
    })
}

fn read_error(e: std::io::Error) -> Error {
    Error::usage(format!("cannot read the import: {e}"))
}
