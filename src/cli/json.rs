//! JSON forms of byte strings: a UTF-8 string as itself, anything else as
//! `{"bytes": "<base64>"}`, so binary keys and values survive the trip; keys
//! given in that base64 on the command line (`--key-base64`). A value, however
//! large, is written in that form as a stream, after one pass that tells
//! whether it is text.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use base64::write::EncoderWriter;
use clap::Args;
use serde_json::{Map, Value, json};

use crate::store::{CopyError, Value as Stored};

use crate::error::{Error, Result};

/// How the commands that take keys read them: as given, or in base64, which
/// reaches any key (an argument cannot hold a NUL byte).
#[derive(Debug, Args)]
pub struct KeyForm {
    /// The keys are given in base64 (as `{"bytes": ...}` shows them), for keys
    /// an argument cannot hold, such as those with NUL bytes
    #[arg(long)]
    pub key_base64: bool,
}

impl KeyForm {
    /// A key's bytes.
    pub fn bytes<'a>(&self, key: &'a OsStr) -> Result<Cow<'a, [u8]>> {
        if !self.key_base64 {
            return Ok(Cow::Borrowed(key.as_bytes()));
        }
        STANDARD
            .decode(key.as_bytes())
            .map(Cow::Owned)
            .map_err(|e| {
                Error::usage_with_hint(
                    format!(
                        "--key-base64: {:?} is not base64 ({e})",
                        key.to_string_lossy()
                    ),
                    "encode a key with `printf 'a\\0b' | base64`",
                )
            })
    }
}

pub fn bytes(data: &[u8]) -> Value {
    match std::str::from_utf8(data) {
        Ok(text) => Value::String(text.to_owned()),
        Err(_) => json!({ "bytes": STANDARD.encode(data) }),
    }
}

/// What one pass over a value found out.
#[derive(Debug, Default)]
pub struct Shape {
    pub text: bool,
    /// It holds a byte a CSV field must be quoted for.
    pub csv_special: bool,
}

/// Bytes that can be read out more than once: a stored value, or a command's
/// captured output.
pub trait Source {
    /// Writes the bytes into `out`, checking them on the way (a blob against
    /// its hash).
    fn check_into(&self, out: &mut dyn Write) -> Result<(), CopyError>;
    /// Writes the bytes into `out` again, once [`Source::check_into`] has.
    fn copy_into(&self, out: &mut dyn Write) -> Result<(), CopyError>;
}

impl Source for Stored {
    fn check_into(&self, out: &mut dyn Write) -> Result<(), CopyError> {
        self.write_to(out)
    }

    fn copy_into(&self, out: &mut dyn Write) -> Result<(), CopyError> {
        match self {
            Stored::Bytes(bytes) => out.write_all(bytes).map_err(CopyError::Output),
            Stored::Stream(stream) => stream.copy_to(out),
        }
    }
}

impl Shape {
    /// Reads the value once (a blob is checked against its hash on the way).
    pub fn of(value: &dyn Source) -> Result<Shape> {
        let mut probe = Probe::default();
        value.check_into(&mut probe).map_err(|e| match e {
            CopyError::Store(e) => e,
            CopyError::Output(_) => unreachable!("a probe accepts every write"),
        })?;
        Ok(Shape {
            text: !probe.invalid && probe.carry.is_empty(),
            csv_special: probe.csv_special,
        })
    }
}

/// A sink that checks what flows into it is UTF-8, a chunk at a time (a
/// character cut between chunks is carried over), and looks for CSV's special bytes.
#[derive(Default)]
struct Probe {
    carry: Vec<u8>,
    invalid: bool,
    csv_special: bool,
}

