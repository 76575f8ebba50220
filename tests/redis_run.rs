//! `cacheman run` on a Redis store, with the real binary and a real server:
//! results shared between two "machines" (two homes, two checkouts at
//! different paths), chunked through the engine, the dogpile lock and its
//! lease after a `kill -9`, the stale refresher reopening the store, a cascade
//! seen everywhere, bindings kept per host, a read-only store, and a server
//! that is down or dies mid-run (a plain run, or exit 3 with `--strict`).
#![cfg(feature = "redis")]

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cacheman::{RedisStore, RedisTarget, Store};
use rustix::process::{Pid, Signal, kill_process};

use crate::common::redis::{RedisServer, namespace, shared_server};
use crate::common::{Env, Noise, StoreVia, eventually};

/// The compile step of the two-machine tests: reads `src/a.c`, writes
/// `out/a.o` (twice its size), prints it and a warning, and counts its runs in
/// `$COUNTER` (a file of the machine's own, outside the key).
const COMPILE: &str = "mkdir -p out && cat src/a.c src/a.c > out/a.o && cat src/a.c \
                       && echo 'a.c: warning' >&2 && echo run >> \"$COUNTER\"";

/// A script that counts its runs in `$COUNTER` and prints how many so far.
const COUNTED: &str = "echo run >> \"$COUNTER\"; wc -l < \"$COUNTER\" | tr -d ' '";

/// One machine: a home and a checkout of its own, its bindings under `host`,
/// its store `url` (named by `CACHEMAN_STORE`).
fn machine(url: &str, host: &str) -> Env {
    let env = Env::new().store_via(StoreVia::Nothing).cwd("checkout");
    let counter = env.path("count");
    env.var("CACHEMAN_STORE", url)
        .var("CACHEMAN_HOST", host)
        .var("COUNTER", counter)
}

/// A namespace of its own on the shared server, as a store URL.
fn shared_url(seed: &Path, options: &str) -> String {
    format!("{}?ns={}{options}", shared_server().url(), namespace(seed))
}

/// How many times the counted command ran on `env`.
fn runs(env: &Env) -> usize {
    fs::read_to_string(env.path("count"))
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

/// `cacheman ARGS...` in `env`'s checkout, no stdin.
fn cacheman(env: &Env, args: &[&str]) -> Command {
    let mut cmd = env.std_command();
    cmd.args(args).stdin(Stdio::null());
    cmd
}

/// `cacheman run ARGS... -- sh -c SCRIPT`.
fn run_sh(env: &Env, args: &[&str], script: &str) -> Command {
    let mut cmd = cacheman(env, &["run"]);
    cmd.args(args).args(["--", "sh", "-c", script]);
    cmd
}

fn output(mut cmd: Command) -> Output {
    cmd.output().expect("spawn cacheman")
}

fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cacheman")
}

/// Writes the same source at `src/a.c` of a machine's checkout.
fn checkout(env: &Env, source: &[u8]) {
    fs::create_dir_all(env.path("checkout/src")).unwrap();
    fs::write(env.path("checkout/src/a.c"), source).unwrap();
}

/// The keys of namespace `url`'s store on the shared server matching `what`.
fn server_keys(url: &str, what: &str) -> Vec<String> {
    let ns = url.split("ns=").nth(1).unwrap().split('&').next().unwrap();
    let pattern = format!("cm2:{ns}:{what}");
    shared_server()
        .cli(&["--scan", "--pattern", &pattern])
        .lines()
        .map(String::from)
        .collect()
}

const COMPILE_ARGS: [&str; 5] = ["--no-cwd", "--input", "src/a.c", "--output", "out/a.o"];

#[test]
fn a_result_computed_on_one_machine_replays_on_another_byte_exact() {
    let url = shared_url(Env::new().root(), "");
    let (a, b) = (machine(&url, "a"), machine(&url, "b"));
    // Larger than one inline value: the transcript goes through the engine's chunks.
    let source = Noise::new(7).bytes(600_000);
    checkout(&a, &source);
    checkout(&b, &source);
    let on_a = output(run_sh(&a, &COMPILE_ARGS, COMPILE));
    assert_eq!(on_a.status.code(), Some(0), "{on_a:?}");
    assert_eq!(on_a.stdout, source);
    assert_eq!(on_a.stderr, b"a.c: warning\n");
    assert!(
        !server_keys(&url, "c:*").is_empty(),
        "a large result is stored as chunks"
    );
    let on_b = output(run_sh(&b, &COMPILE_ARGS, COMPILE));
    assert_eq!(on_b.status.code(), Some(0), "{on_b:?}");
    assert_eq!(on_b.stdout, source, "stdout replayed byte-exact");
    assert_eq!(on_b.stderr, b"a.c: warning\n");
    assert_eq!(
        fs::read(b.path("checkout/out/a.o")).unwrap(),
        [&source[..], &source[..]].concat(),
        "the output file restored on B"
    );
    assert_eq!((runs(&a), runs(&b)), (1, 0), "the command never ran on B");
    for env in [&a, &b] {
        let sidecars = env.path("home/.cache/cacheman/sidecar");
        assert!(
            sidecars.is_dir(),
            "each machine's sidecar is in its own home"
        );
    }
}

