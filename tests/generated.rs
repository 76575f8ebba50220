//! The committed completions and man pages must match what the clap definition
//! generates now. Run with `CACHEMAN_BLESS=1` to rewrite them after a CLI change.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use clap::CommandFactory;

#[test]
fn clap_definition_is_consistent() {
    cacheman::internals::cli::Cli::command().debug_assert();
}

#[test]
fn completions_and_man_pages_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("CACHEMAN_BLESS").is_some();
    let files = cacheman::internals::cli::generate::files();
    let mut stale = Vec::new();
    for (path, contents) in &files {
        let on_disk = root.join(path);
        if fs::read(&on_disk).ok().as_deref() != Some(contents.as_slice()) {
            if bless {
                fs::create_dir_all(on_disk.parent().unwrap()).unwrap();
                fs::write(&on_disk, contents).unwrap();
            } else {
                stale.push(path.clone());
            }
        }
    }
    let expected: BTreeSet<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    for dir in ["completions", "man"] {
        for item in fs::read_dir(root.join(dir)).unwrap() {
            let path = format!("{dir}/{}", item.unwrap().file_name().to_string_lossy());
            if !expected.contains(path.as_str()) {
                if bless {
                    fs::remove_file(root.join(&path)).unwrap();
                } else {
                    stale.push(format!("{path} (no longer generated)"));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}\nregenerate with: CACHEMAN_BLESS=1 cargo test --test main generated::"
    );
}
