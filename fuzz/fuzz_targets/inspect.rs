//! Any bytes, behind any kind's magic and version, as a file `inspect` reads,
//! and as a run note and a counters file: each ends in a summary or an error,
//! never a panic or a hang.
#![no_main]

use std::io::Write;

use cacheman::internals::inspect::summary;
use cacheman::internals::local::counters;
use cacheman::internals::local::format::FileKind;
use cacheman::internals::run::note::Note;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, Vec<u8>)| {
    let (choice, rest) = input;
    // One choice in eight keeps the bytes as they are, magic or not.
    let mut bytes = Vec::new();
    if let Some(kind) = FileKind::ALL.get(usize::from(choice % 8)) {
        kind.push_preamble(&mut bytes);
    }
    bytes.extend_from_slice(&rest);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&bytes).unwrap();
    let _ = summary::summarize(file.path(), &mut |_row| Ok(()));
    let _ = Note::decode(&bytes, file.path());
    let _ = counters::read(file.path());
});