#[test]
fn another_source_on_the_second_machine_misses() {
    let url = shared_url(Env::new().root(), "");
    let (a, b) = (machine(&url, "a"), machine(&url, "b"));
    checkout(&a, b"int a;\n");
    checkout(&b, b"int b;\n");
    output(run_sh(&a, &COMPILE_ARGS, COMPILE));
    let on_b = output(run_sh(&b, &COMPILE_ARGS, COMPILE));
    assert_eq!(on_b.stdout, b"int b;\n");
    assert_eq!((runs(&a), runs(&b)), (1, 1));
}

#[test]
fn a_cascade_started_on_one_machine_is_seen_on_the_other() {
    let url = shared_url(Env::new().root(), "");
    let (a, b) = (machine(&url, "a"), machine(&url, "b"));
    assert!(
        output(cacheman(&a, &["depend", "root", "run"]))
            .status
            .success()
    );
    let args = ["--no-cwd", "--cache", "run"];
    output(run_sh(&a, &args, COUNTED));
    assert_eq!(output(run_sh(&b, &args, COUNTED)).stdout, b"1\n", "a hit");
    let invalidated = output(cacheman(&a, &["invalidate", "root"]));
    assert!(invalidated.status.success(), "{invalidated:?}");
    assert_eq!(
        output(run_sh(&b, &args, COUNTED)).stdout,
        b"1\n",
        "B runs the command again: its own first run"
    );
    assert_eq!((runs(&a), runs(&b)), (1, 1));
}

#[test]
fn eight_identical_misses_run_the_command_once() {
    let env = machine(&shared_url(Env::new().root(), ""), "a");
    let script = format!("sleep 1; {COUNTED}");
    let children: Vec<Child> = (0..8)
        .map(|_| spawn(run_sh(&env, &["--no-cwd"], &script)))
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        assert_eq!(out.stdout, b"1\n");
    }
    assert_eq!(runs(&env), 1);
}

#[test]
fn ttl_and_cache_failures_on_redis() {
    let env = machine(&shared_url(Env::new().root(), ""), "a");
    let ttl = ["--ttl", "1s"];
    assert_eq!(output(run_sh(&env, &ttl, COUNTED)).stdout, b"1\n");
    assert_eq!(output(run_sh(&env, &ttl, COUNTED)).stdout, b"1\n", "a hit");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        output(run_sh(&env, &ttl, COUNTED)).stdout,
        b"2\n",
        "expired"
    );
    let failing = format!("{COUNTED}; exit 3");
    for _ in 0..2 {
        assert_eq!(output(run_sh(&env, &[], &failing)).status.code(), Some(3));
    }
    assert_eq!(runs(&env), 4, "a failure is not stored by default");
    for _ in 0..2 {
        let out = output(run_sh(&env, &["--cache-failures"], &failing));
        assert_eq!((out.status.code(), out.stdout), (Some(3), b"5\n".to_vec()));
    }
    assert_eq!(runs(&env), 5, "stored with --cache-failures, then replayed");
}

#[test]
fn a_stale_result_is_served_and_refreshed_once_by_a_process_that_reopens_the_store() {
    let url = shared_url(Env::new().root(), "");
    // Named by --store (not the environment): the refresher gets it from
    // the store's reopen arguments.
    let env = Env::new().store_via(StoreVia::Nothing).cwd("checkout");
    let counter = env.path("count");
    let env = env.var("COUNTER", counter);
    let args = ["--store", &url, "run", "--ttl", "1s", "--stale", "1h"];
    // Once `hold` exists, a run of the command waits for `go`: the refresh
    // is held while the stale result is served.
    let script = "echo run >> \"$COUNTER\"; if [ -e hold ]; then \
                  while [ ! -e go ]; do sleep 0.01; done; fi; wc -l < \"$COUNTER\" | tr -d ' '";
    let call = |env: &Env| {
        let mut cmd = cacheman(env, &args);
        cmd.args(["--", "sh", "-c", script]);
        cmd
    };
    assert_eq!(output(call(&env)).stdout, b"1\n");
    fs::write(env.path("checkout/hold"), "").unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let served: Vec<Child> = (0..5).map(|_| spawn(call(&env))).collect();
    for child in served {
        assert_eq!(child.wait_with_output().unwrap().stdout, b"1\n", "stale");
    }
    eventually(Duration::from_secs(60), "the refresh to start", || {
        runs(&env) == 2
    });
    fs::write(env.path("checkout/go"), "").unwrap();
    eventually(Duration::from_secs(60), "the refreshed result", || {
        output(call(&env)).stdout == b"2\n"
    });
    env.wait_for_background();
    assert_eq!(runs(&env), 2, "exactly one refresher ran");
}

