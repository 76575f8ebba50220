//! Many `cacheman` processes on one store at once: no acknowledged write is
//! lost, readers never see a half-written entry, and background syncs started by
//! writes do not disturb either.

use crate::common;

use std::collections::HashSet;
use std::ffi::OsString;
use std::os::fd::AsFd;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use common::{Env, json};
use serde_json::Value;

const WRITERS: usize = 8;
const KEYS_PER_WRITER: usize = 500;

/// About 200 bytes, so that 4000 of them pass the journal's compaction size and
/// writes start background syncs while the others keep writing.
fn value_of(writer: usize, i: usize) -> String {
    format!("w{writer}-i{i}-").repeat(16)
}

fn run(env: &Env, args: &[OsString]) -> Output {
    env.std_command()
        .args(args)
        .output()
        .expect("spawn cacheman")
}

fn get_many(env: &Env, keys: &[String]) -> Vec<Value> {
    let mut args: Vec<OsString> = vec!["get".into(), "c".into()];
    args.extend(keys.iter().map(OsString::from));
    args.push("--json".into());
    let out = run(env, &args);
    assert!(
        out.status.success(),
        "get --json: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    match json(&out.stdout) {
        Value::Array(items) => items,
        other => panic!("{other}"),
    }
}

fn check_all(env: &Env) {
    let keys = env.keys("c");
    assert_eq!(
        keys.len(),
        WRITERS * KEYS_PER_WRITER,
        "keys lost or invented"
    );
    for writer in 0..WRITERS {
        let names: Vec<String> = (0..KEYS_PER_WRITER)
            .map(|i| format!("w{writer}-k{i}"))
            .collect();
        for (i, item) in get_many(env, &names).iter().enumerate() {
            assert_eq!(item["key"], names[i]);
            assert_eq!(item["hit"], true, "{} missing", names[i]);
            assert_eq!(
                item["value"],
                value_of(writer, i),
                "{} has a wrong value",
                names[i]
            );
        }
    }
}

