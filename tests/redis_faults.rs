//! A store server killed (SIGKILL) in the middle of an invalidation: a
//! cluster node while a cascade over caches spread across the nodes runs,
//! and a single server while its cascade script runs; each started again
//! with its append-only file. Each test prints what the user sees and
//! asserts it: a one-line error with exit 3, never a dependent served while
//! its root is invalid, and a cascade that ends whole.

#![cfg(feature = "redis")]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::redis::{PERSISTENT, RedisCluster, RedisServer};
use crate::common::{Env, StoreVia, assert_error_form, eventually};
use crate::store_url::answer;

/// The namespace of both tests (each has a server of its own).
const NS: &str = "faults";

/// A world whose store is `url`.
fn env_on(url: String) -> Env {
    Env::new()
        .store_via(StoreVia::Nothing)
        .var("CACHEMAN_STORE", url)
}

/// Starts `cacheman ARGS` in `env` without waiting.
fn spawn(env: &Env, args: &[&str]) -> Child {
    env.std_command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `child`, failing the test if it hangs past `limit`.
fn finish(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("cacheman still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// The epoch `cacheman epoch` prints (finishing any abandoned cascade).
fn epoch(env: &Env) -> u64 {
    let (status, printed) = answer(env, &["epoch"]);
    assert_eq!(status, Some(0), "{printed}");
    printed.trim().parse().unwrap()
}

/// What `get CACHE k` answers, as the user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Served (exit 0).
    Valid,
    /// A miss (exit 1): invalidated.
    Invalid,
    /// A store error (exit 3): its node is down.
    Unreachable,
}

/// `get CACHE k` for each cache, printed; an error must be one line naming `url`.
fn look(env: &Env, caches: &[String], url: &str, when: &str) -> Vec<Seen> {
    println!("{when}:");
    caches
        .iter()
        .map(|cache| {
            let (status, printed) = answer(env, &["get", cache, "k"]);
            println!("  get {cache} k -> exit {status:?}: {}", printed.trim());
            match status {
                Some(0) => Seen::Valid,
                Some(1) => Seen::Invalid,
                Some(3) => {
                    assert_error_form(&printed);
                    assert!(printed.contains(url), "{printed}");
                    Seen::Unreachable
                }
                _ => panic!("get {cache}: {printed}"),
            }
        })
        .collect()
}

/// Along the chain `seen` (root first), no cache is served once one above
/// it is invalid.
fn assert_no_valid_below_invalid(seen: &[Seen], caches: &[String]) {
    let first_invalid = seen.iter().position(|s| *s == Seen::Invalid);
    if let Some(at) = first_invalid {
        for (cache, s) in caches.iter().zip(seen).skip(at) {
            assert_ne!(*s, Seen::Valid, "{cache} served below an invalid cache");
        }
    }
}

/// Which node each cache of the chain goes on: `V` the victim, `L` another.
const LAYOUT: &str = "LVLVLVLLLL";

/// A chain `root` → dependents laid out on the nodes as [`LAYOUT`] says,
/// with the victim holding neither the root nor the store-wide slot.
fn chain(cluster: &RedisCluster) -> (u16, Vec<String>) {
    let node_of = |cache: &str| cluster.port_of(&format!("cm2:{{{NS}/{cache}}}:meta"));
    let (root, store) = (node_of("root"), cluster.port_of(&format!("cm2:{{{NS}}}:x")));
    let victim = *cluster
        .ports()
        .iter()
        .find(|p| **p != root && **p != store)
        .unwrap();
    let mut chain = vec!["root".to_string()];
    let mut candidates = (0..).map(|i| format!("c{i:02}"));
    for side in LAYOUT.chars() {
        let cache = candidates
            .by_ref()
            .find(|c| (node_of(c) == victim) == (side == 'V'))
            .unwrap();
        chain.push(cache);
    }
    (victim, chain)
}

#[test]
fn a_cluster_node_killed_mid_cascade_fails_cleanly_and_the_cascade_is_finished_later() {
    // A cluster of its own that keeps its data across a restart, and that
    // does not declare a node failed while this test runs.
    let mut cluster =
        RedisCluster::start_with(&[PERSISTENT, &["--cluster-node-timeout", "60000"]].concat());
    let (victim, chain) = chain(&cluster);
    let ports = cluster.ports();
    let seeds: Vec<String> = ports
        .iter()
        .map(|p| format!("node=127.0.0.1:{p}"))
        .collect();
    let shown = format!("redis://127.0.0.1:{}?ns={NS}&cluster=1", ports[0]);
    let url = format!(
        "{shown}&{}&connect_timeout=1s&timeout=3s",
        seeds[1..].join("&")
    );
    let env = env_on(url);
    for pair in chain.windows(2) {
        env.cmd(["depend", &pair[0], &pair[1]]).any_stdout().run();
    }
    for cache in &chain {
        env.set(cache, "k", "v");
    }
    let before = epoch(&env);
    // Scripts wait on the victim, so the cascade stops there, its deeper
    // floors set; then the node is killed under it.
    cluster.cli(victim, &["CLIENT", "PAUSE", "30000", "WRITE"]);
    let invalidate = spawn(&env, &["invalidate", "root"]);
    let deepest_before_victim = &chain[LAYOUT.rfind('V').unwrap() + 2];
    eventually(
        Duration::from_secs(10),
        "the floors below the victim",
        || answer(&env, &["get", deepest_before_victim, "k"]).0 == Some(1),
    );
    cluster.kill_node(victim);
    let killed = Instant::now();
    let out = finish(invalidate, Duration::from_secs(15));
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!(
        "invalidate root, its node killed under it -> exit {:?} after {:?}: {stderr}",
        out.status.code(),
        killed.elapsed()
    );
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_error_form(&stderr);
    assert!(stderr.contains(&shown), "{stderr}");

    let down = look(&env, &chain, &shown, "while the node is down");
    for (side, seen) in format!("L{LAYOUT}").chars().zip(&down) {
        assert_eq!(side == 'V', *seen == Seen::Unreachable, "{down:?}");
    }
    assert_eq!(down[0], Seen::Valid, "the root's floor is set last");
    assert_eq!(down.last(), Some(&Seen::Invalid), "the deepest went first");
    assert_no_valid_below_invalid(&down, &chain);
    let elsewhere = chain
        .iter()
        .zip(&down)
        .find(|(_, s)| **s != Seen::Unreachable);
    env.set(elsewhere.unwrap().0, "other", "works");

    cluster.restart_node(victim);
    let back = look(
        &env,
        &chain,
        &shown,
        "the node back, the cascade's lease not yet out",
    );
    for (side, seen) in format!("L{LAYOUT}").chars().zip(&back) {
        if side == 'V' {
            assert_eq!(*seen, Seen::Valid, "its data kept, no floor: {back:?}");
        }
    }
    assert_no_valid_below_invalid(&back, &chain);
    // The next client finishes it once its lease (10 s) runs out.
    eventually(
        Duration::from_secs(15),
        "the cascade to be finished",
        || epoch(&env) == before + 1,
    );
    let after = look(
        &env,
        &chain,
        &shown,
        "after `cacheman epoch` finished the cascade",
    );
    assert!(after.iter().all(|s| *s == Seen::Invalid), "{after:?}");
    let log = cluster.cli(ports[0], &["-c", "HLEN", &format!("cm2:{{{NS}}}:cascades")]);
    assert_eq!(log.trim(), "0", "the log is empty");
}

/// How many caches of namespace [`NS`] have their hard floor at `epoch`.
fn floors_at(server: &RedisServer, epoch: u64) -> usize {
    const COUNT: &str = "local n = 0 \
        for _, k in ipairs(redis.call('KEYS', ARGV[1])) do \
          if redis.call('HGET', k, 'hard') == ARGV[2] then n = n + 1 end \
        end return n";
    let pattern = format!("cm2:{{{NS}/*}}:meta");
    let out = server.cli(&["EVAL", COUNT, "0", &pattern, &epoch.to_string()]);
    out.trim().parse().unwrap()
}

/// Kills `server` as soon as it answers BUSY: a script has run longer than
/// the server's `busy-reply-threshold`.
fn kill_when_busy(server: &mut RedisServer) {
    let mut socket = UnixStream::connect(server.socket()).unwrap();
    let mut reader = BufReader::new(socket.try_clone().unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        socket.write_all(b"PING\r\n").unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.starts_with("-BUSY") {
            server.kill();
            return;
        }
        assert!(Instant::now() < deadline, "no script ran long enough");
    }
}

#[test]
fn a_server_killed_during_a_cascade_script_applies_all_of_it_or_none() {
    // Answering BUSY after 1 ms of script shows when the cascade runs.
    let extra = [PERSISTENT, &["--busy-reply-threshold", "1"]].concat();
    let mut server = RedisServer::start_with(&extra);
    let env = env_on(format!("{}?ns={NS}&timeout=3s", server.url()));
    // Enough dependents for a script of some milliseconds; written without
    // waiting for the disk, which only the kill below needs.
    server.cli(&["CONFIG", "SET", "appendfsync", "no"]);
    let dependents: Vec<String> = (0..10_000).map(|i| format!("d{i}")).collect();
    let mut depend = vec!["depend", "root"];
    depend.extend(dependents.iter().map(String::as_str));
    assert_eq!(answer(&env, &depend).0, Some(0), "depend root d0...");
    for cache in ["root", "d0", "d9999"] {
        env.set(cache, "k", "v");
    }
    server.cli(&["CONFIG", "SET", "appendfsync", "always"]);
    let caches = ["root".to_string(), "d0".into(), "d9999".into()];
    let before = epoch(&env);

    let invalidate = spawn(&env, &["invalidate", "root"]);
    kill_when_busy(&mut server);
    let out = finish(invalidate, Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!(
        "invalidate root, the server killed during its script -> exit {:?}: {stderr}",
        out.status.code()
    );
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_error_form(&stderr);
    server.restart();
    let seen = look(&env, &caches, &server.url(), "restarted with its AOF");
    assert_eq!((epoch(&env), floors_at(&server, before + 1)), (before, 0));
    assert!(
        seen.iter().all(|s| *s == Seen::Valid),
        "none of it: {seen:?}"
    );

    let (status, printed) = answer(&env, &["invalidate", "root"]);
    assert_eq!(status, Some(0), "{printed}");
    server.restart();
    let seen = look(
        &env,
        &caches,
        &server.url(),
        "invalidated, then killed and restarted",
    );
    assert_eq!(epoch(&env), before + 1);
    assert_eq!(
        floors_at(&server, before + 1),
        dependents.len() + 1,
        "all of it"
    );
    assert!(seen.iter().all(|s| *s == Seen::Invalid), "{seen:?}");
}
