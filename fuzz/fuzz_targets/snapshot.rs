//! Any bytes as a snapshot file: opening, lookups and a full scan must end in
//! answers or errors, never a panic or a hang.
#![no_main]

use std::io::Write;

use cacheman::internals::local::snapshot::Snapshot;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: Vec<u8>| {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&bytes).unwrap();
    let Ok(snapshot) = Snapshot::open(file.path()) else {
        return;
    };
    for key in [&b""[..], b"k", b"key-1", &bytes[..bytes.len().min(8)]] {
        let _ = snapshot.lookup(key);
    }
    if let Ok(entries) = snapshot.entries() {
        for entry in entries.take(10_000) {
            if entry.is_err() {
                break;
            }
        }
    }
});