#[test]
fn eight_writers_lose_nothing() {
    let env = Env::new();
    thread::scope(|scope| {
        for writer in 0..WRITERS {
            let env = &env;
            scope.spawn(move || {
                for i in 0..KEYS_PER_WRITER {
                    let args: Vec<OsString> = vec![
                        "set".into(),
                        "c".into(),
                        format!("w{writer}-k{i}").into(),
                        value_of(writer, i).into(),
                    ];
                    let out = run(env, &args);
                    assert!(
                        out.status.success() && out.stderr.is_empty(),
                        "writer {writer}, key {i}: {:?} {}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            });
        }
    });
    // Everything is there at once, while background syncs may still be running.
    check_all(&env);
    // The writes did start background syncs, and they finish.
    common::eventually(
        std::time::Duration::from_secs(60),
        "a background sync",
        || env.ls_cache("c")["pending"].as_u64().unwrap() < (WRITERS * KEYS_PER_WRITER) as u64,
    );
    env.wait_for_background();
    env.cmd(["sync", "-q"]).run();
    let c = env.ls_cache("c");
    assert_eq!(c["pending"], 0);
    assert_eq!(c["entries"], WRITERS * KEYS_PER_WRITER);
    check_all(&env);
}

/// The value a writer stores in round `i`: alternately small and blob-sized, and
/// checkable from its own bytes.
fn round_value(i: usize) -> Vec<u8> {
    let len = if i.is_multiple_of(3) { 6000 } else { 40 + i };
    let head = format!("round-{i}:");
    let mut value = head.clone().into_bytes();
    while value.len() < len {
        value.push(b'a' + ((value.len() * 31 + i) % 26) as u8);
    }
    value
}

fn round_of(value: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(value).ok()?;
    let rest = text.strip_prefix("round-")?;
    let i: usize = rest[..rest.find(':')?].parse().ok()?;
    (round_value(i) == value).then_some(i)
}

#[test]
fn readers_see_only_whole_values_while_a_writer_writes_and_syncs() {
    const ROUNDS: usize = 120;
    const READERS: usize = 3;
    let env = Env::new();
    env.cmd(["create", "c"]).run();
    let done = AtomicBool::new(false);
    thread::scope(|scope| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                let env = &env;
                let done = &done;
                scope.spawn(move || {
                    let mut reads = 0;
                    let mut last: Option<usize> = None;
                    loop {
                        let finished = done.load(Ordering::SeqCst);
                        let out = env.std_command().args(["get", "c", "k"]).output().unwrap();
                        let stderr = String::from_utf8_lossy(&out.stderr);
                        match out.status.code() {
                            Some(1) => {
                                assert!(last.is_none(), "a miss after seeing round {last:?}");
                                assert!(!finished, "a miss after the writer finished");
                            }
                            Some(0) => {
                                let round = round_of(&out.stdout).unwrap_or_else(|| {
                                    panic!(
                                        "garbage read: {:?}",
                                        String::from_utf8_lossy(&out.stdout)
                                    )
                                });
                                assert!(
                                    last.is_none_or(|l| l <= round),
                                    "went back from round {last:?} to {round}"
                                );
                                last = Some(round);
                            }
                            other => panic!("get exited {other:?}: {stderr}"),
                        }
                        assert!(stderr.is_empty(), "{stderr}");
                        reads += 1;
                        if finished {
                            // The read after the writer finished sees its last write.
                            assert_eq!(last, Some(ROUNDS - 1));
                            return reads;
                        }
                    }
                })
            })
            .collect();
        for i in 0..ROUNDS {
            let out = env
                .std_command()
                .args(["set", "c", "k", "-"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut child| {
                    use std::io::Write;
                    child.stdin.take().unwrap().write_all(&round_value(i))?;
                    child.wait_with_output()
                })
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // Unrelated keys too, so syncs have something to merge.
            env.set("c", format!("other-{i}"), "x");
            if (i + 1).is_multiple_of(10) {
                env.cmd(["sync", "-q", "c"]).run();
            }
        }
        done.store(true, Ordering::SeqCst);
        for reader in readers {
            let reads = reader.join().unwrap();
            assert!(reads > 1, "a reader only read {reads} times");
        }
    });
    env.cmd(["get", "c", "k"])
        .stdout(round_value(ROUNDS - 1))
        .run();
    assert_eq!(env.keys("c").len(), ROUNDS + 1);
}

#[test]
fn concurrent_creations_all_land_in_the_manifest() {
    let env = Env::new();
    thread::scope(|scope| {
        for t in 0..8 {
            let env = &env;
            scope.spawn(move || {
                for round in 0..5 {
                    let cache = format!("cache-{t}-{round}");
                    let out = env
                        .std_command()
                        .args(["create", &cache, "--ttl", "1h"])
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let out = env
                        .std_command()
                        .args(["set", &format!("implicit-{t}-{round}"), "k", "v"])
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            });
        }
    });
    let names: HashSet<String> = env
        .ls()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 80, "{names:?}");
    for t in 0..8 {
        for round in 0..5 {
            assert!(names.contains(&format!("cache-{t}-{round}")));
            env.cmd(["get", &format!("implicit-{t}-{round}"), "k"])
                .stdout("v")
                .run();
        }
    }
    assert_eq!(env.ls_cache("cache-3-2")["ttl_ms"], 3_600_000);
}

#[test]
fn concurrent_writers_to_one_key_leave_one_whole_value() {
    let env = Env::new();
    thread::scope(|scope| {
        for t in 0..4 {
            let env = &env;
            scope.spawn(move || {
                for i in 0..30 {
                    let value = round_value(t * 100 + i);
                    let mut args: Vec<OsString> = vec!["set".into(), "c".into(), "k".into()];
                    args.push(common::os(&value));
                    let out = run(env, &args);
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            });
        }
    });
    let value = env.get("c", "k").expect("a value");
    let round = round_of(&value).expect("a whole value");
    assert_eq!(
        round % 100,
        29,
        "the last value was not one of the last writes"
    );
}

/// A `verify` meeting a cache whose creation is under way (its directory laid
/// out, the manifest not yet naming it: the creator holds the store lock)
/// waits for the creation, and never reports the directory as unnamed.
#[test]
fn verify_during_a_cache_creation_reports_nothing() {
    let env = Env::new();
    env.cmd(["create", "x"]).any_stdout().any_stderr().run();
    let manifest = env.store().join("manifest");
    let naming_x = std::fs::read(&manifest).unwrap();
    let laid_out = env.path("laid-out");
    let copied = |from: &Path, to: &Path| {
        let status = Command::new("cp").arg("-a").arg(from).arg(to).status();
        assert!(status.unwrap().success());
    };
    copied(&env.cache_dir("x"), &laid_out);
    env.cmd(["drop", "x"]).run();

    // What `create x` does, step by step, under the store lock.
    let lock = std::fs::File::open(env.store().join("store.lock")).unwrap();
    rustix::fs::flock(lock.as_fd(), rustix::fs::FlockOperation::LockExclusive).unwrap();
    copied(&laid_out, &env.cache_dir("x"));
    let mut verify = env
        .std_command()
        .arg("verify")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(500));
    let early = verify.try_wait().unwrap();
    std::fs::write(&manifest, naming_x).unwrap();
    drop(lock);
    let out = verify.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(early, None, "verify waited for the creation: {said}");
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("x: ok"), "{said}");
}

/// A long `batch` session keeps its view of a cache between lines while other
/// processes write, delete, clear, invalidate and sync it: every read the
/// session answers agrees with what the last finished command left.
#[test]
fn a_batch_session_reads_what_other_processes_left() {
    use std::collections::BTreeMap;
    use std::io::{BufRead, BufReader, Write};

    let env = Env::new();
    env.set("c", "k0", "first");
    let mut session = env
        .std_command()
        .arg("batch")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut to_batch = session.stdin.take().unwrap();
    let mut from_batch = BufReader::new(session.stdout.take().unwrap());
    let mut ask = |line: String| -> Value {
        writeln!(to_batch, "{line}").unwrap();
        to_batch.flush().unwrap();
        let mut answer = String::new();
        from_batch.read_line(&mut answer).unwrap();
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"))
    };
    let keys: Vec<String> = (0..6).map(|i| format!("k{i}")).collect();
    let mut expected = BTreeMap::from([("k0".to_string(), "first".to_string())]);
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for step in 0..120 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let key = keys[(seed >> 8) as usize % keys.len()].clone();
        // Now and then a value over 4 KiB, which lives in a blob.
        let value = match seed % 5 {
            0 => format!("big-{step}-").repeat(600),
            _ => format!("v{step}"),
        };
        let what = (seed >> 20) % 10;
        match what {
            0..=3 => {
                env.set("c", &key, &value);
                expected.insert(key, value);
            }
            4 => {
                let status = match expected.remove(&key) {
                    Some(_) => 0,
                    None => 1,
                };
                env.cmd(["del", "c", &key])
                    .status(status)
                    .any_stdout()
                    .run();
            }
            5 => {
                env.cmd(["clear", "c"]).any_stdout().any_stderr().run();
                expected.clear();
            }
            6 => {
                let soft = seed.is_multiple_of(2);
                let args = ["invalidate", "c", "--quiet"].into_iter();
                let args: Vec<&str> = args.chain(soft.then_some("--soft")).collect();
                env.cmd(args).any_stdout().any_stderr().run();
                expected.clear();
            }
            7 => {
                env.cmd(["sync", "c"]).any_stdout().any_stderr().run();
            }
            _ => {
                let answer = ask(format!("set c {key} {value}"));
                assert_eq!(answer["status"], 0, "step {step}: {answer}");
                expected.insert(key, value);
            }
        }
        for key in &keys {
            let answer = ask(format!("get c {key}"));
            match expected.get(key) {
                Some(value) => {
                    assert_eq!(answer["status"], 0, "step {step} ({what}), {key}: {answer}");
                    assert_eq!(answer["output"], *value, "step {step} ({what}), {key}");
                }
                None => assert_eq!(answer["status"], 1, "step {step} ({what}), {key}: {answer}"),
            }
        }
    }
    drop(to_batch);
    assert!(session.wait().unwrap().success());
}

