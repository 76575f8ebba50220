//! `cacheman run` with the real binary: exact replay (streams, interleaving,
//! status, output files), what makes a miss and how `--explain` names it, the
//! dogpile lock (also after a `kill -9`), the stale refresher, the off switches
//! and the exit statuses.

use crate::common;

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdout, Command, Output, Stdio};
use std::time::Duration;

use cacheman::internals::local::codec;
use cacheman::internals::run::outputs::{Kind, Meta};
use cacheman::internals::run::transcript::{self, Tag};
use common::{Env, Noise, eventually};
use rustix::process::{Pid, Signal, kill_process};

/// A shell step that counts its runs in `count` (in the working directory).
const COUNTED: &str = "echo run >> count";

fn runs(env: &Env) -> usize {
    fs::read_to_string(env.path("work/count"))
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

/// `cacheman run ARGS... -- sh -c SCRIPT` as a std command.
fn run_sh(env: &Env, args: &[&str], script: &str) -> Command {
    let mut cmd = env.std_command();
    cmd.arg("run").args(args).args(["--", "sh", "-c", script]);
    cmd
}

/// Starts `cmd` with no stdin, and its stdout and stderr on pipes.
fn spawn_piped(mut cmd: Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cacheman")
}

/// Starts `cmd` as [`spawn_piped`] does, with a line reader on each stream.
fn spawn_reading(cmd: Command) -> (Child, BufReader<ChildStdout>, BufReader<ChildStderr>) {
    let mut child = spawn_piped(cmd);
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let stderr = BufReader::new(child.stderr.take().unwrap());
    (child, stdout, stderr)
}

fn output(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("spawn cacheman")
}

/// Runs with stdout and stderr on one file, as a terminal shows them.
fn merged(env: &Env, mut cmd: Command, name: &str) -> (Vec<u8>, Option<i32>) {
    let path = env.path(name);
    let file = File::create(&path).unwrap();
    let status = cmd
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .status()
        .unwrap();
    (fs::read(&path).unwrap(), status.code())
}

#[test]
fn a_hit_replays_stdout_stderr_and_status_exactly() {
    let env = Env::new();
    let script =
        format!("{COUNTED}; printf 'no newline'; printf 'err\\0bytes\\n' >&2; echo line; exit 7");
    let args = ["--cache-failures"];
    let cold = output(run_sh(&env, &args, &script));
    assert_eq!(cold.status.code(), Some(7));
    assert_eq!(cold.stdout, b"no newlineline\n");
    assert_eq!(cold.stderr, b"err\0bytes\n");
    let hit = output(run_sh(&env, &args, &script));
    assert_eq!(runs(&env), 1, "the hit did not run the command");
    assert_eq!(hit.status.code(), Some(7));
    assert_eq!(hit.stdout, cold.stdout);
    assert_eq!(hit.stderr, cold.stderr);
}

/// A shell step that waits until the file `name` exists (or its directory is gone).
fn wait_for(name: &str) -> String {
    format!("while [ ! -e {name} ] && [ -e count ]; do sleep 0.01; done")
}

#[test]
fn a_hit_replays_stdout_and_stderr_in_the_order_they_were_written() {
    let env = Env::new();
    // Each write waits until the one before it was shown live: the true order
    // is then known, whatever the speed of the machine.
    let script = format!(
        "{COUNTED}; echo out1; {}; echo err2 >&2; {}; echo out3; {}; echo err4 >&2",
        wait_for("go1"),
        wait_for("go2"),
        wait_for("go3")
    );
    let (mut child, mut stdout, mut stderr) = spawn_reading(run_sh(&env, &[], &script));
    for (n, expected) in ["out1\n", "err2\n", "out3\n", "err4\n"].iter().enumerate() {
        let mut line = String::new();
        let stream: &mut dyn BufRead = if n % 2 == 0 { &mut stdout } else { &mut stderr };
        stream.read_line(&mut line).unwrap();
        assert_eq!(line, *expected);
        File::create(env.path(format!("work/go{}", n + 1))).unwrap();
    }
    assert!(child.wait().unwrap().success());
    let entry = result_entry(&env, &[], &script);
    let expected = [
        (Tag::Stdout, "out1\n"),
        (Tag::Stderr, "err2\n"),
        (Tag::Stdout, "out3\n"),
        (Tag::Stderr, "err4\n"),
    ];
    assert_eq!(
        stored_chunks(&env, &entry),
        expected.map(|(tag, text)| (tag, text.as_bytes().to_vec())),
        "the result keeps the order of the writes, and a replay writes it in order"
    );
    let hit = output(run_sh(&env, &[], &script));
    assert_eq!(runs(&env), 1, "a hit");
    assert_eq!(
        (&hit.stdout[..], &hit.stderr[..]),
        (&b"out1\nout3\n"[..], &b"err2\nerr4\n"[..])
    );
}

/// The stdout, stderr and merged chunks of a stored result, in their order.
fn stored_chunks(env: &Env, entry: &str) -> Vec<(Tag, Vec<u8>)> {
    let value = env.get("run", entry).expect("a stored result");
    let mut input = &value[..];
    transcript::read_header(&mut input).unwrap();
    let mut chunks = Vec::new();
    while let Some((tag, len)) = transcript::read_frame_head(&mut input).unwrap() {
        let (payload, rest) = input.split_at(len as usize);
        if matches!(tag, Tag::Stdout | Tag::Stderr | Tag::Merged) {
            chunks.push((tag, payload.to_vec()));
        }
        input = rest;
    }
    chunks
}

/// A step writing five lines to stdout and five to stderr, back to back, in turn.
const ALTERNATING: &str = "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done";

/// What [`ALTERNATING`] prints on one file.
const INTERLEAVED: &str = "out1\nerr1\nout2\nerr2\nout3\nerr3\nout4\nerr4\nout5\nerr5\n";

#[test]
fn on_one_file_back_to_back_writes_keep_their_order_live_and_replayed() {
    let env = Env::new();
    for n in 0..30 {
        let key = n.to_string();
        for (what, name) in [("run", "miss"), ("replayed", "hit")] {
            let (shown, status) = merged(&env, run_sh(&env, &["--key", &key], ALTERNATING), name);
            assert_eq!(status, Some(0));
            assert_eq!(
                String::from_utf8_lossy(&shown),
                INTERLEAVED,
                "{what}, key {n}"
            );
        }
    }
    let (key, _) = merged(
        &env,
        run_sh(&env, &["--print-key", "--key", "0"], ALTERNATING),
        "key",
    );
    let entry = format!("result/{}", String::from_utf8(key).unwrap().trim_end());
    let stored: Vec<Tag> = stored_chunks(&env, &entry)
        .into_iter()
        .map(|(tag, _)| tag)
        .collect();
    assert!(stored.iter().all(|tag| *tag == Tag::Merged), "{stored:?}");
}

#[test]
fn merged_and_separate_streams_are_different_results() {
    let env = Env::new();
    let script = format!("{COUNTED}; {ALTERNATING}");
    let (merged_key, _) = merged(&env, run_sh(&env, &["--print-key"], &script), "key");
    let apart_key = output(run_sh(&env, &["--print-key"], &script)).stdout;
    assert_ne!(merged_key, apart_key);
    let (shown, _) = merged(&env, run_sh(&env, &[], &script), "merged");
    assert_eq!(String::from_utf8_lossy(&shown), INTERLEAVED);
    let apart = output(run_sh(&env, &["--explain"], &script));
    assert_eq!(runs(&env), 2, "a miss: the streams are apart now");
    let stderr = String::from_utf8_lossy(&apart.stderr);
    assert!(
        stderr.contains("explain: stdout and stderr are now apart"),
        "{stderr}"
    );
    for hit in [apart, output(run_sh(&env, &[], &script))] {
        assert_eq!(hit.stdout, b"out1\nout2\nout3\nout4\nout5\n");
        assert!(String::from_utf8_lossy(&hit.stderr).ends_with("err1\nerr2\nerr3\nerr4\nerr5\n"));
    }
    let (shown, _) = merged(&env, run_sh(&env, &[], &script), "merged");
    assert_eq!(String::from_utf8_lossy(&shown), INTERLEAVED);
    assert_eq!(runs(&env), 2, "each is replayed as it was stored");
}

#[test]
fn large_output_streams_through_a_blob_and_replays_byte_exact() {
    let env = Env::new();
    fs::write(env.path("work/big"), Noise::new(5).bytes(3 << 20)).unwrap();
    let script = format!("{COUNTED}; cat big; head -c 100000 big >&2");
    let cold = output(run_sh(&env, &["--input", "big"], &script));
    let hit = output(run_sh(&env, &["--input", "big"], &script));
    assert_eq!(runs(&env), 1);
    assert_eq!(cold.stdout.len(), 3 << 20);
    assert!(hit.stdout == cold.stdout && hit.stderr == cold.stderr);
    assert_eq!(hit.stderr.len(), 100_000);
}

#[test]
fn outputs_are_restored_byte_identical_with_mode_and_mtime() {
    let env = Env::new();
    let script = format!(
        "{COUNTED}; head -c 70000 /dev/urandom > app.bin; chmod 751 app.bin; \
         mkdir -p gen/sub; printf 'x\\0y' > gen/sub/f; chmod 640 gen/sub/f; \
         ln -sf sub/f gen/link; mkdir -p out/deep; echo o > out/deep/file; echo built"
    );
    let args = [
        "--output",
        "app.bin",
        "--output",
        "gen",
        "--output",
        "out/deep/file",
    ];
    let cold = output(run_sh(&env, &args, &script));
    assert_eq!(cold.status.code(), Some(0), "{cold:?}");
    let work = env.path("work");
    let files = ["app.bin", "gen/sub/f", "out/deep/file"];
    let before: Vec<(Vec<u8>, u32, i64, i64)> = files
        .iter()
        .map(|f| {
            let meta = fs::metadata(work.join(f)).unwrap();
            (
                fs::read(work.join(f)).unwrap(),
                meta.mode() & 0o7777,
                meta.mtime(),
                meta.mtime_nsec(),
            )
        })
        .collect();
    fs::remove_file(work.join("app.bin")).unwrap();
    fs::remove_dir_all(work.join("gen")).unwrap();
    fs::remove_dir_all(work.join("out")).unwrap();
    let hit = output(run_sh(&env, &args, &script));
    assert_eq!(runs(&env), 1, "restored, not rebuilt");
    assert_eq!(hit.stdout, b"built\n");
    for (file, (bytes, mode, secs, nanos)) in files.iter().zip(before) {
        let meta = fs::metadata(work.join(file)).unwrap();
        assert!(fs::read(work.join(file)).unwrap() == bytes, "{file} bytes");
        assert_eq!(meta.mode() & 0o7777, mode, "{file} mode");
        assert_eq!(
            (meta.mtime(), meta.mtime_nsec()),
            (secs, nanos),
            "{file} mtime"
        );
    }
    assert_eq!(
        fs::read_link(work.join("gen/link")).unwrap(),
        Path::new("sub/f")
    );
}

#[test]
fn a_missing_output_is_not_stored() {
    let env = Env::new();
    let cold = output(run_sh(&env, &["--output", "nothing"], COUNTED));
    assert_eq!(cold.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&cold.stderr).contains("not stored"));
    output(run_sh(&env, &["--output", "nothing"], COUNTED));
    assert_eq!(runs(&env), 2);
}

