//! The command line's own rules: what a batch refuses, the `help`
//! subcommand, negative and sized option values, `init`'s target, and keys
//! given in base64.

use std::os::unix::ffi::OsStrExt;

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

/// Batch lines are read as `sh` reads words, whichever way a line is taken
/// (split in place when nothing in it is quoted, by the quoting rules when
/// something is; alone or in a group of sets): quotes, escapes, tabs, blanks
/// around, CRLF, comments, bytes that are not UTF-8, a value stored as a
/// blob, a line longer than one read of stdin, and a last line with no
/// newline all come out as they would one command at a time.
#[test]
fn a_batch_reads_every_form_of_line_as_sh_would() {
    let env = Env::new();
    let blob = "b".repeat(5000);
    let huge = "h".repeat(300_000);
    let mut script: Vec<u8> = Vec::new();
    for line in [
        "set c plain v1".to_string(),
        "set c 'quoted key' \"v 2\"".into(),
        "set c esc\\ aped v\\\\3".into(),
        "   set c blanks v4   ".into(),
        "set\tc\ttabs\tv5".into(),
        "set c crlf v6\r".into(),
        "".into(),
        "# set c comment x".into(),
        "   # set c indented x".into(),
        "set c hash#in v7".into(),
        "set c k8 #v8".into(),
        "set c \"unterminated v9".into(),
        format!("set c blob {blob}"),
        format!("set c huge {huge}"),
        "set other o v10".into(),
    ] {
        script.extend_from_slice(line.as_bytes());
        script.push(b'\n');
    }
    script.extend_from_slice(b"set c bin\xff \xfe\x01\n");
    script.extend_from_slice(b"get c 'quoted key'\r\nget c bin\xff\nget c plain");
    let out = env
        .cmd(["batch"])
        .stdin(script)
        .status(2)
        .any_stdout()
        .any_stderr()
        .run();
    let answers = answers(&out.stdout);
    let statuses: Vec<u64> = answers
        .iter()
        .map(|a| a["status"].as_u64().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0],
        "{answers:?}"
    );
    let numbers: Vec<u64> = answers
        .iter()
        .map(|a| a["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        numbers,
        [1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
    );
    assert!(
        answers[7]["error"]
            .as_str()
            .unwrap()
            .contains("needs a VALUE")
    );
    assert!(
        answers[8]["error"]
            .as_str()
            .unwrap()
            .contains("unterminated")
    );
    assert_eq!(answers[13]["output"], "v 2");
    assert_eq!(answers[14]["output"]["bytes"], "/gE=");
    assert_eq!(answers[15]["output"], "v1");
    for (key, value) in [
        ("plain", "v1"),
        ("quoted key", "v 2"),
        ("esc aped", "v\\3"),
        ("blanks", "v4"),
        ("tabs", "v5"),
        ("crlf", "v6"),
        ("hash#in", "v7"),
        ("blob", blob.as_str()),
        ("huge", huge.as_str()),
    ] {
        assert_eq!(
            env.get("c", key).as_deref(),
            Some(value.as_bytes()),
            "{key}"
        );
    }
    assert_eq!(env.get("c", "k8"), None);
    assert_eq!(env.get("c", "unterminated"), None);
    assert_eq!(env.get("other", "o").as_deref(), Some(&b"v10"[..]));
    let bin = std::ffi::OsStr::from_bytes(b"bin\xff");
    assert_eq!(env.get("c", bin).as_deref(), Some(&b"\xfe\x01"[..]));
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
