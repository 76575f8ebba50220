//! Any bytes as a journal: decoding must end in records or an error, never a panic.
#![no_main]

use std::path::Path;

use cacheman::internals::local::journal::JournalData;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: Vec<u8>| {
    let Ok(journal) = JournalData::from_bytes(Path::new("fuzz"), bytes) else {
        return;
    };
    let mut records = journal.records();
    for record in records.by_ref() {
        let Ok((_, view)) = record else { break };
        let _ = view.op();
    }
    let _ = records.torn();
});
