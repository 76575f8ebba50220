//! Any bytes as a frame, a journal record body and a snapshot entry body.
#![no_main]

use cacheman::internals::local::frame::{self, Parsed};
use cacheman::internals::local::record::{KeyedView, OpView};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: Vec<u8>| {
    if let Parsed::Record { body, .. } = frame::parse(&bytes, 0) {
        let _ = OpView::parse(body).and_then(|v| v.op());
    }
    let _ = frame::any_valid_from(&bytes, 0, 0x5eed);
    let _ = OpView::parse(&bytes).and_then(|v| v.op());
    let _ = KeyedView::parse(&bytes).and_then(|v| v.entry());
});
