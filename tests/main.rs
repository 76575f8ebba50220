//! The integration tests, one binary with a module per topic (as ripgrep's and
//! `just`'s are): the crate and the harness in [`common`] are linked once, not
//! once per topic. Run one topic with `cargo test --test main TOPIC::`.

mod common;

mod atomic;
mod autosync;
mod binary;
mod bindings;
mod cli;
mod commands;
mod concurrency;
mod conformance;
mod crash;
mod engine;
mod errors;
mod faults;
mod full_disk;
mod gc;
mod generated;
mod get_or_create;
mod graph;
mod inspect;
mod invalidation;
mod lasting;
mod model;
mod one_door;
mod reclaim;
mod recover;
mod redis_cli;
mod redis_engine;
mod redis_faults;
mod redis_run;
mod redis_tls;
mod redis_verify;
mod repair;
mod run;
mod security;
mod stats;
mod store_url;
mod transfer;
mod verify;
mod volatile;
mod watch;