impl Write for Probe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.csv_special |= buf.iter().copied().any(csv_special);
        if !self.invalid {
            let mut data = std::mem::take(&mut self.carry);
            data.extend_from_slice(buf);
            match std::str::from_utf8(&data) {
                Ok(_) => {}
                Err(e) if e.error_len().is_none() => self.carry = data[e.valid_up_to()..].to_vec(),
                Err(_) => self.invalid = true,
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub fn csv_special(byte: u8) -> bool {
    matches!(byte, b',' | b'"' | b'\r' | b'\n')
}

/// Streams the value as base64 into `out`.
pub fn base64(value: &dyn Source, out: &mut dyn Write) -> Result<(), CopyError> {
    let mut encoder = EncoderWriter::new(out, &STANDARD);
    value.copy_into(&mut encoder)?;
    encoder.finish().map(drop).map_err(CopyError::Output)
}

/// Writes `value` as [`bytes`] would form it, streaming: a JSON string, or
/// `{"bytes":"<base64>"}`, as `shape` (found by [`Shape::of`]) says.
pub fn write_value(
    out: &mut dyn Write,
    value: &dyn Source,
    shape: &Shape,
) -> Result<(), CopyError> {
    if shape.text {
        out.write_all(b"\"").map_err(CopyError::Output)?;
        value.copy_into(&mut JsonEscaped(&mut *out))?;
        out.write_all(b"\"").map_err(CopyError::Output)
    } else {
        out.write_all(b"{\"bytes\":\"").map_err(CopyError::Output)?;
        base64(value, out)?;
        out.write_all(b"\"}").map_err(CopyError::Output)
    }
}

/// The fields of `object`, which `json!` made an object.
pub fn fields(object: Value) -> Map<String, Value> {
    match object {
        Value::Object(fields) => fields,
        _ => unreachable!("only objects are passed"),
    }
}

/// Writes `fields` and one more field, `name`, holding `value` in the form
/// [`write_value`] streams (as `shape` says), as one compact JSON object with its keys in the
/// order `serde_json` writes a map's.
pub fn write_object(
    out: &mut dyn Write,
    fields: &Map<String, Value>,
    name: &str,
    value: &dyn Source,
    shape: &Shape,
) -> Result<(), CopyError> {
    let mut streamed = false;
    out.write_all(b"{").map_err(CopyError::Output)?;
    for (n, (key, field)) in fields.iter().enumerate() {
        if n > 0 {
            out.write_all(b",").map_err(CopyError::Output)?;
        }
        if !streamed && key.as_str() > name {
            write_field(out, name, &mut |out| write_value(out, value, shape))?;
            out.write_all(b",").map_err(CopyError::Output)?;
            streamed = true;
        }
        write_field(out, key, &mut |out| {
            serde_json::to_writer(out, field).map_err(|e| CopyError::Output(e.into()))
        })?;
    }
    if !streamed {
        if !fields.is_empty() {
            out.write_all(b",").map_err(CopyError::Output)?;
        }
        write_field(out, name, &mut |out| write_value(out, value, shape))?;
    }
    out.write_all(b"}").map_err(CopyError::Output)
}

/// `"name":` and what `value` writes.
fn write_field(
    out: &mut dyn Write,
    name: &str,
    value: &mut dyn FnMut(&mut dyn Write) -> Result<(), CopyError>,
) -> Result<(), CopyError> {
    serde_json::to_writer(&mut *out, name).map_err(|e| CopyError::Output(e.into()))?;
    out.write_all(b":").map_err(CopyError::Output)?;
    value(out)
}

/// Escapes what is written into it as the inside of a JSON string, exactly as
/// `serde_json` does: `"`, `\` and control characters; UTF-8 passes through.
pub struct JsonEscaped<'a>(pub &'a mut dyn Write);

impl Write for JsonEscaped<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut plain = 0;
        for (at, &byte) in buf.iter().enumerate() {
            let escaped: &[u8] = match byte {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..0x20 => &[],
                _ => continue,
            };
            self.0.write_all(&buf[plain..at])?;
            match escaped {
                [] => write!(self.0, "\\u{byte:04x}")?,
                escaped => self.0.write_all(escaped)?,
            }
            plain = at + 1;
        }
        self.0.write_all(&buf[plain..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// The last instant RFC 3339 can write: 9999-12-31T23:59:59Z.
const LAST_RFC3339_MS: u64 = 253_402_300_799_000;

/// A timestamp in milliseconds since the Unix epoch, as RFC 3339 (UTC, seconds);
/// beyond the year 9999, which RFC 3339 cannot write, as the number itself.
pub fn time(ms: u64) -> Value {
    if ms > LAST_RFC3339_MS {
        return Value::from(ms);
    }
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    Value::String(humantime::format_rfc3339_seconds(at).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_stays_text_and_binary_becomes_base64() {
        assert_eq!(bytes(b"caf\xc3\xa9"), json!("café"));
        assert_eq!(bytes(b"\xff\x00"), json!({"bytes": "/wA="}));
    }

    #[test]
    fn keys_are_read_as_given_or_in_base64() {
        let plain = KeyForm { key_base64: false };
        let coded = KeyForm { key_base64: true };
        assert_eq!(&*plain.bytes(OsStr::new("YQBi")).unwrap(), b"YQBi");
        assert_eq!(&*coded.bytes(OsStr::new("YQBi")).unwrap(), b"a\0b");
        let refused = coded.bytes(OsStr::new("not base64!")).unwrap_err();
        assert!(refused.to_string().contains("is not base64"), "{refused}");
    }

    #[test]
    fn times_are_rfc3339_until_the_year_9999() {
        assert_eq!(time(0), json!("1970-01-01T00:00:00Z"));
        assert_eq!(time(LAST_RFC3339_MS), json!("9999-12-31T23:59:59Z"));
        assert_eq!(time(u64::MAX), json!(u64::MAX));
    }

    #[test]
    fn json_escaping_matches_serde_json() {
        let every_ascii: Vec<u8> = (0..128).collect();
        let text = String::from_utf8(every_ascii).unwrap() + "é ☃ 😀";
        let mut escaped = Vec::new();
        for chunk in text.as_bytes().chunks(5) {
            JsonEscaped(&mut escaped).write_all(chunk).unwrap();
        }
        let expected = serde_json::to_string(&text).unwrap();
        assert_eq!(
            String::from_utf8(escaped).unwrap(),
            expected[1..expected.len() - 1]
        );
    }

    #[test]
    fn text_cut_between_chunks_is_still_text() {
        let mut probe = Probe::default();
        let snowman = "☃".as_bytes();
        probe.write_all(&snowman[..1]).unwrap();
        probe.write_all(&snowman[1..]).unwrap();
        assert!(!probe.invalid && probe.carry.is_empty());
        probe.write_all(b"\xff").unwrap();
        assert!(probe.invalid);
    }

    #[test]
    fn an_object_with_a_streamed_value_is_what_serde_json_writes() {
        let fields = json!({"a": 1, "hit": true, "z": [null]});
        let Value::Object(fields) = fields else {
            unreachable!()
        };
        for (name, value) in [("m", &b"text"[..]), ("b", b"\xff\x00"), ("zz", b"\"q\"")] {
            let mut ours = Vec::new();
            let stored = Stored::Bytes(value.to_vec());
            let shape = Shape::of(&stored).unwrap();
            write_object(&mut ours, &fields, name, &stored, &shape).unwrap();
            let mut theirs = fields.clone();
            theirs.insert(name.into(), bytes(value));
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                Value::Object(theirs).to_string()
            );
        }
    }
}