/// Runs the counted step with `--explain` and returns its stderr.
fn explained(env: &Env, args: &[&str], vars: &[(&str, Option<&str>)], dir: &str) -> String {
    let mut cmd = run_sh(env, &[&["--explain"], args].concat(), COUNTED);
    for (name, value) in vars {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    cmd.current_dir(env.path(dir));
    let out = output(cmd);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn one_changed_input_byte_misses_and_explain_names_the_file() {
    let env = Env::new();
    fs::create_dir(env.path("work/src")).unwrap();
    fs::write(env.path("work/src/a.c"), "int a;").unwrap();
    fs::write(env.path("work/src/b.c"), "int b;").unwrap();
    let args = ["--input", "src", "--input", "*.h"];
    let unmatched = "cacheman: warning: --input \"*.h\" matches nothing\n";
    let first = explained(&env, &args, &[], "work");
    assert!(first.starts_with(unmatched), "{first}");
    assert!(first.contains("no earlier result"), "{first}");
    assert_eq!(
        explained(&env, &args, &[], "work"),
        "",
        "a hit says nothing"
    );
    fs::write(env.path("work/src/b.c"), "int c;").unwrap();
    let why = explained(&env, &args, &[], "work");
    assert_eq!(
        why,
        format!("{unmatched}cacheman: explain: input src/b.c changed\n")
    );
    fs::write(env.path("work/x.h"), "").unwrap();
    let why = explained(&env, &args, &[], "work");
    assert_eq!(why, "cacheman: explain: input x.h is new\n");
    assert_eq!(runs(&env), 3);
}

#[test]
fn one_changed_env_var_misses_and_explain_names_it() {
    let env = Env::new();
    let args = ["--env", "CC"];
    explained(&env, &args, &[("CC", Some("gcc"))], "work");
    assert_eq!(explained(&env, &args, &[("CC", Some("gcc"))], "work"), "");
    let why = explained(&env, &args, &[("CC", Some("clang"))], "work");
    assert_eq!(why, "cacheman: explain: env CC changed\n");
    let why = explained(&env, &args, &[("CC", None)], "work");
    assert_eq!(why, "cacheman: explain: env CC is now unset\n");
    let why = explained(&env, &args, &[("CC", Some(""))], "work");
    assert_eq!(why, "cacheman: explain: env CC is now set (was unset)\n");
    assert_eq!(runs(&env), 4);
    explained(
        &env,
        &args,
        &[("OTHER", Some("x")), ("CC", Some(""))],
        "work",
    );
    assert_eq!(
        runs(&env),
        4,
        "undeclared variables are not part of the key"
    );
}

#[test]
fn another_working_directory_misses_and_explain_names_it() {
    let env = Env::new();
    fs::create_dir(env.path("other")).unwrap();
    explained(&env, &[], &[], "work");
    let why = explained(&env, &[], &[], "other");
    let expected = format!(
        "cacheman: explain: the working directory changed: {} -> {}\n",
        env.path("work").display(),
        env.path("other").display()
    );
    assert_eq!(why, expected);
    // The counter lives in each directory: one run in each.
    assert_eq!(runs(&env), 1);
    assert_eq!(
        fs::read_to_string(env.path("other/count")).unwrap(),
        "run\n"
    );
    explained(&env, &["--no-cwd", "--key", "shared"], &[], "work");
    explained(&env, &["--no-cwd", "--key", "shared"], &[], "other");
    assert_eq!(runs(&env), 2, "--no-cwd shares the result");
}

#[test]
fn stdin_is_part_of_the_key_and_reaches_the_command() {
    let env = Env::new();
    let step = |input: &str| {
        let mut cmd = run_sh(
            &env,
            &["--stdin", "--explain"],
            &format!("{COUNTED}; tr a-z A-Z"),
        );
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    assert_eq!(step("abc").stdout, b"ABC");
    assert_eq!(step("abc").stdout, b"ABC");
    assert_eq!(runs(&env), 1);
    let other = step("xyz");
    assert_eq!(other.stdout, b"XYZ");
    assert_eq!(other.stderr, b"cacheman: explain: stdin changed\n");
}

/// Starts `n` identical runs of `script` at once.
fn start_many(env: &Env, n: usize, args: &[&str], script: &str) -> Vec<Child> {
    (0..n)
        .map(|_| spawn_piped(run_sh(env, args, script)))
        .collect()
}

/// How many processes wait for the one run lock there is, from /proc/locks
/// (a waiting `flock` is listed there with `->`).
fn lock_waiters(env: &Env) -> usize {
    let Ok(listing) = fs::read_dir(env.store().join("run-locks")) else {
        return 0;
    };
    let inodes: Vec<String> = listing
        .flatten()
        .filter_map(|entry| entry.metadata().ok())
        .map(|meta| format!(":{}", meta.ino()))
        .collect();
    let locks = fs::read_to_string("/proc/locks").unwrap();
    locks
        .lines()
        .filter(|line| line.contains("->"))
        .filter(|line| {
            line.split_whitespace()
                .any(|field| inodes.iter().any(|ino| field.ends_with(ino.as_str())))
        })
        .count()
}

/// Children that are killed if the test fails before they end.
struct Running(Vec<Child>);

impl Running {
    /// Waits (with a deadline) for every child to end; their outputs.
    fn finish(mut self, what: &str) -> Vec<Output> {
        eventually(Duration::from_secs(60), what, || {
            self.0.iter_mut().all(|c| c.try_wait().unwrap().is_some())
        });
        std::mem::take(&mut self.0)
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn eight_identical_cold_runs_run_the_command_once() {
    let env = Env::new();
    let script = format!("{COUNTED}; {}; echo done; echo note >&2", wait_for("go"));
    let children = Running(start_many(&env, 8, &["--explain"], &script));
    eventually(Duration::from_secs(60), "the first run to start", || {
        runs(&env) == 1
    });
    eventually(
        Duration::from_secs(60),
        "7 runs waiting for the lock",
        || lock_waiters(&env) == 7,
    );
    File::create(env.path("work/go")).unwrap();
    let mut explained = 0;
    for out in children.finish("the 8 runs") {
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(out.stdout, b"done\n");
        let stderr = String::from_utf8(out.stderr).unwrap();
        if stderr.starts_with("cacheman: explain: no earlier result") {
            explained += 1;
        }
        assert!(
            stderr.ends_with("note\n") && stderr.lines().count() <= 2,
            "{stderr}"
        );
    }
    assert_eq!(runs(&env), 1);
    assert_eq!(explained, 1, "only the run that ran the command explains");
}

#[test]
fn when_the_holder_fails_uncached_its_waiters_all_run_at_once() {
    let env = Env::new();
    // The first run fails as soon as it may; the others each wait until both
    // of them are running, which never happens if they take turns.
    let script = format!(
        "n=$(echo run >> count; wc -l < count); {}; \
         [ $n -eq 1 ] || while [ $(wc -l < count) -lt 3 ] && [ -e count ]; do sleep 0.01; done; exit 1",
        wait_for("go")
    );
    let children = Running(start_many(&env, 3, &[], &script));
    eventually(Duration::from_secs(60), "the first run to start", || {
        runs(&env) == 1
    });
    eventually(
        Duration::from_secs(60),
        "2 runs waiting for the lock",
        || lock_waiters(&env) == 2,
    );
    File::create(env.path("work/go")).unwrap();
    for out in children.finish("the waiters to run side by side") {
        assert_eq!(out.status.code(), Some(1));
    }
    assert_eq!(runs(&env), 3);
}

#[test]
fn kill_9_of_the_lock_holder_does_not_wedge_the_next_call() {
    let env = Env::new();
    let script = format!("{COUNTED}; while [ ! -e go ]; do sleep 0.01; done; echo done");
    let mut holder = start_many(&env, 1, &[], &script).remove(0);
    eventually(Duration::from_secs(60), "the holder to run", || {
        runs(&env) == 1
    });
    let waiter = start_many(&env, 1, &[], &script).remove(0);
    holder.kill().unwrap();
    holder.wait().unwrap();
    eventually(Duration::from_secs(60), "the waiter to take over", || {
        runs(&env) == 2
    });
    File::create(env.path("work/go")).unwrap();
    let out = waiter.wait_with_output().unwrap();
    assert_eq!(
        (out.status.code(), out.stdout.as_slice()),
        (Some(0), &b"done\n"[..])
    );
    let hit = output(run_sh(&env, &[], &script));
    assert_eq!(hit.stdout, b"done\n");
    assert_eq!(runs(&env), 2);
}

#[test]
fn a_stale_result_is_served_while_exactly_one_refresh_runs() {
    let env = Env::new();
    let args = ["--ttl", "1h", "--stale", "1h"];
    // Once `hold` exists, a run of the command waits for `go`.
    let script = format!(
        "{COUNTED}; if [ -e hold ]; then {}; fi; wc -l < count | tr -d ' '",
        wait_for("go")
    );
    assert_eq!(output(run_sh(&env, &args, &script)).stdout, b"1\n");
    File::create(env.path("work/hold")).unwrap();
    env.cmd(["invalidate", "run", "--soft"]).any_stderr().run();
    let calls = Running(start_many(&env, 8, &args, &script));
    for out in calls.finish("the stale result to be served while the refresh is held") {
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(out.stdout, b"1\n", "the stale result, at once");
    }
    eventually(Duration::from_secs(60), "the refresh to start", || {
        runs(&env) == 2
    });
    File::create(env.path("work/go")).unwrap();
    settle_refresh(&env, &args, &script);
    assert_eq!(runs(&env), 2, "one refresh");
}

/// Waits until the refresh has run and its result is stored (a call then
/// replays it), and until no background process is left. Once the refreshed
/// result is stored, no refresher still starting can run the command again.
fn settle_refresh(env: &Env, args: &[&str], script: &str) {
    eventually(Duration::from_secs(60), "the refresh to run", || {
        runs(env) == 2
    });
    eventually(Duration::from_secs(60), "the refreshed result", || {
        output(run_sh(env, args, script)).stdout == b"2\n"
    });
    env.wait_for_background();
}

#[test]
fn past_its_ttl_a_result_is_stale_only_within_the_window() {
    let env = Env::new();
    let script = format!("{COUNTED}; wc -l < count | tr -d ' '");
    let stale = ["--ttl", "1s", "--stale", "1h"];
    output(run_sh(&env, &stale, &script));
    // Waiting out the TTL: a deadline, not a guess about speed.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(output(run_sh(&env, &stale, &script)).stdout, b"1\n");
    settle_refresh(&env, &stale, &script);
    assert_eq!(runs(&env), 2);
    std::thread::sleep(Duration::from_millis(1100));
    let plain = output(run_sh(&env, &["--ttl", "1s"], &script));
    assert_eq!(
        plain.stdout, b"3\n",
        "without --stale, an expired result misses"
    );
}

#[test]
fn cacheman_disable_and_no_cache_run_straight_through() {
    let env = Env::new();
    for _ in 0..2 {
        let mut cmd = run_sh(&env, &[], &format!("{COUNTED}; echo out; exit 4"));
        cmd.env("CACHEMAN_DISABLE", "1");
        let out = output(cmd);
        assert_eq!(
            (out.status.code(), out.stdout.as_slice()),
            (Some(4), &b"out\n"[..])
        );
        output(run_sh(&env, &["--no-cache"], COUNTED));
    }
    assert_eq!(runs(&env), 4);
    assert!(!env.store().exists(), "nothing was stored");
    let mut cmd = run_sh(&env, &[], COUNTED);
    cmd.env("CACHEMAN_DISABLE", "0");
    output(cmd);
    output(run_sh(&env, &[], COUNTED));
    assert_eq!(runs(&env), 5, "CACHEMAN_DISABLE=0 leaves caching on");
}

#[test]
fn failures_are_cached_only_when_asked_and_force_reruns() {
    let env = Env::new();
    let failing = format!("{COUNTED}; exit 3");
    output(run_sh(&env, &[], &failing));
    output(run_sh(&env, &[], &failing));
    assert_eq!(runs(&env), 2);
    output(run_sh(&env, &[], COUNTED));
    output(run_sh(&env, &["--force"], COUNTED));
    assert_eq!(runs(&env), 4);
    output(run_sh(&env, &[], COUNTED));
    assert_eq!(runs(&env), 4);
}

#[test]
fn exit_statuses_125_126_127_and_128_plus_n() {
    let env = Env::new();
    let not_found = output({
        let mut cmd = env.std_command();
        cmd.args(["run", "--", "no-such-command-here"]);
        cmd
    });
    assert_eq!(not_found.status.code(), Some(127));
    common::assert_error_form(&String::from_utf8_lossy(&not_found.stderr));
    let script = env.path("work/not-executable");
    fs::write(&script, "#!/bin/sh\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o644)).unwrap();
    let mut cmd = env.std_command();
    cmd.arg("run").arg("--").arg(&script);
    assert_eq!(output(cmd).status.code(), Some(126));
    for bad in [
        &["--ttl", "soon"][..],
        &["--stale", "1h"],
        &["--cache", "a/b"],
        &["--nope"],
    ] {
        let mut cmd = env.std_command();
        cmd.arg("run").args(bad).args(["--", "true"]);
        let out = output(cmd);
        assert_eq!(out.status.code(), Some(125), "{bad:?}");
        common::assert_error_form(&String::from_utf8_lossy(&out.stderr));
    }
    fs::write(env.path("file"), "").unwrap();
    let mut cmd = env.std_command();
    cmd.env("CACHEMAN_DIR", env.path("file"))
        .args(["run", "--", "true"]);
    assert_eq!(output(cmd).status.code(), Some(125), "an unusable store");
    for _ in 0..2 {
        let out = output(run_sh(
            &env,
            &["--cache-failures"],
            &format!("{COUNTED}; kill -TERM $$"),
        ));
        assert_eq!(out.status.code(), Some(128 + 15));
    }
    assert_eq!(runs(&env), 2, "a signal is never cached");
}

/// Sends `signal` to a started `cacheman run`.
fn signal(child: &Child, signal: Signal) {
    kill_process(Pid::from_child(child), signal).unwrap();
}

/// True while a process has this PID (reaped, as `run` reaps its command).
fn alive(pid: &str) -> bool {
    Path::new("/proc").join(pid.trim()).exists()
}

/// The PID the `n`th run of [`HELD`] noted, once it did.
fn pid_of_run(env: &Env, n: usize) -> Option<String> {
    fs::read_to_string(env.path(format!("work/pid.{n}")))
        .ok()
        .filter(|pid| pid.ends_with('\n'))
}

/// A step that notes its PID in `pid.N` (N counting its runs) and, while the
/// file `hold` exists, sleeps (as that PID) instead of printing `done`.
const HELD: &str = "echo run >> count; n=$(wc -l < count); echo $$ > pid.$n; \
                    [ -e hold ] && exec sleep 30; echo done";

#[test]
fn sigterm_reaches_the_command_and_frees_its_waiters_storing_nothing() {
    let env = Env::new();
    fs::write(env.path("work/hold"), "").unwrap();
    let holder = Running(vec![spawn_piped(run_sh(&env, &[], HELD))]);
    eventually(Duration::from_secs(10), "the command to start", || {
        pid_of_run(&env, 1).is_some()
    });
    let waiter = Running(vec![spawn_piped(run_sh(&env, &[], HELD))]);
    eventually(Duration::from_secs(10), "a run to wait", || {
        lock_waiters(&env) == 1
    });
    for (n, running) in [holder, waiter].into_iter().enumerate() {
        if n == 1 {
            // The holder stored nothing: its waiter runs the command itself.
            eventually(Duration::from_secs(10), "the waiter to run it", || {
                pid_of_run(&env, 2).is_some()
            });
        }
        signal(&running.0[0], Signal::TERM);
        let out = running.finish("the run to end on SIGTERM").remove(0);
        assert_eq!(out.status.code(), Some(143), "{out:?}");
        let pid = pid_of_run(&env, n + 1).unwrap();
        eventually(Duration::from_secs(2), "the command to be gone", || {
            !alive(&pid)
        });
    }
    fs::remove_file(env.path("work/hold")).unwrap();
    let after = output(run_sh(&env, &[], HELD));
    assert_eq!(after.stdout, b"done\n");
    assert_eq!(runs(&env), 3, "a miss: nothing was stored");
}

#[test]
fn a_command_that_traps_the_signal_exits_as_it_chooses_and_nothing_is_stored() {
    let env = Env::new();
    fs::write(env.path("work/hold"), "").unwrap();
    let script = format!(
        "{COUNTED}; trap 'echo trapped; exit 0' INT TERM HUP; touch started; \
         while [ -e hold ]; do sleep 0.05; done; echo done"
    );
    for (n, sent) in [Signal::INT, Signal::TERM, Signal::HUP]
        .into_iter()
        .enumerate()
    {
        let _ = fs::remove_file(env.path("work/started"));
        let running = Running(vec![spawn_piped(run_sh(&env, &[], &script))]);
        eventually(Duration::from_secs(10), "the command to start", || {
            env.path("work/started").exists()
        });
        signal(&running.0[0], sent);
        let out = running.finish("the run to end").remove(0);
        assert_eq!(
            (out.status.code(), &out.stdout[..]),
            (Some(0), &b"trapped\n"[..]),
            "{sent:?}"
        );
        assert_eq!(runs(&env), n + 1);
    }
    fs::remove_file(env.path("work/hold")).unwrap();
    let after = output(run_sh(&env, &[], &script));
    assert_eq!(after.stdout, b"done\n");
    assert_eq!(runs(&env), 4, "a miss: nothing was stored");
}

#[test]
fn print_key_prints_the_key_without_running() {
    let env = Env::new();
    let key = |args: &[&str]| {
        let out = output(run_sh(&env, &[&["--print-key"], args].concat(), COUNTED));
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let plain = key(&[]);
    assert_eq!(plain.trim_end().len(), 64);
    assert_eq!(key(&[]), plain);
    assert_ne!(key(&["--key", "v2"]), plain);
    assert_eq!(runs(&env), 0);
}

#[test]
fn a_damaged_stored_result_is_reported_never_replayed() {
    let env = Env::new();
    let script = format!("{COUNTED}; head -c 100000 /dev/zero");
    output(run_sh(&env, &[], &script));
    let blobs: Vec<_> = walk_files(&env.cache_dir("run").join("blobs"));
    assert_eq!(blobs.len(), 1, "the transcript went to a blob");
    common::flip_byte(&blobs[0], 1000, 0x01);
    let out = output(run_sh(&env, &[], &script));
    assert_eq!(out.status.code(), Some(125));
    assert!(
        out.stdout.is_empty(),
        "nothing of a damaged result is shown"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    common::assert_error_form(&stderr);
    assert!(stderr.contains("does not match its hash"), "{stderr}");
    assert_eq!(runs(&env), 1);
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk_files(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Peak memory of a run printing 64 MiB, sampled while it is blocked on a full
/// stdout pipe, then the whole output.
fn peak_while_streaming(env: &Env, script: &str) -> (u64, usize) {
    use std::io::Read;
    let mut child = run_sh(env, &[], script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0; 8 << 20];
    stdout.read_exact(&mut first).unwrap();
    let peak = common::peak_rss_kib(child.id()).expect("the run is still going");
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    (peak, first.len() + rest.len())
}

#[test]
fn big_outputs_stream_in_bounded_memory_both_ways() {
    let env = Env::new();
    let script = format!("{COUNTED}; head -c 67108864 /dev/zero");
    let (cold_kib, cold_len) = peak_while_streaming(&env, &script);
    let (hit_kib, hit_len) = peak_while_streaming(&env, &script);
    assert_eq!((cold_len, hit_len), (64 << 20, 64 << 20));
    assert_eq!(runs(&env), 1);
    for (what, kib) in [("capture", cold_kib), ("replay", hit_kib)] {
        assert!(
            kib < 24 << 10,
            "{what} peaked at {kib} KiB for a 64 MiB output"
        );
    }
}

#[test]
fn output_streams_live_while_the_command_runs() {
    let env = Env::new();
    let script = "echo ready; echo also >&2; while [ ! -e go ]; do sleep 0.01; done; echo finished";
    let (mut child, mut stdout, mut stderr) = spawn_reading(run_sh(&env, &[], script));
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n", "seen before the command ends");
    line.clear();
    stderr.read_line(&mut line).unwrap();
    assert_eq!(line, "also\n");
    File::create(env.path("work/go")).unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "finished\n");
    assert!(child.wait().unwrap().success());
}

#[test]
fn results_are_invalidated_with_their_cache_and_its_roots() {
    let env = Env::new();
    env.cmd(["depend", "sources", "steps"])
        .any_stderr()
        .any_stdout()
        .run();
    let args = ["--cache", "steps"];
    output(run_sh(&env, &args, COUNTED));
    output(run_sh(&env, &args, COUNTED));
    assert_eq!(runs(&env), 1);
    env.cmd(["invalidate", "sources"])
        .any_stderr()
        .any_stdout()
        .run();
    output(run_sh(&env, &args, COUNTED));
    assert_eq!(runs(&env), 2, "invalidating a root cascades to the results");
    output(run_sh(&env, &args, COUNTED));
    assert_eq!(runs(&env), 2);
}

/// Starts a run whose stdout the test reads, reads `n` bytes, closes it, and
/// waits (with a deadline) for the run to end; its status.
fn close_stdout_after(env: &Env, args: &[&str], script: &str, n: usize) -> Option<i32> {
    use std::io::Read;
    let mut child = run_sh(env, args, script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = vec![0; n];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let mut running = Running(vec![child]);
    eventually(Duration::from_secs(60), "the run to end", || {
        running.0[0].try_wait().unwrap().is_some()
    });
    running.0.remove(0).wait().unwrap().code()
}

#[test]
fn a_closed_stdout_ends_the_command_quietly_and_stores_nothing() {
    let env = Env::new();
    let endless = format!("{COUNTED}; exec yes");
    assert_eq!(
        close_stdout_after(&env, &[], &endless, 10),
        Some(141),
        "the command died of SIGPIPE, as in a plain pipeline"
    );
    assert!(env.keys("run").is_empty(), "nothing stored");
    // A replay stops as well.
    let big = format!("{COUNTED}; head -c 4000000 /dev/zero");
    assert_eq!(output(run_sh(&env, &[], &big)).stdout.len(), 4_000_000);
    assert_eq!(close_stdout_after(&env, &[], &big, 10), Some(141));
    assert_eq!(runs(&env), 2, "the second was a hit");
}

#[test]
fn a_failing_write_that_is_not_a_closed_pipe_is_cachemans_own_failure() {
    let env = Env::new();
    let script = format!("{COUNTED}; echo w >&2; echo out");
    let full = || File::options().write(true).open("/dev/full").unwrap();
    let out = run_sh(&env, &[], &script)
        .stdin(Stdio::null())
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(out.stdout, b"out\n", "the command ran on, its stdout shown");
    let cold = output(run_sh(&env, &[], &script));
    assert_eq!(cold.status.code(), Some(0));
    assert_eq!(runs(&env), 2, "nothing was stored");
    let hit = run_sh(&env, &[], &script)
        .stdin(Stdio::null())
        .stdout(full())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(hit.status.code(), Some(125));
    let stderr = String::from_utf8_lossy(&hit.stderr);
    assert!(stderr.contains("<stdout>: No space left"), "{stderr}");
    assert!(stderr.contains("hint: the disk is full"), "{stderr}");
    assert_eq!(runs(&env), 2, "a hit");
}

#[test]
fn bad_run_arguments_exit_125_pointing_at_run_help() {
    let env = Env::new();
    let not_utf8 = OsStr::from_bytes(b"*\xff").to_os_string();
    let bad: [&[&OsStr]; 9] = [
        &["--ttl".as_ref()],
        &["--cache".as_ref()],
        &["--input".as_ref()],
        &["--output", "", "--", "true"].map(OsStr::new),
        &["--ttl", "-5s", "--", "true"].map(OsStr::new),
        &["--input", "", "--", "true"].map(OsStr::new),
        &["--env", "", "--", "true"].map(OsStr::new),
        &["--env", "A=B", "--", "true"].map(OsStr::new),
        &[
            "--input".as_ref(),
            &not_utf8,
            "--".as_ref(),
            "true".as_ref(),
        ],
    ];
    for args in bad {
        let mut cmd = env.std_command();
        cmd.arg("run").args(args);
        let out = output(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(125), "{args:?}: {stderr}");
        common::assert_error_form(&stderr);
        assert!(!stderr.contains("use '--"), "{args:?}: {stderr}");
    }
    let mut cmd = env.std_command();
    cmd.args(["--dir", "run", "run", "--ttl"]);
    let stderr = String::from_utf8(output(cmd).stderr).unwrap();
    assert!(
        stderr.ends_with("hint: see 'cacheman run --help'\n"),
        "{stderr}"
    );
    assert!(!env.store().exists());
}

#[test]
fn huge_durations_saturate() {
    let env = Env::new();
    let args = ["--ttl", "1s", "--stale", "18446744073709551615s"];
    for _ in 0..2 {
        let out = output(run_sh(&env, &args, COUNTED));
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    assert_eq!(runs(&env), 1);
}

#[test]
fn an_existing_path_is_an_input_as_written_even_if_it_looks_like_a_glob() {
    let env = Env::new();
    let name = "file[1].txt";
    let step = || {
        output(run_sh(
            &env,
            &["--input", name],
            &format!("{COUNTED}; cat '{name}'"),
        ))
    };
    fs::write(env.path("work").join(name), "x\n").unwrap();
    assert_eq!(step().stdout, b"x\n");
    fs::write(env.path("work").join(name), "y\n").unwrap();
    assert_eq!(step().stdout, b"y\n", "its content is in the key");
    assert_eq!(step().stdout, b"y\n");
    assert_eq!(runs(&env), 2);
}

#[test]
fn an_input_standing_for_nothing_is_warned_about_when_the_command_runs() {
    let env = Env::new();
    for (args, warning) in [
        (
            &["--input", "nope"][..],
            "--input \"nope\" does not exist (keyed as missing)",
        ),
        (&["--input", "*.zz"], "--input \"*.zz\" matches nothing"),
    ] {
        let cold = output(run_sh(&env, args, COUNTED));
        assert_eq!(cold.status.code(), Some(0));
        let stderr = String::from_utf8(cold.stderr).unwrap();
        assert_eq!(stderr, format!("cacheman: warning: {warning}\n"));
        assert!(
            output(run_sh(&env, args, COUNTED)).stderr.is_empty(),
            "a hit"
        );
    }
    fs::write(env.path("work/nope"), "").unwrap();
    output(run_sh(&env, &["--input", "nope"], COUNTED));
    assert_eq!(runs(&env), 3, "the missing input appearing is a miss");
}

#[test]
fn links_in_an_input_directory_are_keyed_by_target_and_content() {
    let env = Env::new();
    let work = env.path("work");
    fs::create_dir_all(work.join("d")).unwrap();
    fs::create_dir_all(work.join("lib/sub")).unwrap();
    std::os::unix::fs::symlink("../real.txt", work.join("d/file")).unwrap();
    std::os::unix::fs::symlink("../lib", work.join("d/lib")).unwrap();
    // A link back up: walking it would never end.
    std::os::unix::fs::symlink("..", work.join("lib/sub/up")).unwrap();
    fs::write(work.join("real.txt"), "two").unwrap();
    fs::write(work.join("lib/sub/h"), "1").unwrap();
    let args = ["--input", "d"];
    let step = || explained(&env, &args, &[], "work");
    step();
    assert_eq!(step(), "", "a hit");
    fs::write(work.join("real.txt"), "three").unwrap();
    assert_eq!(step(), "cacheman: explain: input d/file changed\n");
    fs::write(work.join("lib/sub/h"), "2").unwrap();
    assert_eq!(step(), "cacheman: explain: input d/lib/sub/h changed\n");
    fs::remove_file(work.join("d/file")).unwrap();
    std::os::unix::fs::symlink("../other.txt", work.join("d/file")).unwrap();
    assert_eq!(step(), "cacheman: explain: input d/file changed\n");
    assert_eq!(runs(&env), 4);
}

#[test]
fn a_glob_starting_with_dot_slash_or_matching_a_directory_covers_its_files() {
    let env = Env::new();
    let work = env.path("work");
    fs::create_dir_all(work.join("src")).unwrap();
    fs::create_dir_all(work.join("pk/a")).unwrap();
    fs::write(work.join("src/a.c"), "1").unwrap();
    fs::write(work.join("pk/a/x"), "1").unwrap();
    let args = ["--input", "./src/*.c", "--input", "pk/*"];
    let first = explained(&env, &args, &[], "work");
    assert!(!first.contains("matches nothing"), "{first}");
    assert_eq!(explained(&env, &args, &[], "work"), "", "a hit");
    fs::write(work.join("src/a.c"), "2").unwrap();
    assert_eq!(
        explained(&env, &args, &[], "work"),
        "cacheman: explain: input ./src/a.c changed\n"
    );
    fs::write(work.join("pk/a/x"), "2").unwrap();
    assert_eq!(
        explained(&env, &args, &[], "work"),
        "cacheman: explain: input pk/a/x changed\n",
        "a matched directory stands for all under it"
    );
    assert_eq!(runs(&env), 3);
}

#[test]
fn a_glob_reads_no_deeper_than_it_can_match() {
    let env = Env::new();
    fs::write(env.path("work/top.txt"), "").unwrap();
    // A tree whose deepest paths outgrow PATH_MAX: reading there by path
    // fails. Made short, then renamed long from the bottom up.
    let levels = 20;
    let short: std::path::PathBuf = ["t"].into_iter().chain(["d"; 20]).collect();
    fs::create_dir_all(env.path("work").join(&short)).unwrap();
    for depth in (1..=levels).rev() {
        let at: std::path::PathBuf = short.iter().take(depth + 1).collect();
        let at = env.path("work").join(at);
        fs::rename(&at, at.with_file_name("d".repeat(250))).unwrap();
    }
    for (glob, status) in [("*.txt", 0), ("t/*/*.txt", 0), ("**/*.txt", 125)] {
        let out = output(run_sh(&env, &["--input", glob], "true"));
        assert_eq!(out.status.code(), Some(status), "{glob}: {out:?}");
    }
}

#[test]
fn linked_directories_are_walked_once_each() {
    let env = Env::new();
    let r = env.path("work/r");
    let names = ["x1", "x2", "x3", "x4", "x5"];
    for name in names {
        fs::create_dir_all(r.join(name)).unwrap();
        fs::write(r.join(name).join("f"), name).unwrap();
        for other in names.iter().filter(|o| **o != name) {
            let link = r.join(name).join(format!("l{other}"));
            std::os::unix::fs::symlink(format!("../{other}"), link).unwrap();
        }
    }
    let args = ["--input", "r"];
    explained(&env, &args, &[], "work");
    fs::write(r.join("x3/f"), "changed").unwrap();
    assert_eq!(
        explained(&env, &args, &[], "work"),
        "cacheman: explain: input r/x3/f changed\n",
        "x3 is walked once, where it is"
    );
}

#[test]
fn the_project_store_is_left_out_of_an_input_directory() {
    let env = Env::new().store_via(common::StoreVia::Nothing);
    let project = env.path("work/project");
    fs::create_dir(&project).unwrap();
    env.cmd(["init"])
        .in_dir(&project)
        .any_stdout()
        .any_stderr()
        .run();
    assert!(project.join(".cacheman").is_dir());
    fs::create_dir(project.join("sub")).unwrap();
    std::os::unix::fs::symlink("../.cacheman", project.join("sub/store")).unwrap();
    for _ in 0..3 {
        let args = ["--input", ".", "--input", "sub"];
        let mut cmd = run_sh(&env, &args, "echo run >> ../count");
        cmd.current_dir(&project);
        let out = output(cmd);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    assert_eq!(
        runs(&env),
        1,
        "the store's own files are not inputs, even through a link"
    );
}

#[test]
fn fifos_sockets_and_devices_are_keyed_by_kind_and_never_opened() {
    let env = Env::new();
    let work = env.path("work");
    fs::create_dir(work.join("d")).unwrap();
    let fifo = Command::new("mkfifo")
        .arg(work.join("d/pipe"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let _socket = std::os::unix::net::UnixListener::bind(work.join("d/sock")).unwrap();
    for input in ["d", "d/pipe", "/dev/zero"] {
        env.cmd(["run", "--input", input, "--", "echo", "ok"])
            .stdout("ok\n")
            .run();
    }
    env.cmd(["run", "--output", "d/pipe", "--", "echo", "fifo"])
        .stdout("fifo\n")
        .stderr_contains("cannot be an output")
        .run();
}

#[test]
fn a_hit_whose_outputs_cannot_be_restored_runs_the_command() {
    let env = Env::new();
    let args = ["--output", "o.txt"];
    let script = format!("{COUNTED}; echo hello > o.txt; echo built");
    output(run_sh(&env, &args, &script));
    fs::remove_file(env.path("work/o.txt")).unwrap();
    fs::create_dir(env.path("work/o.txt")).unwrap();
    fs::write(env.path("work/o.txt/keep"), "").unwrap();
    let out = output(run_sh(&env, &args, &script));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be restored"), "{stderr}");
    assert_eq!(
        (out.status.code(), out.stdout.as_slice()),
        (Some(0), &b"built\n"[..])
    );
    assert_eq!(runs(&env), 2, "run instead of replayed");
}

/// `result/HEX`: the entry `run` stores the result of these arguments under.
fn result_entry(env: &Env, args: &[&str], script: &str) -> String {
    let out = output(run_sh(env, &[&["--print-key"], args].concat(), script));
    format!(
        "result/{}",
        String::from_utf8(out.stdout).unwrap().trim_end()
    )
}

/// The bytes of a forged result that prints `forged` and restores `entries`
/// (each file holding `pwned`), built with the library as an attacker would.
fn forged_result(entries: &[(&str, Kind)]) -> Vec<u8> {
    let mut bytes = Vec::new();
    transcript::write_header(&mut bytes, u64::MAX).unwrap();
    transcript::write_frame(&mut bytes, Tag::Stdout, b"forged\n").unwrap();
    for (path, kind) in entries {
        let meta = Meta {
            path: path.as_bytes().to_vec(),
            kind: kind.clone(),
            mode: 0o644,
            mtime_ns: 0,
        };
        transcript::write_frame(&mut bytes, Tag::Output, &codec::encode(&meta)).unwrap();
        if *kind == Kind::File {
            transcript::write_frame(&mut bytes, Tag::Content, b"pwned\n").unwrap();
        }
    }
    transcript::write_frame(&mut bytes, Tag::Status, &[0]).unwrap();
    bytes
}

/// A path in `<root>/outside/`, a directory created empty, beside the working
/// directory: what a forged result aims at.
fn outside(env: &Env, name: &str) -> String {
    fs::create_dir(env.path("outside")).unwrap();
    env.path("outside").join(name).to_str().unwrap().to_owned()
}

/// Checks that a call meeting a forged result warned once, ran the command
/// (its `runs` so far), wrote nothing at `outside`, and stored a fresh result
/// that the next call replays quietly.
fn assert_refused_and_replaced(env: &Env, args: &[&str], script: &str, runs_so_far: usize) {
    let out = output(run_sh(env, args, script));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one warning: {stderr}");
    assert!(stderr.starts_with("cacheman: warning: "), "{stderr}");
    assert!(stderr.contains("running the command"), "{stderr}");
    assert_eq!(
        (out.status.code(), &out.stdout[..]),
        (Some(0), &b"built\n"[..])
    );
    assert_eq!(runs(env), runs_so_far, "the command ran");
    assert!(
        fs::read_dir(env.path("outside")).unwrap().next().is_none(),
        "nothing was written outside"
    );
    let hit = output(run_sh(env, args, script));
    assert_eq!(
        (&hit.stdout[..], &hit.stderr[..]),
        (&b"built\n"[..], &b""[..])
    );
    assert_eq!(
        runs(env),
        runs_so_far,
        "the fresh result replaced the forged one"
    );
}

#[test]
fn an_imported_result_restoring_an_undeclared_path_is_refused_and_replaced() {
    let env = Env::new();
    let evil = &outside(&env, "EVIL-escape");
    // The attacker runs a command declaring the outside path, exports the
    // cache, renames the result to the key of a harmless command, imports it.
    let theirs = ["--output", evil];
    output(run_sh(&env, &theirs, &format!("echo pwned > {evil}")));
    fs::remove_file(evil).unwrap();
    let ours = ["--output", "harmless.txt"];
    let script = format!("{COUNTED}; echo harmless > harmless.txt; echo built");
    let exported = env.cmd(["export", "run"]).any_stdout().run().stdout;
    let exported = String::from_utf8(exported).unwrap();
    let (from, to) = (
        result_entry(&env, &theirs, &format!("echo pwned > {evil}")),
        result_entry(&env, &ours, &script),
    );
    assert!(exported.contains(&from), "{exported}");
    env.cmd(["import", "run"])
        .stdin(exported.replace(&from, &to))
        .any_stdout()
        .any_stderr()
        .run();
    assert_refused_and_replaced(&env, &ours, &script, 1);
    assert_eq!(
        fs::read(env.path("work/harmless.txt")).unwrap(),
        b"harmless\n"
    );
}

#[test]
fn a_forged_result_never_restores_outside_a_declared_directory() {
    let env = Env::new();
    let absolute = &outside(&env, "escaped");
    let args = ["--output", "dir"];
    let script = format!("{COUNTED}; mkdir -p dir; echo fresh > dir/f; echo built");
    let entry = result_entry(&env, &args, &script);
    let to_outside = Kind::Symlink(b"../../outside".to_vec());
    let forgeries: [&[(&str, Kind)]; 5] = [
        &[
            ("dir", Kind::Dir),
            ("dir/../../outside/escaped", Kind::File),
        ],
        &[("dir", Kind::Dir), (absolute, Kind::File)],
        &[("dir/../../outside/escaped", Kind::Dir)],
        // A link the result makes in the declared directory, then a file through it.
        &[
            ("dir", Kind::Dir),
            ("dir/link", to_outside),
            ("dir/link/escaped", Kind::File),
        ],
        // A file through a link found on disk in the declared directory.
        &[("dir", Kind::Dir), ("dir/planted/escaped", Kind::File)],
    ];
    for (n, forged) in forgeries.iter().enumerate() {
        let _ = fs::remove_dir_all(env.path("work/dir"));
        fs::create_dir(env.path("work/dir")).unwrap();
        std::os::unix::fs::symlink("../../outside", env.path("work/dir/planted")).unwrap();
        fs::write(env.path("forged"), forged_result(forged)).unwrap();
        let file = env.path("forged");
        env.cmd([OsStr::new("set"), OsStr::new("run"), OsStr::new(&entry)])
            .arg("--file")
            .arg(&file)
            .run();
        assert_refused_and_replaced(&env, &args, &script, n + 1);
    }
}

#[test]
fn a_directory_output_is_never_restored_onto_a_file() {
    let env = Env::new();
    let args = ["--output", "od"];
    let script = format!("{COUNTED}; mkdir -p od && echo x > od/f && chmod 700 od");
    output(run_sh(&env, &args, &script));
    let od = env.path("work/od");
    fs::remove_dir_all(&od).unwrap();
    fs::write(&od, "userfile").unwrap();
    fs::set_permissions(&od, fs::Permissions::from_mode(0o644)).unwrap();
    let out = output(run_sh(&env, &args, &script));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a directory"), "{stderr}");
    assert_eq!(runs(&env), 2, "run instead of replayed");
    assert_eq!(fs::read(&od).unwrap(), b"userfile");
    let mode = fs::metadata(&od).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o644, "the user's file keeps its mode");
}

#[test]
fn the_command_gets_no_stdin_unless_stdin_is_part_of_the_key() {
    let env = Env::new();
    let out = run_sh(&env, &[], &format!("{COUNTED}; cat"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"abc")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        out.stdout, b"",
        "stdin that is not in the key never reaches the command"
    );
}

#[test]
fn leftovers_of_a_killed_restore_are_removed_by_the_next() {
    let env = Env::new();
    let args = ["--output", "o.txt"];
    let script = format!("{COUNTED}; echo hello > o.txt");
    output(run_sh(&env, &args, &script));
    let mut dead = Command::new("true").spawn().unwrap();
    let pid = dead.id();
    dead.wait().unwrap();
    let leftover = env.path(format!("work/.o.txt.cacheman-{pid}.0"));
    fs::write(&leftover, "half").unwrap();
    fs::remove_file(env.path("work/o.txt")).unwrap();
    output(run_sh(&env, &args, &script));
    assert_eq!(runs(&env), 1);
    assert_eq!(fs::read(env.path("work/o.txt")).unwrap(), b"hello\n");
    assert!(
        !leftover.exists(),
        "the dead writer's temporary file is gone"
    );
}

#[test]
fn a_shorter_ttl_than_the_stored_one_bounds_freshness() {
    let env = Env::new();
    output(run_sh(&env, &["--ttl", "1h"], COUNTED));
    output(run_sh(&env, &["--ttl", "1h"], COUNTED));
    assert_eq!(runs(&env), 1);
    // Waiting out the shorter TTL: a deadline, not a guess about speed.
    std::thread::sleep(Duration::from_millis(1100));
    output(run_sh(&env, &["--ttl", "1s"], COUNTED));
    assert_eq!(runs(&env), 2, "older than the caller's --ttl");
}

/// Hits and misses of the `run` cache, from `stats --json`.
fn tally(env: &Env) -> (u64, u64) {
    let stats = common::json(
        &env.cmd(["stats", "run", "--json"])
            .any_stdout()
            .run()
            .stdout,
    );
    (
        stats["hits"].as_u64().unwrap(),
        stats["misses"].as_u64().unwrap(),
    )
}

#[test]
fn a_run_counts_one_hit_or_one_miss_and_takes_one_entry() {
    let env = Env::new();
    fs::write(env.path("work/in"), "x").unwrap();
    let args = ["--input", "in", "--explain"];
    output(run_sh(&env, &args, COUNTED));
    assert_eq!(tally(&env), (0, 1), "a cold run into a new cache");
    output(run_sh(&env, &args, COUNTED));
    assert_eq!(tally(&env), (1, 1), "a hit");
    let keys = env.cmd(["keys", "run"]).any_stdout().run().stdout;
    let keys = String::from_utf8(keys).unwrap();
    assert_eq!(keys.lines().count(), 1, "the result alone: {keys}");
    assert!(keys.starts_with("result/"), "{keys}");
}

#[test]
fn max_entries_counts_results_alone() {
    let env = Env::new();
    env.cmd(["create", "run", "--max-entries", "3"])
        .any_stdout()
        .any_stderr()
        .run();
    fs::write(env.path("work/in"), "x").unwrap();
    let steps = ["a", "b", "c"].map(|k| format!("{COUNTED}; echo {k}"));
    for _ in 0..2 {
        for step in &steps {
            output(run_sh(&env, &["--input", "in", "--explain"], step));
        }
        env.cmd(["sync", "run"]).any_stdout().any_stderr().run();
    }
    assert_eq!(runs(&env), 3, "three results fit in three entries");
}

#[test]
fn a_stored_value_that_is_not_a_result_is_a_miss_that_replaces_it() {
    let env = Env::new();
    let key = env
        .cmd(["run", "--print-key", "--", "echo", "hi"])
        .any_stdout()
        .run();
    let key = String::from_utf8(key.stdout).unwrap();
    let entry = format!("result/{}", key.trim_end());
    env.cmd(["set", "run", &entry, "garbage"]).run();
    env.cmd(["run", "--", "echo", "hi"])
        .stdout("hi\n")
        .stderr_contains("is not a run result")
        .run();
    env.cmd(["run", "--", "echo", "hi"]).stdout("hi\n").run();
}

#[test]
fn a_damaged_note_is_passed_over_and_replaced() {
    let env = Env::new();
    fs::write(env.path("work/in"), "x").unwrap();
    let args = ["--input", "in", "--explain"];
    output(run_sh(&env, &args, COUNTED));
    let notes = walk_files(&env.store().join("run-notes"));
    assert_eq!(notes.len(), 1, "{notes:?}");
    fs::write(&notes[0], "garbage").unwrap();
    for flags in [&["--print-key"][..], &[], &["--force"]] {
        let out = output(run_sh(&env, &[&args[..], flags].concat(), COUNTED));
        assert_eq!(out.status.code(), Some(0), "{flags:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("passing over the note"), "{stderr}");
    }
    let out = output(run_sh(&env, &args, COUNTED));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "replaced: {out:?}");
    assert_eq!(runs(&env), 2, "--force ran; the rest were hits");
}

#[test]
fn a_script_whose_interpreter_is_missing_cannot_execute() {
    let env = Env::new();
    let script = env.path("work/script");
    fs::write(&script, "#!/no/such/interpreter\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = env.std_command();
    cmd.args(["run", "--", "./script"]);
    let out = output(cmd);
    assert_eq!(out.status.code(), Some(126));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interpreter"), "{stderr}");
}

#[test]
fn print_key_with_stdin_writes_nothing() {
    let env = Env::new();
    let key = |input: &str| {
        env.cmd(["run", "--print-key", "--stdin", "--", "cat"])
            .stdin(input)
            .any_stdout()
            .run()
            .stdout
    };
    assert_ne!(key("a"), key("b"));
    assert!(!env.store().exists(), "no store, no spool");
}

#[test]
fn gc_removes_stale_locks_and_the_notes_of_results_that_are_gone() {
    let env = Env::new();
    fs::write(env.path("work/in"), "x").unwrap();
    let args = ["--input", "in"];
    output(run_sh(&env, &args, COUNTED));
    output(run_sh(&env, &args, &format!("{COUNTED}; echo kept")));
    output(run_sh(
        &env,
        &[&args[..], &["--cache", "other"]].concat(),
        COUNTED,
    ));
    let notes = env.store().join("run-notes");
    assert_eq!(walk_files(&notes).len(), 3);
    let locks = env.store().join("run-locks");
    fs::create_dir_all(&locks).unwrap();
    fs::write(locks.join("left-by-a-killed-holder.lock"), "F").unwrap();
    let key = env.cmd([
        "run",
        "--print-key",
        "--input",
        "in",
        "--",
        "sh",
        "-c",
        COUNTED,
    ]);
    let key = String::from_utf8(key.any_stdout().run().stdout).unwrap();
    env.cmd(["del", "run", &format!("result/{}", key.trim_end())])
        .any_stdout()
        .run();
    env.cmd(["drop", "other"]).any_stdout().any_stderr().run();
    // A note is judged only once it is older than the listing of keys.
    let past = std::time::SystemTime::now() - Duration::from_secs(60);
    for note in walk_files(&notes) {
        File::options()
            .write(true)
            .open(note)
            .unwrap()
            .set_modified(past)
            .unwrap();
    }
    env.cmd(["gc"])
        .any_stdout()
        .stdout_contains("run: removed 3 files of finished runs")
        .run();
    assert_eq!(walk_files(&notes).len(), 1, "the kept result's note stays");
    assert!(fs::read_dir(&locks).unwrap().next().is_none());
}
