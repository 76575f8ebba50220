//! `cacheman export` and `import`: an exact round trip in JSON Lines and CSV
//! (binary keys and values, large values, TTLs), and an import that is all or
//! nothing.

use crate::common;

use std::fs;

use common::{Env, os};

const BINARY_KEY: &[u8] = b"k\xff\x01\xfe";
const BINARY_VALUE: &[u8] = b"\x00\x01\xff value \xc3";

/// A cache with a binary key and value (with a TTL), a text entry and a value
/// large enough for a blob.
fn populated() -> Env {
    let env = Env::new();
    fs::write(env.path("work/binary"), BINARY_VALUE).unwrap();
    env.cmd([
        os(b"set"),
        os(b"c"),
        os(BINARY_KEY),
        os(b"--file"),
        env.path("work/binary").into(),
    ])
    .arg("--ttl")
    .arg("2h")
    .run();
    env.set("c", "text", "héllo, \"world\"\nsecond line");
    let large: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    fs::write(env.path("work/large"), &large).unwrap();
    env.cmd(["set", "c", "large", "--file", "large"]).run();
    env
}

/// The JSON values of a batch's reply lines.
fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    out.split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).unwrap())
        .collect()
}

fn export(env: &Env, cache: &str, format: &str) -> Vec<u8> {
    env.cmd(["export", cache, "--format", format])
        .any_stdout()
        .run()
        .stdout
}

fn round_trip(format: &str) {
    let env = populated();
    let exported = export(&env, "c", format);
    let file = env.path(format!("work/c.{format}"));
    fs::write(&file, &exported).unwrap();
    env.cmd(["import", "copy"])
        .arg(&file)
        .args_format(format)
        .stderr("copy: imported 3 entries\n")
        .run();
    assert_eq!(
        export(&env, "copy", format),
        exported,
        "{format} round trip"
    );
    assert_eq!(export(&env, "copy", "jsonl"), export(&env, "c", "jsonl"));
    assert_eq!(env.get("copy", os(BINARY_KEY)).unwrap(), BINARY_VALUE);
    assert_eq!(
        env.get("copy", "large").unwrap(),
        fs::read(env.path("work/large")).unwrap()
    );
}

trait FormatArg {
    fn args_format(self, format: &str) -> Self;
}

impl FormatArg for common::Test<'_> {
    fn args_format(self, format: &str) -> Self {
        self.arg("--format").arg(format)
    }
}

#[test]
fn jsonl_round_trips_exactly() {
    round_trip("jsonl");
}

#[test]
fn csv_round_trips_exactly() {
    round_trip("csv");
}

#[test]
fn export_keeps_times_and_encodes_binary() {
    let env = populated();
    let jsonl = export(&env, "c", "jsonl");
    let lines: Vec<serde_json::Value> = jsonl
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let binary = lines
        .iter()
        .find(|l| l["key"].is_object())
        .expect("the binary key is exported as base64");
    assert_eq!(binary["key"]["bytes"], "a/8B/g==");
    let ttl = binary["expires_ms"].as_u64().unwrap() - binary["created_ms"].as_u64().unwrap();
    assert_eq!(ttl, 2 * 3600 * 1000);
    let csv = String::from_utf8(export(&env, "c", "csv")).unwrap();
    assert!(csv.starts_with("key,value,encoding,created_ms,expires_ms,stale\n"));
    assert!(csv.contains("a/8B/g==,"), "{csv}");
    assert!(
        csv.contains("\"héllo, \"\"world\"\"\nsecond line\",text,"),
        "{csv}"
    );
}

