//! Reading an import: one entry per JSON line or CSV row, each checked as it
//! is read, a bad one refused with its line number and what is wrong with
//! which field. A value is handed on as it stands in the line (borrowed, still
//! in base64 if it is), to be decoded a piece at a time where it is written.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};

use base64::engine::general_purpose::STANDARD;
use base64::{DecodeError, DecodeSliceError, Engine};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::cli::transfer::{CSV_HEADER, Format};
use crate::error::{Error, Result};
use crate::store::Portable;

/// How far in the future a creation time may lie (clocks differ a little);
/// beyond it, the entry would never be the least recently used.
const FUTURE_SLACK_MS: u64 = 24 * 3600 * 1000;

/// An entry read from an import, with the line it ends on and how far into the
/// input that is. Its value is still encoded.
pub struct Parsed<'a> {
    pub line: u64,
    pub bytes_read: u64,
    pub entry: Portable<Encoded<'a>>,
}

impl Parsed<'_> {
    /// Writes the entry's value into `out`, decoding it on the way; bad
    /// base64 is an error naming the line.
    pub fn write_value(&self, out: &mut dyn Write) -> Result<()> {
        self.entry.value.write_to(out).map_err(|e| match e {
            Invalid::Base64(e) => {
                bad_line(self.line, format!("the value's base64 is invalid: {e}"))
            }
            Invalid::Io(e) => bad_line(self.line, format!("the value cannot be stored: {e}")),
        })
    }
}

/// A key or value as an import spells it.
pub enum Encoded<'a> {
    Plain(Cow<'a, [u8]>),
    Base64(Cow<'a, [u8]>),
}

/// Why [`Encoded::write_to`] stopped.
pub enum Invalid {
    Base64(DecodeError),
    Io(io::Error),
}

/// Base64 characters decoded at a time: whole groups of four.
const PIECE: usize = 48 << 10;

impl Encoded<'_> {
    /// Writes the bytes this stands for into `out`, base64 decoded a piece at
    /// a time (an error names its place in the whole).
    pub fn write_to(&self, out: &mut dyn Write) -> std::result::Result<(), Invalid> {
        let encoded = match self {
            Encoded::Plain(bytes) => return out.write_all(bytes).map_err(Invalid::Io),
            Encoded::Base64(encoded) => encoded,
        };
        let mut buf = vec![0; PIECE / 4 * 3];
        for (n, piece) in encoded.chunks(PIECE).enumerate() {
            let len = match STANDARD.decode_slice(piece, &mut buf) {
                Ok(len) => len,
                Err(DecodeSliceError::DecodeError(e)) => {
                    return Err(Invalid::Base64(shifted(e, n * PIECE)));
                }
                Err(DecodeSliceError::OutputSliceTooSmall) => unreachable!("sized for a piece"),
            };
            out.write_all(&buf[..len]).map_err(Invalid::Io)?;
        }
        Ok(())
    }

    /// The bytes this stands for.
    pub fn decoded(&self) -> std::result::Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        match self.write_to(&mut out) {
            Ok(()) => Ok(out),
            Err(Invalid::Base64(e)) => Err(e),
            Err(Invalid::Io(_)) => unreachable!("a Vec takes every write"),
        }
    }
}

/// A decoding error in a piece starting at `start`, placed in the whole.
fn shifted(error: DecodeError, start: usize) -> DecodeError {
    match error {
        DecodeError::InvalidByte(at, byte) => DecodeError::InvalidByte(at + start, byte),
        DecodeError::InvalidLength(len) => DecodeError::InvalidLength(len + start),
        DecodeError::InvalidLastSymbol {
            offset,
            symbol,
            symbol_value,
        } => DecodeError::InvalidLastSymbol {
            offset: offset + start,
            symbol,
            symbol_value,
        },
        DecodeError::InvalidPadding => DecodeError::InvalidPadding,
    }
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
        let entry = json_entry(&buf, now_ms).map_err(|e| bad_line(line, e))?;
        f(Parsed {
            line,
            bytes_read,
            entry,
        })?;
    }
}