/// Plain sets that reach a batch together are written as one append, yet
/// each line is answered for itself: a bad line among them fails alone, the
/// others are stored, and the answers keep the lines' order.
#[test]
fn a_batch_answers_each_set_of_a_group() {
    let env = Env::new();
    let long_key = "k".repeat(70_000);
    let mut lines: Vec<String> = (0..300).map(|i| format!("set c k{i} v{i}")).collect();
    lines.insert(150, format!("set c {long_key} v"));
    lines.push("get c k299".into());
    let mut input = lines.join("\n");
    input.push('\n');
    let out = env.cmd(["batch"]).stdin(input).status(2).any_stdout().run();
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(answers.len(), 302);
    for (n, answer) in answers.iter().enumerate() {
        assert_eq!(answer["line"], n + 1, "{answer}");
        let status = if n == 150 { 2 } else { 0 };
        assert_eq!(answer["status"], status, "{answer}");
    }
    assert_eq!(answers[301]["output"], "v299");
    assert_eq!(env.keys("c").len(), 300);
}

/// A group whose write fails runs its lines one by one, so `--stop-on-error`
/// stops at the bad line: the lines before it are stored, the ones after it
/// never run.
#[test]
fn a_failed_group_stops_at_its_bad_line_with_stop_on_error() {
    let env = Env::new();
    let long_key = "k".repeat(70_000);
    let input = format!("set c a 1\nset c {long_key} v\nset c b 2\nset c d 3\n");
    let out = env
        .cmd(["batch", "--stop-on-error"])
        .stdin(input)
        .status(2)
        .any_stdout()
        .run();
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let statuses: Vec<_> = answers.iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, [0, 2]);
    assert_eq!(env.keys("c"), [b"a".to_vec()]);
}
