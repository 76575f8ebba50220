//! Any bytes as the manifest, a head, or a blob header.
#![no_main]

use std::path::Path;

use cacheman::internals::local::blob;
use cacheman::internals::local::document;
use cacheman::internals::local::format::FileKind;
use cacheman::internals::local::head::Head;
use cacheman::internals::local::manifest::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: Vec<u8>| {
    let path = Path::new("fuzz");
    let _ = Manifest::decode(&bytes, path);
    let _ = Manifest::find(&bytes, path, "c");
    let _ = document::decode::<Head>(FileKind::Head, &bytes, path);
    let _ = blob::decode_header(&bytes, path);
    let _ = FileKind::detect(&bytes);
});