#[test]
fn import_from_stdin_restores_ttls() {
    let env = Env::new();
    let line =
        br#"{"key":"k","value":{"bytes":"/wA="},"created_ms":1000,"expires_ms":99999999999999}"#;
    env.cmd(["import", "c", "-"])
        .stdin(line.to_vec())
        .any_stderr()
        .run();
    assert_eq!(env.get("c", "k").unwrap(), b"\xff\x00");
    let out = env
        .cmd(["get", "c", "k", "--json"])
        .any_stdout()
        .run()
        .stdout;
    let hit = &common::json(&out)[0];
    assert_eq!(hit["created"], "1970-01-01T00:00:01Z");
    // An expiry in the past imports as it was: expired.
    env.cmd(["import", "c"])
        .stdin(br#"{"key":"old","value":"v","expires_ms":1}"#.to_vec())
        .any_stderr()
        .run();
    assert_eq!(env.get("c", "old"), None);
    // Keys with NUL bytes, which no argument can carry, travel too.
    let nul = "{\"key\":{\"bytes\":\"YQBi\"},\"value\":\"v\"}\n";
    env.cmd(["import", "nul"]).stdin(nul).any_stderr().run();
    let exported = String::from_utf8(export(&env, "nul", "jsonl")).unwrap();
    assert!(exported.starts_with(r#"{"created_ms":"#), "{exported}");
    assert!(exported.contains(r#""key":"a\u0000b""#), "{exported}");
}

#[test]
fn a_malformed_import_changes_nothing() {
    let env = populated();
    let good = String::from_utf8(export(&env, "c", "jsonl")).unwrap();
    let bad_lines = [
        "{\"key\": \"x\"}",
        "{\"key\": \"x\", \"value\": {\"bytes\": \"not base64!\"}}",
        "not json",
        "{\"key\": \"x\", \"value\": \"v\", \"color\": \"red\"}",
        "{\"key\": \"x\", \"value\": \"v\", \"expires_ms\": -1}",
    ];
    let before = env.tree();
    for bad in bad_lines {
        let input = format!("{good}{bad}\n{good}");
        for cache in ["c", "fresh"] {
            env.cmd(["import", cache])
                .stdin(input.clone())
                .usage_error("line 4")
                .run();
            before.assert_same(&env.tree(), bad);
        }
    }
    let long_key = format!("{{\"key\": \"{}\", \"value\": \"v\"}}\n", "k".repeat(4097));
    env.cmd(["import", "c"])
        .stdin(long_key)
        .usage_error("line 1: key is 4097 bytes")
        .run();
    let csv = String::from_utf8(export(&env, "c", "csv")).unwrap();
    for bad in [
        "x,y,hex,1,,false",
        "x,y,text,soon,,false",
        "x,y,text,1,,maybe",
        "x,y",
    ] {
        let input = format!("{csv}{bad}\n");
        env.cmd(["import", "c", "--format", "csv"])
            .stdin(input)
            .usage_error("line 6") // the text entry's value spans lines 4 and 5
            .run();
        before.assert_same(&env.tree(), bad);
    }
    env.cmd(["import", "c", "--format", "csv"])
        .stdin("k,v\n")
        .usage_error("line 1: the header must be")
        .run();
    env.cmd(["import", "c", "nowhere.jsonl"])
        .usage_error("nowhere.jsonl")
        .run();
    env.cmd(["export", "nope"])
        .usage_error("no cache named 'nope'")
        .run();
    before.assert_same(&env.tree(), "refused imports and exports");
    assert!(!env.cache_dir("fresh").exists());
}

#[test]
fn a_batch_imports_from_a_file_only() {
    let env = populated();
    fs::write(env.path("work/c.jsonl"), export(&env, "c", "jsonl")).unwrap();
    let out = env
        .cmd(["batch"])
        .stdin("import copy c.jsonl\nimport copy\nimport copy -\n")
        .status(2)
        .any_stdout()
        .any_stderr()
        .run()
        .stdout;
    let answers = json_lines(&out);
    assert_eq!(answers[0]["status"], 0);
    for refused in &answers[1..] {
        assert_eq!(refused["error"], "import in a batch needs a FILE");
    }
    assert_eq!(export(&env, "copy", "jsonl"), export(&env, "c", "jsonl"));
}

#[test]
fn a_large_value_exports_in_bounded_memory() {
    use std::io::Read;
    const SIZE: usize = 48 << 20;
    let env = Env::new();
    let value = common::Noise::new(7).bytes(SIZE);
    fs::write(env.path("work/large"), &value).unwrap();
    env.cmd(["set", "c", "large", "--file", "large"]).run();
    let mut export = env
        .std_command()
        .args(["export", "c"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = export.stdout.take().unwrap();
    let (mut line, mut chunk, mut peak) = (Vec::new(), vec![0; 1 << 20], 0);
    loop {
        let n = stdout.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        line.extend_from_slice(&chunk[..n]);
        peak = peak.max(common::peak_rss_kib(export.id()).unwrap_or(0));
    }
    assert!(export.wait().unwrap().success());
    // The base64 alone is 64 MiB: the value never sits in memory whole.
    assert!(peak < 32 * 1024, "export peaked at {peak} KiB");
    let exported: serde_json::Value = serde_json::from_slice(&line).unwrap();
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(exported["value"]["bytes"].as_str().unwrap())
        .unwrap();
    assert!(decoded == value, "the value round-trips");
}

#[test]
fn an_empty_import_creates_nothing() {
    let env = Env::new();
    env.cmd(["import", "fresh"])
        .stdin("\n\n")
        .stderr("fresh: imported 0 entries; nothing to import, so the cache was not created\n")
        .run();
    assert!(!env.store().exists());
}

#[test]
fn import_checks_times_and_names_bad_fields() {
    let env = Env::new();
    let before = env.tree();
    env.cmd(["import", "c"])
        .stdin("{\"key\":\"a\",\"value\":\"v\"}\n{\"key\":\"b\",\"value\":\"v\",\"created_ms\":99999999999999999}\n")
        .usage_error("line 2: created_ms 99999999999999999 is more than a day in the future")
        .run();
    env.cmd(["import", "c"])
        .stdin("{\"key\":\"a\",\"value\":\"v\"}\n{\"key\":\"b\",\"value\":7}\n")
        .usage_error("line 2: value must be a string or {\"bytes\": \"<base64>\"}, not 7")
        .run();
    before.assert_same(&env.tree(), "refused imports");
    env.cmd(["import", "c"])
        .stdin("{\"key\":\"a\",\"value\":\"v\"}\n{\"key\":\"old\",\"value\":\"v\",\"created_ms\":1,\"expires_ms\":2}\n")
        .stderr("c: imported 1 entry (left out 1 entry already expired)\n")
        .run();
    assert_eq!(env.keys("c"), [b"a".to_vec()]);
}

/// Runs `sh -c SCRIPT` on a pseudo-terminal (util-linux `script`), in the
/// test's store; returns what the terminal showed, or `None` without `script`.
fn on_a_terminal(env: &Env, script: &str) -> Option<String> {
    let mut command = std::process::Command::new("script");
    command
        .args(["-qc", script, "/dev/null"])
        .env_clear()
        .env("HOME", env.path("home"))
        .env("CACHEMAN_DIR", env.store())
        .env("TERM", "xterm")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(env.path("work"))
        .stdin(std::process::Stdio::null());
    let out = command.output().ok()?;
    assert!(out.status.success(), "{script}: {out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_bar_is_drawn_on_a_terminal_and_never_when_stdout_is_piped() {
    let env = Env::new();
    let lines: String = (0..10_000)
        .map(|i| format!("{{\"key\":\"k{i}\",\"value\":\"v\"}}\n"))
        .collect();
    env.cmd(["import", "c"]).stdin(lines).any_stderr().run();
    let export = format!("{} export c", common::BIN);
    let Some(to_file) = on_a_terminal(&env, &format!("{export} > out.jsonl")) else {
        eprintln!("skipped: no `script` to make a terminal with");
        return;
    };
    assert!(to_file.contains("exporting c ["), "{to_file:?}");
    let piped = on_a_terminal(&env, &format!("{export} | cat > piped.jsonl")).unwrap();
    assert_eq!(piped, "", "a bar beside piped output");
    assert_eq!(
        fs::read(env.path("work/out.jsonl")).unwrap(),
        fs::read(env.path("work/piped.jsonl")).unwrap()
    );
    // Without a terminal at all, nothing is drawn either.
    env.cmd(["export", "c"]).any_stdout().run();
}

#[test]
fn an_import_naming_a_key_twice_says_the_later_line_wins() {
    let env = Env::new();
    let lines = "{\"key\":\"k\",\"value\":\"first\"}\n{\"key\":\"k\",\"value\":\"second\"}\n{\"key\":\"j\",\"value\":\"v\"}\n";
    env.cmd(["import", "c"])
        .stdin(lines)
        .stderr("c: imported 3 entries (1 key came again: the later line wins)\n")
        .run();
    assert_eq!(env.get("c", "k").unwrap(), b"second");
    assert_eq!(env.cmd(["keys", "c"]).any_stdout().run().stdout, b"j\nk\n");
}

/// `n` JSON lines `{"key":"k<i>","value":"<prefix><i>"}`, from `from` on.
fn lines(from: u32, n: u32, prefix: &str) -> String {
    (from..from + n)
        .map(|i| format!("{{\"key\":\"k{i}\",\"value\":\"{prefix}{i}\"}}\n"))
        .collect()
}

/// The bytes of the journals of a cache: what a reader replays.
fn journal_bytes(env: &Env, cache: &str) -> u64 {
    fs::read_dir(env.cache_dir(cache))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with("journal."))
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

#[test]
fn a_large_import_leaves_readers_no_long_journal_to_replay() {
    let env = Env::new();
    let input = env.path("work/many.jsonl");
    fs::write(&input, lines(0, 200_000, "v")).unwrap();
    env.cmd(["import", "c"])
        .arg(&input)
        .stderr("c: imported 200000 entries\n")
        .run();
    // At once, before any background sync could have merged anything.
    let replayed = journal_bytes(&env, "c");
    assert!(
        replayed <= 512 << 10,
        "readers replay {replayed} bytes of journal"
    );
    assert_eq!(env.get("c", "k0").unwrap(), b"v0");
    assert_eq!(env.get("c", "k199999").unwrap(), b"v199999");
    assert_eq!(env.ls_cache("c")["entries"], 200_000);
}

#[test]
fn a_large_import_replaces_what_it_names_and_keeps_the_rest() {
    let env = Env::new();
    // k0..k2999 synced into a snapshot, then k3000..k3999 in the journal.
    env.cmd(["import", "c"])
        .stdin(lines(0, 3000, "old"))
        .any_stderr()
        .run();
    env.cmd(["sync", "c"]).any_stderr().run();
    env.cmd(["import", "c"])
        .stdin(lines(3000, 1000, "old"))
        .any_stderr()
        .run();
    env.set("c", "big-old", "x".repeat(10_000));
    // Replace every other key, twice over (the later line wins), and add some,
    // large values among them.
    let mut input = lines(0, 2000, "first").replace("k1", "skip-k1");
    input += &lines(0, 5000, "new")
        .lines()
        .step_by(2)
        .map(|line| format!("{line}\n"))
        .collect::<String>();
    let big = "y".repeat(9000);
    input += &format!("{{\"key\":\"big-old\",\"value\":\"{big}\"}}\n");
    input += &format!(
        "{{\"key\":\"big-new\",\"value\":{{\"bytes\":\"{}\"}}}}\n",
        "AAAA".repeat(3000)
    );
    env.cmd(["import", "c"]).stdin(input).any_stderr().run();
    assert_eq!(env.get("c", "k0").unwrap(), b"new0");
    assert_eq!(env.get("c", "k3").unwrap(), b"first3");
    assert_eq!(env.get("c", "k4002").unwrap(), b"new4002");
    assert_eq!(
        env.get("c", "k2001").unwrap(),
        b"old2001",
        "not in the import"
    );
    assert_eq!(env.get("c", "skip-k1001").unwrap(), b"first1001");
    assert_eq!(env.get("c", "big-old").unwrap(), big.as_bytes());
    assert_eq!(env.get("c", "big-new").unwrap(), vec![0; 9000]);
    env.wait_for_background();
    env.cmd(["verify", "c"]).any_stdout().any_stderr().run();
    assert!(journal_bytes(&env, "c") <= 512 << 10);
}

#[test]
fn a_large_import_with_a_bad_last_line_changes_nothing() {
    let env = Env::new();
    env.cmd(["import", "c"])
        .stdin(lines(0, 10, "old"))
        .any_stderr()
        .run();
    let before = env.tree();
    let input = lines(0, 50_000, "new") + "{\"key\":\"last\"}\n";
    env.cmd(["import", "c"])
        .stdin(input)
        .usage_error("line 50001: value is missing")
        .run();
    before.assert_same(&env.tree(), "a refused import");
}

#[test]
fn import_never_touches_the_shared_temp_directory() {
    // Values over 4 KiB were once spooled to $TMPDIR/cacheman-import.<pid>.<n>,
    // a name another user could plant a symlink at. With TMPDIR naming a
    // folder that does not exist, any use of it fails.
    let env = Env::new().var("TMPDIR", "/nonexistent/cacheman-tmp");
    let big = "z".repeat(100_000);
    let input = format!("{{\"key\":\"big\",\"value\":\"{big}\"}}\n") + &lines(0, 3, "v");
    env.cmd(["import", "c"])
        .stdin(input)
        .stderr("c: imported 4 entries\n")
        .run();
    assert_eq!(env.get("c", "big").unwrap(), big.as_bytes());
    assert!(
        !env.store().join("tmp").exists(),
        "the spool's folder in the store is removed after use"
    );
}

#[test]
fn get_json_and_batch_stream_a_large_value_in_its_json_form() {
    use base64::Engine;
    let env = Env::new();
    // Over a MiB (a batch spills it to the store's scratch folder), not UTF-8,
    // and a text one with characters JSON escapes.
    let binary = common::Noise::new(7).bytes(3 << 20);
    fs::write(env.path("work/binary"), &binary).unwrap();
    env.cmd(["set", "c", "bin", "--file", "binary"]).run();
    let text = "line \"one\"\n\ttab \\ é\u{1}".repeat(100_000);
    fs::write(env.path("work/text"), &text).unwrap();
    env.cmd(["set", "c", "text", "--file", "text"]).run();
    let got = common::json(
        &env.cmd(["get", "--json", "c", "bin", "text", "none"])
            .status(1)
            .any_stdout()
            .run()
            .stdout,
    );
    let base64 = base64::engine::general_purpose::STANDARD.encode(&binary);
    assert_eq!(got[0]["value"], serde_json::json!({ "bytes": base64 }));
    assert_eq!(
        (&got[0]["hit"], &got[0]["key"]),
        (&true.into(), &"bin".into())
    );
    assert_eq!(got[1]["value"], text.as_str());
    assert_eq!(
        got[2],
        serde_json::json!({"hit": false, "key": "none", "value": null})
    );
    let replies = env
        .cmd(["batch"])
        .stdin("get c bin\nget c text\n")
        .any_stdout()
        .run()
        .stdout;
    let replies = json_lines(&replies);
    assert_eq!(
        replies[0],
        serde_json::json!({"line": 1, "output": { "bytes": base64 }, "status": 0})
    );
    assert_eq!(
        replies[1],
        serde_json::json!({"line": 2, "output": text, "status": 0})
    );
    assert!(
        !env.store().join("tmp").exists(),
        "the scratch folder goes after use"
    );
}

#[test]
fn a_large_import_killed_at_any_moment_lands_whole_or_not_at_all() {
    let env = Env::new();
    env.cmd(["import", "c"])
        .stdin(lines(0, 100, "old"))
        .any_stderr()
        .run();
    let input = env.path("work/many.jsonl");
    fs::write(&input, lines(50, 30_000, "new")).unwrap();
    // Kill it ever later, through staging and landing, until one lands.
    for delay_ms in (0..150).map(|i| i * 40) {
        let mut import = env
            .std_command()
            .args(["import", "c"])
            .arg(&input)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = import.kill();
        let landed = import.wait().unwrap().success();
        let entries = env.ls_cache("c")["entries"].as_u64().unwrap();
        let first = env.get("c", "k50").unwrap();
        match entries {
            100 => assert!(!landed && first == b"old50", "killed after {delay_ms} ms"),
            30_050 => assert_eq!(first, b"new50", "landed after {delay_ms} ms"),
            other => panic!("{other} entries after a kill at {delay_ms} ms"),
        }
        env.cmd(["verify", "c"]).any_stdout().any_stderr().run();
        if entries == 30_050 {
            return;
        }
    }
    panic!("no import landed in 6 s");
}
