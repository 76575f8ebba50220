//! The command line's own rules: what a batch refuses, the `help`
//! subcommand, negative and sized option values, `init`'s target, and keys
//! given in base64.

use crate::common;

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
    let script =
        "set a k v\nwatch\nwatch a --json\nset a k\nset a k -\nrun -- true\nbatch\nget a k\n";
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
    assert!(
        answers[3]["error"]
            .as_str()
            .unwrap()
            .contains("needs a VALUE")
    );
    assert_eq!(answers[7]["output"], "v");
}

#[test]
fn help_is_a_subcommand_too() {
    let env = Env::new();
    env.cmd(["help"]).stdout_contains("Usage: cacheman").run();
    env.cmd(["help", "get"])
        .stdout_contains("Usage: cacheman get")
        .run();
    env.cmd(["help", "nope"])
        .usage_error("unrecognized subcommand 'nope'")
        .run();
}

#[test]
fn a_negative_number_is_refused_as_such() {
    let env = Env::new();
    env.set("c", "k", "v");
    let before = env.tree();
    for (args, option) in [
        (&["set", "c", "k", "v", "--ttl", "-5s"][..], "--ttl"),
        (&["create", "b", "--max-bytes", "-1"], "--max-bytes"),
        (&["create", "b", "--max-entries", "-1"], "--max-entries"),
        (&["config", "c", "--ttl", "-1h"], "--ttl"),
        (&["gc", "--max-bytes", "-64K"], "--max-bytes"),
        (&["set", "c", "k", "v", "--if-epoch", "-1"], "--if-epoch"),
    ] {
        let out = env
            .cmd(args)
            .usage_error("a negative value is not allowed")
            .run();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(option), "{said}");
        assert!(!said.contains("'-- -"), "{said}");
    }
    before.assert_same(&env.tree(), "refused negative values");
}

#[test]
fn sizes_count_k_as_1024_and_show_back_exactly() {
    let env = Env::new();
    env.cmd(["create", "b", "--max-bytes", "64K"]).run();
    env.cmd(["create", "d", "--max-bytes", "64KB"]).run();
    env.cmd(["create", "m", "--max-bytes", "1.5M"]).run();
    assert_eq!(env.ls_cache("b")["max_bytes"], 65536);
    assert_eq!(env.ls_cache("d")["max_bytes"], 64000);
    assert_eq!(env.ls_cache("m")["max_bytes"], 1_572_864);
    env.cmd(["config", "b"])
        .stdout_contains("max-bytes:   64 KiB\n")
        .run();
    env.cmd(["config", "d"])
        .stdout_contains("max-bytes:   64 KB\n")
        .run();
    env.cmd(["config", "m"])
        .stdout_contains("max-bytes:   1536 KiB\n")
        .run();
    let listing = env.cmd(["ls"]).any_stdout().run().stdout;
    let rows = common::table(&String::from_utf8(listing).unwrap());
    assert_eq!(rows[0]["LIMITS"], "64 KiB");
    assert_eq!(rows[1]["LIMITS"], "64 KB");
}

#[test]
fn init_needs_an_existing_directory() {
    let env = Env::new().store_via(common::StoreVia::Nothing);
    let before = env.tree();
    let missing = env.path("nonexistent/deep");
    env.cmd(["init"])
        .arg(&missing)
        .usage_error("is not an existing directory")
        .run();
    before.assert_same(&env.tree(), "init of a missing directory");
    std::fs::write(env.path("a-file"), "").unwrap();
    let before_file = env.tree();
    env.cmd(["init"])
        .arg(env.path("a-file"))
        .usage_error("is not an existing directory")
        .run();
    before_file.assert_same(&env.tree(), "init of a file");
}

#[test]
fn ls_and_stats_agree_on_last_sync() {
    let env = Env::new();
    env.cmd(["create", "c"]).run();
    env.set("c", "k", "v");
    let stats = |env: &Env| json(&env.cmd(["stats", "c", "--json"]).any_stdout().run().stdout);
    assert_eq!(env.ls_cache("c")["last_sync"], Value::Null, "never synced");
    assert_eq!(stats(&env)["last_sync"], Value::Null);
    env.cmd(["sync", "-q"]).run();
    let listed = env.ls_cache("c")["last_sync"].clone();
    assert!(listed.is_string(), "{listed}");
    assert_eq!(stats(&env)["last_sync"], listed);
}

#[test]
fn set_on_a_terminal_says_it_reads_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    use std::time::Duration;
    let env = Env::new();
    // `script` gives the command a terminal, and passes our pipe on to it.
    let spawned = Command::new("script")
        .args(["-qec", &format!("{} set c k", common::BIN), "/dev/null"])
        .env("CACHEMAN_DIR", env.store())
        .env("HOME", env.path("home"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut script) = spawned else {
        eprintln!("no `script` to give the command a terminal: skipped");
        return;
    };
    let mut input = script.stdin.take().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    input.write_all(b"typed\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    input.write_all(b"\x04").unwrap();
    drop(input);
    let out = script.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("cacheman: reading the value from stdin; end with Ctrl-D"),
        "{shown}"
    );
    assert_eq!(env.get("c", "k").unwrap(), b"typed\n");
}

#[test]
fn a_key_with_a_nul_byte_is_reached_in_base64() {
    let env = Env::new();
    // "a\0b" in base64.
    env.cmd(["set", "c", "YQBi", "nul inside", "--key-base64"])
        .run();
    let keys = json(&env.cmd(["keys", "c", "--json"]).any_stdout().run().stdout);
    assert_eq!(keys, serde_json::json!(["a\u{0}b"]));
    env.cmd(["get", "c", "YQBi", "--key-base64"])
        .stdout("nul inside")
        .run();
    env.cmd(["get", "c", "YQBi"]).status(1).run();
    let many = env
        .cmd(["get", "c", "YQBi", "eA==", "--key-base64", "--json"])
        .status(1)
        .any_stdout()
        .run();
    let many = json(&many.stdout);
    assert_eq!(many[0]["key"], "a\u{0}b");
    assert_eq!(many[1]["key"], "x");
    env.cmd(["has", "c", "YQBi", "--key-base64"]).run();
    env.cmd(["del", "c", "YQBi", "--key-base64"]).run();
    env.cmd(["has", "c", "YQBi", "--key-base64"])
        .status(1)
        .run();
    env.cmd(["get", "c", "not base64!", "--key-base64"])
        .usage_error("is not base64")
        .run();
}

#[test]
fn every_command_has_examples_in_its_help() {
    use clap::CommandFactory;
    let env = Env::new();
    let whole = cacheman::internals::cli::Cli::command();
    let mut checked = 0;
    for sub in whole.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let out = env
            .cmd([sub.get_name(), "--help"])
            .any_stdout()
            .run()
            .stdout;
        let help = String::from_utf8(out).unwrap();
        let mut lines = help.lines();
        let example = lines
            .by_ref()
            .find(|line| matches!(*line, "Example:" | "Examples:"));
        let first = lines.next().unwrap_or_default();
        assert!(
            example.is_some() && first.starts_with("  ") && first.contains("cacheman"),
            "`cacheman {} --help` has no example",
            sub.get_name()
        );
        checked += 1;
    }
    assert!(checked >= 32, "only {checked} commands");
}