#[test]
fn explain_says_what_changed_from_notes_in_the_sidecar() {
    let env = machine(&shared_url(Env::new().root(), ""), "a");
    checkout(&env, b"one\n");
    let args = ["--explain", "--input", "src/a.c"];
    output(run_sh(&env, &args, "cat src/a.c"));
    checkout(&env, b"two\n");
    let out = output(run_sh(&env, &args, "cat src/a.c"));
    assert_eq!(out.stdout, b"two\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("explain:") && stderr.contains("src/a.c"),
        "{stderr}"
    );
}

#[test]
fn a_killed_lease_holder_delays_the_others_by_at_most_the_lease() {
    let env = machine(&shared_url(Env::new().root(), "&lease=1s"), "a");
    // The first run holds the lock until killed; the next finds `started`.
    let script = "if [ -e started ]; then echo second; else echo $$ > started; exec sleep 60; fi";
    let mut holder = spawn(run_sh(&env, &["--no-cwd"], script));
    let started = env.path("checkout/started");
    eventually(Duration::from_secs(30), "the holder to start", || {
        fs::read_to_string(&started).is_ok_and(|pid| pid.ends_with('\n'))
    });
    holder.kill().unwrap();
    holder.wait().unwrap();
    let shell: i32 = fs::read_to_string(&started)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _ = kill_process(Pid::from_raw(shell).unwrap(), Signal::KILL);
    let began = Instant::now();
    let out = output(run_sh(&env, &["--no-cwd"], script));
    assert_eq!(out.stdout, b"second\n", "{out:?}");
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "waited {:?} for a lease of 1s",
        began.elapsed()
    );
}

