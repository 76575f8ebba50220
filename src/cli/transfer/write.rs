//! Writing an export in bounded memory: each value, however large, streams
//! out in chunks through a JSON string escaper, a CSV quoter or a base64
//! encoder, after one pass that checks a blob against its hash and tells
//! whether the value is text (and, for CSV, needs quotes).

use std::io::{self, BufWriter, Write};

use indicatif::ProgressBar;

use crate::cli::json::{self, Shape, Source, base64, csv_special};
use crate::cli::output;
use crate::cli::transfer::{CSV_HEADER, Format};
use crate::error::Result;
use crate::store::{CopyError, Entries, Portable, Value};

/// Writes every entry of `entries` to `out`, counting them on `bar`.
pub fn write(
    format: Format,
    entries: Entries<'_>,
    out: &mut dyn Write,
    bar: &ProgressBar,
) -> Result<()> {
    let mut out = BufWriter::with_capacity(64 << 10, out);
    if format == Format::Csv {
        writeln!(out, "{}", CSV_HEADER.join(",")).map_err(output::stdout_error)?;
    }
    entries.into_iter().try_for_each(|entry| {
        let entry = entry?;
        bar.inc(1);
        let shape = Shape::of(&entry.value)?;
        let written = match format {
            Format::Jsonl => jsonl(&mut out, &entry, &shape),
            Format::Csv => csv(&mut out, &entry, &shape),
        };
        written.map_err(|e| match e {
            CopyError::Store(e) => e,
            CopyError::Output(e) => output::stdout_error(e),
        })
    })?;
    out.flush().map_err(output::stdout_error)
}

/// One JSON line, its fields in the order `serde_json` sorts them, the value
/// last so it can stream.
fn jsonl(out: &mut dyn Write, entry: &Portable<Value>, shape: &Shape) -> Result<(), CopyError> {
    let key =
        serde_json::to_string(&json::bytes(&entry.key)).map_err(|e| CopyError::Output(e.into()))?;
    let expires = entry
        .expires_ms
        .map_or_else(|| "null".to_string(), |ms| ms.to_string());
    write!(
        out,
        "{{\"created_ms\":{},\"expires_ms\":{expires},\"key\":{key},\"stale\":{},\"value\":",
        entry.created_ms, entry.stale
    )
    .map_err(CopyError::Output)?;
    json::write_value(out, &entry.value, shape)?;
    out.write_all(b"}\n").map_err(CopyError::Output)
}

/// One CSV row, quoted where the `csv` crate would quote it.
fn csv(out: &mut dyn Write, entry: &Portable<Value>, shape: &Shape) -> Result<(), CopyError> {
    let text = shape.text && std::str::from_utf8(&entry.key).is_ok();
    let field = |out: &mut dyn Write, bytes: &Value, special: bool| match (text, special) {
        (false, _) => base64(bytes, out),
        (true, false) => bytes.copy_into(out),
        (true, true) => {
            out.write_all(b"\"").map_err(CopyError::Output)?;
            bytes.copy_into(&mut CsvQuoted(&mut *out))?;
            out.write_all(b"\"").map_err(CopyError::Output)
        }
    };
    let key = Value::Bytes(entry.key.clone());
    field(out, &key, entry.key.iter().copied().any(csv_special))?;
    out.write_all(b",").map_err(CopyError::Output)?;
    field(out, &entry.value, shape.csv_special)?;
    let encoding = if text { "text" } else { "base64" };
    let expires = entry
        .expires_ms
        .map_or_else(String::new, |ms| ms.to_string());
    writeln!(
        out,
        ",{encoding},{},{expires},{}",
        entry.created_ms, entry.stale
    )
    .map_err(CopyError::Output)
}

/// Doubles every quote written into it, as inside a quoted CSV field.
struct CsvQuoted<'a>(&'a mut dyn Write);

impl Write for CsvQuoted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for (n, piece) in buf.split(|&b| b == b'"').enumerate() {
            if n > 0 {
                self.0.write_all(b"\"\"")?;
            }
            self.0.write_all(piece)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::transfer::read;
    use proptest::prelude::*;

    /// Bytes rich in what the formats must escape or encode: quotes, commas,
    /// line ends, backslashes, control bytes, multi-byte UTF-8 and bytes that
    /// are not UTF-8.
    fn tricky_bytes() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            prop::sample::select(b"\",\r\n\\\t\0 a#".to_vec()),
            prop::sample::select("é☃".as_bytes().to_vec()),
            any::<u8>(),
        ];
        prop::collection::vec(byte, 0..24)
    }

    fn portable() -> impl Strategy<Value = Portable<Vec<u8>>> {
        (
            tricky_bytes(),
            tricky_bytes(),
            any::<u64>(),
            any::<Option<u64>>(),
            any::<bool>(),
        )
            .prop_map(|(key, value, created_ms, expires_ms, stale)| Portable {
                key,
                value,
                created_ms,
                expires_ms,
                stale,
            })
    }

    /// Writes `entries` as an export in `format` would, one line or row each.
    fn written(format: Format, entries: &[Portable<Vec<u8>>]) -> Vec<u8> {
        let mut out = Vec::new();
        if format == Format::Csv {
            writeln!(out, "{}", CSV_HEADER.join(",")).unwrap();
        }
        for entry in entries {
            let entry = entry.clone().try_map(|v| Ok(Value::Bytes(v))).unwrap();
            let shape = Shape::of(&entry.value).unwrap();
            match format {
                Format::Jsonl => jsonl(&mut out, &entry, &shape),
                Format::Csv => csv(&mut out, &entry, &shape),
            }
            .unwrap();
        }
        out
    }

    fn read_back(format: Format, bytes: &[u8]) -> Result<Vec<Portable<Vec<u8>>>> {
        let mut entries = Vec::new();
        read::read(format, &mut &bytes[..], u64::MAX, &mut |parsed| {
            let entry = parsed.entry.decoded();
            entries.push(entry.map_err(|e| crate::error::Error::usage(e.to_string()))?);
            Ok(())
        })?;
        Ok(entries)
    }

    proptest! {
        /// What an export writes, an import reads back exactly, in both formats.
        #[test]
        fn entries_round_trip_in_both_formats(entries in prop::collection::vec(portable(), 0..6)) {
            for format in [Format::Jsonl, Format::Csv] {
                let bytes = written(format, &entries);
                let read = read_back(format, &bytes)
                    .map_err(|e| TestCaseError::fail(format!("{format:?}: {e}")))?;
                prop_assert_eq!(&read, &entries, "{:?}: {}", format, String::from_utf8_lossy(&bytes));
            }
        }

        /// Any input is read or refused with an error; it never panics.
        #[test]
        fn any_input_is_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            for format in [Format::Jsonl, Format::Csv] {
                let _ = read_back(format, &bytes);
            }
        }
    }

    #[test]
    fn csv_fields_are_quoted_as_the_csv_crate_quotes_them() {
        for field in [
            "plain",
            "",
            " lead",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "cr\r",
            "#x",
        ] {
            let value = Value::Bytes(field.as_bytes().to_vec());
            let shape = Shape::of(&value).unwrap();
            let entry = Portable {
                key: b"k".to_vec(),
                value,
                created_ms: 1,
                expires_ms: None,
                stale: false,
            };
            let mut ours = Vec::new();
            csv(&mut ours, &entry, &shape).unwrap();
            let mut theirs = csv::Writer::from_writer(Vec::new());
            theirs
                .write_record(["k", field, "text", "1", "", "false"])
                .unwrap();
            assert_eq!(ours, theirs.into_inner().unwrap(), "{field:?}");
        }
    }
}
