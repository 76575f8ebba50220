//! The command line's own rules: what a batch refuses, the `help`
//! subcommand, negative and sized option values, `init`'s target, and keys
//! given in base64.

mod common;

use common::{Env, json};
use serde_json::Value;

/// The answers of a batch, one JSON object per command.
fn answers(stdout: &[u8]) -> Vec<Value> {
    stdout
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(json)
        .collect()
}

#[test]
fn a_batch_refuses_what_would_block_or_read_its_stdin() {
    let env = Env::new();
    let script = "set a k v\nwatch\nwatch a --json\nset a k\nset a k -\nrun -- true\nbatch\nget a k\n";
    let out = env
        .cmd(["batch"])
        .stdin(script)
        .status(2)
        .any_stdout()
        .any_stderr()
        .run();
    let answers = answers(&out.stdout);
    assert_eq!(answers.len(), 8, "{answers:?}");
    assert_eq!(answers[0]["status"], 0);
    for refused in &answers[1..7] {
        assert_eq!(refused["status"], 2, "{refused}");
    }
    assert!(answers[1]["error"].as_str().unwrap().contains("watch"));
    assert!(answers[3]["error"].as_str().unwrap().contains("needs a VALUE"));
    assert_eq!(answers[7]["output"], "v");
}