#[test]
fn a_server_that_is_down_means_a_plain_run_or_exit_3_with_strict() {
    let env = machine("redis+unix:///nonexistent/cacheman-test.sock", "a");
    let out = output(run_sh(&env, &[], "echo plain; echo oops >&2; exit 4"));
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(out.stdout, b"plain\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("cacheman: warning:").count(), 1, "{stderr}");
    assert!(stderr.contains("cannot reach the server"), "{stderr}");
    assert!(stderr.ends_with("oops\n"), "{stderr}");
    let off = output(run_sh(&env, &["--no-cache"], "echo off"));
    assert_eq!(
        (off.stdout, off.stderr),
        (b"off\n".to_vec(), Vec::new()),
        "no cache asked: no warning"
    );
    let strict = output(run_sh(&env, &["--strict"], COUNTED));
    assert_eq!(strict.status.code(), Some(3));
    assert!(strict.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert!(stderr.starts_with("cacheman: error: "), "{stderr}");
    assert_eq!(runs(&env), 0, "--strict did not run the command");
}

#[test]
fn a_server_that_dies_mid_run_leaves_the_command_s_output_and_status() {
    let mut server = RedisServer::start();
    let seed = Env::new();
    let url = format!("{}?ns={}&timeout=1s", server.url(), namespace(seed.root()));
    let env = machine(&url, "a");
    let gone = env.path("checkout/gone");
    let script =
        "echo started > began; while [ ! -e gone ]; do sleep 0.01; done; echo done; exit 5";
    let child = spawn(run_sh(&env, &[], script));
    eventually(Duration::from_secs(30), "the command to start", || {
        env.path("checkout/began").exists()
    });
    server.kill();
    fs::write(&gone, "").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(out.stdout, b"done\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("error"), "{stderr}");
    let again = output(run_sh(&env, &[], "echo plain"));
    assert_eq!(again.stdout, b"plain\n");
    assert_eq!(again.status.code(), Some(0));
}

#[test]
fn a_read_only_store_replays_hits_and_runs_misses_without_storing() {
    let url = shared_url(Env::new().root(), "");
    let writer = machine(&url, "a");
    let reader = machine(&format!("{url}&readonly=1"), "b");
    assert_eq!(
        output(run_sh(&writer, &["--no-cwd"], COUNTED)).stdout,
        b"1\n"
    );
    let hit = output(run_sh(&reader, &["--no-cwd"], COUNTED));
    assert_eq!((hit.stdout, hit.stderr), (b"1\n".to_vec(), Vec::new()));
    let before = server_keys(&url, "*");
    let miss = output(run_sh(&reader, &["--no-cwd", "--key", "other"], COUNTED));
    assert_eq!(miss.status.code(), Some(0));
    assert_eq!(miss.stdout, b"1\n", "the reader's own first run");
    let stderr = String::from_utf8_lossy(&miss.stderr);
    assert_eq!(stderr.matches("read-only").count(), 1, "{stderr}");
    let mut after = server_keys(&url, "*");
    let mut before = before;
    before.sort();
    after.sort();
    assert_eq!(before, after, "nothing was stored");
    output(run_sh(&reader, &["--no-cwd", "--key", "other"], COUNTED));
    assert_eq!(runs(&reader), 2, "a miss again: nothing was stored");
}

#[test]
fn bindings_are_recorded_per_host_before_they_are_compared() {
    let url = shared_url(Env::new().root(), "");
    let (a, b) = (machine(&url, "host-a"), machine(&url, "host-b"));
    checkout(&a, b"int a;\n");
    let args = ["--cache", "build", "--no-cwd", "--check-bindings"];
    assert!(
        output(cacheman(&a, &["bind", "build", "src"]))
            .status
            .success()
    );
    assert_eq!(output(run_sh(&a, &args, COUNTED)).stdout, b"1\n");
    // A fresh checkout on a new runner: same files, other paths and times.
    std::thread::sleep(Duration::from_millis(20));
    checkout(&b, b"int a;\n");
    let bound = output(cacheman(&b, &["bind", "build", "src"]));
    assert!(bound.status.success(), "{bound:?}");
    let check = |env: &Env| output(cacheman(env, &["check", "--status", "--quiet", "build"]));
    assert_eq!(
        check(&b).status.code(),
        Some(0),
        "B's first check finds no change"
    );
    assert_eq!(
        output(run_sh(&b, &args, COUNTED)).stdout,
        b"1\n",
        "B recorded its own files first: A's result replays"
    );
    assert_eq!(runs(&b), 0);
    std::thread::sleep(Duration::from_millis(20));
    checkout(&b, b"int b;\n");
    assert_eq!(check(&b).status.code(), Some(1), "B finds its change");
    assert_eq!(
        output(run_sh(&a, &args, COUNTED)).stdout,
        b"2\n",
        "a change found on B invalidated the cache for A too"
    );
    let unbound = output(cacheman(&b, &["unbind", "build", "--all"]));
    assert!(unbound.status.success(), "{unbound:?}");
    std::thread::sleep(Duration::from_millis(20));
    checkout(&a, b"int c;\n");
    assert_eq!(
        check(&a).status.code(),
        Some(1),
        "A's binding is its own: B's unbind left it"
    );
}

#[test]
fn a_redis_store_keeps_its_sidecar_where_it_is_told_and_makes_it_once() {
    let seed = Env::new();
    let target = RedisTarget {
        sidecar_base: Some(seed.path("sidecars")),
        ..shared_server().target(&namespace(seed.root()))
    };
    let store: Arc<dyn Store> = Arc::new(RedisStore::open(&target).unwrap());
    let scratch = store.scratch().unwrap();
    assert!(scratch.dir().starts_with(seed.path("sidecars")));
    assert!(scratch.dir().is_dir());
    assert_eq!(store.scratch().unwrap().dir(), scratch.dir());
}

/// A server that refuses writes (out of memory) still answers: `run` runs
/// the command, passes its status through and says why nothing was kept,
/// even with `--strict` (which is for a store that cannot be reached).
#[test]
fn a_full_server_runs_the_command_and_says_why_the_result_was_not_kept() {
    let server = RedisServer::start();
    let env = machine(
        &format!("{}?ns={}", server.url(), namespace(Path::new("full"))),
        "m",
    );
    server.cli(&["CONFIG", "SET", "maxmemory", "1"]);
    for strict in [&[][..], &["--strict"]] {
        let out = output(run_sh(&env, strict, "echo ran; exit 7"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(7), "{strict:?}: {stderr}");
        assert_eq!(out.stdout, b"ran\n");
        assert!(
            stderr.starts_with("cacheman: warning: the result cannot be kept: ")
                && stderr.contains("out of memory")
                && stderr.contains("running the command without storing it"),
            "{strict:?}: {stderr}"
        );
    }
}

/// A store refused at open (an eviction policy that could drop its
/// bookkeeping) cannot be used at all: `--strict` fails as for a server down.
#[test]
fn strict_fails_on_a_store_refused_at_open() {
    let server = RedisServer::start_with(&["--maxmemory-policy", "allkeys-lru"]);
    let env = machine(&format!("{}?ns=policy", server.url()), "m");
    let out = output(run_sh(&env, &["--strict"], "echo ran"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("allkeys-lru"), "{stderr}");
    let plain = output(run_sh(&env, &[], "echo ran"));
    assert_eq!(plain.stdout, b"ran\n");
}
