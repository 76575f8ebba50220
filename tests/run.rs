//! `cacheman run` with the real binary: exact replay (streams, interleaving,
//! status, output files), what makes a miss and how `--explain` names it, the
//! dogpile lock (also after a `kill -9`), the stale refresher, the off switches
//! and the exit statuses.

mod common;

use std::fs::{self, File};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use common::{Env, Noise, eventually};

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

#[test]
fn a_hit_replays_the_interleaving_of_stdout_and_stderr() {
    let env = Env::new();
    let script =
        format!("{COUNTED}; for i in 1 2 3 4 5 6 7 8 9 10; do echo out$i; echo err$i >&2; done");
    let (cold, status) = merged(&env, run_sh(&env, &[], &script), "cold");
    assert_eq!(status, Some(0));
    let (hit, status) = merged(&env, run_sh(&env, &[], &script), "hit");
    assert_eq!(status, Some(0));
    assert_eq!(runs(&env), 1);
    assert_eq!(
        String::from_utf8_lossy(&hit),
        String::from_utf8_lossy(&cold),
        "the replay shows the streams in the order the live run showed them"
    );
    assert_eq!(hit.iter().filter(|&&b| b == b'\n').count(), 20);
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
        .map(|_| {
            run_sh(env, args, script)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect()
}

#[test]
fn eight_identical_cold_runs_run_the_command_once() {
    let env = Env::new();
    let script =
        format!("{COUNTED}; while [ ! -e go ]; do sleep 0.01; done; echo done; echo note >&2");
    let children = start_many(&env, 8, &[], &script);
    eventually(Duration::from_secs(60), "the first run to start", || {
        runs(&env) == 1
    });
    // No result exists until `go` does, so every other run is still waiting.
    File::create(env.path("work/go")).unwrap();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(out.stdout, b"done\n");
        assert_eq!(out.stderr, b"note\n");
    }
    assert_eq!(runs(&env), 1);
}

#[test]
fn when_the_winner_fails_uncached_the_waiters_run_themselves() {
    let env = Env::new();
    let script = format!("{COUNTED}; while [ ! -e go ]; do sleep 0.01; done; exit 1");
    let children = start_many(&env, 3, &[], &script);
    eventually(Duration::from_secs(60), "the first run to start", || {
        runs(&env) == 1
    });
    File::create(env.path("work/go")).unwrap();
    for child in children {
        assert_eq!(child.wait_with_output().unwrap().status.code(), Some(1));
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
    let script = format!("{COUNTED}; wc -l < count | tr -d ' '");
    assert_eq!(output(run_sh(&env, &args, &script)).stdout, b"1\n");
    env.cmd(["invalidate", "run", "--soft"]).any_stderr().run();
    for child in start_many(&env, 8, &args, &script) {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(out.stdout == b"1\n" || out.stdout == b"2\n", "{out:?}");
    }
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
    use std::io::{BufRead, BufReader};
    let env = Env::new();
    let script = "echo ready; echo also >&2; while [ ! -e go ]; do sleep 0.01; done; echo finished";
    let mut child = run_sh(&env, &[], script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
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
