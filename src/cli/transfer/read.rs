//! Reading an import: one entry per JSON line or CSV row, each checked as it
//! is read, a bad one refused with its line number and what is wrong with
//! which field.

use std::io::{BufRead, BufReader, Read};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::cli::transfer::{CSV_HEADER, Format};
use crate::error::{Error, Result};
use crate::local::transfer::Portable;

/// How far in the future a creation time may lie (clocks differ a little);
/// beyond it, the entry would never be the least recently used.
const FUTURE_SLACK_MS: u64 = 24 * 3600 * 1000;

/// An entry read from an import, with the line it ends on and how far into the
/// input that is.
pub struct Parsed {
    pub line: u64,
    pub bytes_read: u64,
    pub entry: Portable<Vec<u8>>,
}

/// Reads entries from `input`, calling `f` with each; an entry without a
/// creation time gets `now_ms`. A malformed line is an error naming it.
pub fn read(
    format: Format,
    input: &mut dyn Read,
    now_ms: u64,
    f: &mut dyn FnMut(Parsed) -> Result<()>,
) -> Result<()> {
    let mut checked = |parsed: Parsed| {
        let created = parsed.entry.created_ms;
        if created > now_ms.saturating_add(FUTURE_SLACK_MS) {
            return Err(bad_line(
                parsed.line,
                format!("created_ms {created} is more than a day in the future"),
            ));
        }
        f(parsed)
    };
    match format {
        Format::Jsonl => read_jsonl(input, now_ms, &mut checked),
        Format::Csv => read_csv(input, now_ms, &mut checked),
    }
}

/// The error for line `line` of an import.
pub fn bad_line(line: u64, why: impl std::fmt::Display) -> Error {
    Error::usage_with_hint(
        format!("line {line}: {why}"),
        "nothing was imported; fix that line and run the import again",
    )
}

const JSON_FIELDS: [&str; 5] = ["key", "value", "created_ms", "expires_ms", "stale"];

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
        let object: Value = serde_json::from_slice(&buf).map_err(|e| {
            let message = e.to_string();
            let reason = message
                .rsplit_once(" at line ")
                .map_or(&*message, |(r, _)| r);
            match e.line() {
                1 => bad_line(line, format!("{reason} (column {})", e.column())),
                _ => bad_line(line, format!("{reason} (at its end)")),
            }
        })?;
        let entry = json_entry(object, now_ms).map_err(|e| bad_line(line, e))?;
        f(Parsed {
            line,
            bytes_read,
            entry,
        })?;
    }
}

/// The entry a JSON line holds, or what is wrong with which field.
fn json_entry(object: Value, now_ms: u64) -> std::result::Result<Portable<Vec<u8>>, String> {
    let Value::Object(mut fields) = object else {
        return Err(format!(
            "not a JSON object; each line is {{{}}}",
            JSON_FIELDS.join(", ")
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| !JSON_FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "unknown field {unknown:?}; the fields are {}",
            JSON_FIELDS.join(", ")
        ));
    }
    let millis = |fields: &mut Map<String, Value>, name: &str| match fields.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{name} must be a whole number of milliseconds, not {value}")),
    };
    Ok(Portable {
        key: json_bytes(fields.remove("key"), "key")?,
        value: json_bytes(fields.remove("value"), "value")?,
        created_ms: millis(&mut fields, "created_ms")?.unwrap_or(now_ms),
        expires_ms: millis(&mut fields, "expires_ms")?,
        stale: match fields.remove("stale") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(stale)) => stale,
            Some(other) => return Err(format!("stale must be true or false, not {other}")),
        },
    })
}

/// A key or value: a string, or `{"bytes": "<base64>"}`.
fn json_bytes(value: Option<Value>, name: &str) -> std::result::Result<Vec<u8>, String> {
    let wrong = |found: &str| {
        format!("{name} must be a string or {{\"bytes\": \"<base64>\"}}, not {found}")
    };
    match value {
        None => Err(format!("{name} is missing")),
        Some(Value::String(text)) => Ok(text.into_bytes()),
        Some(Value::Object(mut object)) => match (object.remove("bytes"), object.is_empty()) {
            (Some(Value::String(encoded)), true) => STANDARD
                .decode(encoded)
                .map_err(|e| format!("the {name}'s base64 is invalid: {e}")),
            _ => Err(wrong("another object")),
        },
        Some(other) => Err(wrong(&other.to_string())),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(line: &str) -> std::result::Result<Portable<Vec<u8>>, String> {
        json_entry(serde_json::from_str(line).unwrap(), 5)
    }

    #[test]
    fn a_json_line_with_a_wrong_field_names_the_field() {
        for (line, why) in [
            (r#"{"key": 1, "value": "v"}"#, "key must be a string"),
            (r#"{"key": "k", "value": [1]}"#, "value must be a string"),
            (
                r#"{"key": "k", "value": {"bytes": 3}}"#,
                "value must be a string",
            ),
            (r#"{"key": "k"}"#, "value is missing"),
            (
                r#"{"key": "k", "value": "v", "created_ms": "x"}"#,
                "created_ms must be",
            ),
            (
                r#"{"key": "k", "value": "v", "expires_ms": -1}"#,
                "expires_ms must be",
            ),
            (r#"{"key": "k", "value": "v", "stale": 1}"#, "stale must be"),
            (
                r#"{"key": "k", "value": "v", "colour": 1}"#,
                "unknown field \"colour\"",
            ),
            (r#"[1]"#, "not a JSON object"),
        ] {
            let error = entry(line).unwrap_err();
            assert!(error.contains(why), "{line}: {error}");
        }
    }

    #[test]
    fn a_json_line_reads_back() {
        let read =
            entry(r#"{"key": {"bytes": "/wA="}, "value": "v", "expires_ms": null}"#).unwrap();
        assert_eq!(read.key, b"\xff\x00");
        assert_eq!(
            (read.created_ms, read.expires_ms, read.stale),
            (5, None, false)
        );
    }
}