/// The entry a JSON line holds, or what is wrong with it or with which field.
fn json_entry(line: &[u8], now_ms: u64) -> std::result::Result<Portable<Encoded<'_>>, String> {
    let mut fields: BTreeMap<String, &RawValue> = match serde_json::from_slice(line) {
        Ok(fields) => fields,
        Err(e) if e.is_data() => {
            return Err(format!(
                "not a JSON object; each line is {{{}}}",
                JSON_FIELDS.join(", ")
            ));
        }
        Err(e) => return Err(syntax_error(&e)),
    };
    if let Some(unknown) = fields.keys().find(|k| !JSON_FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "unknown field {unknown:?}; the fields are {}",
            JSON_FIELDS.join(", ")
        ));
    }
    let key = json_bytes(fields.remove("key"), "key")?
        .decoded()
        .map_err(|e| format!("the key's base64 is invalid: {e}"))?;
    let value = json_bytes(fields.remove("value"), "value")?;
    let mut small = |name: &str| -> Value {
        fields
            .remove(name)
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(Value::Null)
    };
    let millis = |value: Value, name: &str| match value {
        Value::Null => Ok(None),
        value => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{name} must be a whole number of milliseconds, not {value}")),
    };
    let created_ms = millis(small("created_ms"), "created_ms")?.unwrap_or(now_ms);
    let expires_ms = millis(small("expires_ms"), "expires_ms")?;
    let stale = match small("stale") {
        Value::Null => false,
        Value::Bool(stale) => stale,
        other => return Err(format!("stale must be true or false, not {other}")),
    };
    Ok(Portable {
        key,
        value,
        created_ms,
        expires_ms,
        stale,
    })
}

/// What `serde_json` says is wrong with a line, placed by column.
fn syntax_error(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let reason = message
        .rsplit_once(" at line ")
        .map_or(&*message, |(r, _)| r);
    match e.line() {
        1 => format!("{reason} (column {})", e.column()),
        _ => format!("{reason} (at its end)"),
    }
}

/// A JSON string, borrowed from the line when it has no escapes.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'a> Text<'a> {
    fn bytes(self) -> Cow<'a, [u8]> {
        match self.0 {
            Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        }
    }
}

/// A key or value: a string, or `{"bytes": "<base64>"}`.
fn json_bytes<'a>(
    value: Option<&'a RawValue>,
    name: &str,
) -> std::result::Result<Encoded<'a>, String> {
    let wrong = |found: &str| {
        format!("{name} must be a string or {{\"bytes\": \"<base64>\"}}, not {found}")
    };
    let Some(raw) = value else {
        return Err(format!("{name} is missing"));
    };
    let text = |raw: &'a RawValue| serde_json::from_str::<Text<'a>>(raw.get()).ok();
    if let Some(plain) = text(raw) {
        return Ok(Encoded::Plain(plain.bytes()));
    }
    match serde_json::from_str::<BTreeMap<String, &'a RawValue>>(raw.get()) {
        Ok(object) => match (object.get("bytes"), object.len()) {
            (Some(encoded), 1) => text(encoded)
                .map(|t| Encoded::Base64(t.bytes()))
                .ok_or_else(|| wrong("another object")),
            _ => Err(wrong("another object")),
        },
        Err(_) => Err(wrong(
            &serde_json::from_str::<Value>(raw.get())
                .map_or_else(|_| raw.get().to_string(), |value| value.to_string()),
        )),
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
) -> std::result::Result<Portable<Encoded<'_>>, String> {
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
        "text" => (field(0).to_vec(), Encoded::Plain(Cow::Borrowed(field(1)))),
        "base64" => {
            let key = STANDARD
                .decode(field(0))
                .map_err(|e| format!("key is not valid base64: {e}"))?;
            (key, Encoded::Base64(Cow::Borrowed(field(1))))
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
impl Portable<Encoded<'_>> {
    /// The entry with its value decoded.
    pub fn decoded(self) -> std::result::Result<Portable<Vec<u8>>, DecodeError> {
        Ok(Portable {
            value: self.value.decoded()?,
            key: self.key,
            created_ms: self.created_ms,
            expires_ms: self.expires_ms,
            stale: self.stale,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(line: &str) -> std::result::Result<Portable<Vec<u8>>, String> {
        json_entry(line.as_bytes(), 5)?
            .decoded()
            .map_err(|e| e.to_string())
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
