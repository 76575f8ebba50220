//! `cacheman watch` with real files in a temporary directory: every kind of
//! change invalidates exactly the bound cache and its dependents, bursts are
//! debounced, bindings made while it runs count, SIGTERM syncs, and a second
//! watcher is refused. Every wait polls a condition with a deadline.

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cacheman::{CacheName, LocalStore, Store};
use common::{Env, eventually};
use serde_json::Value;

/// How long any awaited event may take on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(30);

/// A running `cacheman watch --json`, killed when dropped (also on failure).
struct Watch {
    child: Child,
    log: Arc<Mutex<Vec<Value>>>,
}

impl Watch {
    /// Starts a watcher and waits until it watches.
    fn start(env: &Env, extra: &[&str]) -> Watch {
        let mut child = env
            .std_command()
            .args(["watch", "--json"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cacheman watch");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|_| panic!("watch logged a line that is not JSON: {line}"));
                sink.lock().unwrap().push(value);
            }
        });
        let watch = Watch { child, log };
        watch.wait_for("the watcher to start", |w| w.count("watch", None) > 0);
        watch
    }

    /// Log lines of an action (about one cache).
    fn count(&self, action: &str, cache: Option<&str>) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|line| line["action"] == action)
            .filter(|line| cache.is_none_or(|c| line["cache"] == c))
            .count()
    }

    fn invalidations(&self, cache: &str) -> usize {
        self.count("invalidate", Some(cache))
    }

    fn wait_for(&self, what: &str, done: impl Fn(&Watch) -> bool) {
        eventually(PATIENCE, what, || done(self));
    }

    /// Sends SIGTERM and waits for the exit status.
    fn terminate(&mut self) -> i32 {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().expect("watch exited, not killed by a signal");
            }
            assert!(
                Instant::now() < deadline,
                "watch did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hits(env: &Env, cache: &str) -> bool {
    env.get(cache, "k").is_some()
}

fn fill(env: &Env, caches: &[&str]) {
    for cache in caches {
        env.set(cache, "k", "v");
    }
}

/// cfg is bound to a.conf and report depends on cfg; other is bound to
/// b.conf beside it, and free depends on nothing.
fn bound_env() -> Env {
    let env = Env::new();
    fs::write(env.path("work/a.conf"), "1").unwrap();
    fs::write(env.path("work/b.conf"), "1").unwrap();
    env.cmd(["bind", "cfg", "a.conf"]).run();
    env.cmd(["bind", "other", "b.conf"]).run();
    env.cmd(["depend", "cfg", "report"]).run();
    env
}

/// Makes one change and checks that it invalidated cfg and report once more,
/// and nothing else.
fn one_change(env: &Env, watch: &Watch, step: usize, change: impl FnOnce(&Path)) {
    fill(env, &["cfg", "report", "other", "free"]);
    change(&env.path("work/a.conf"));
    watch.wait_for("the invalidation of cfg", |w| {
        w.invalidations("cfg") == step
    });
    assert!(!hits(env, "cfg"), "step {step}: cfg still hits");
    assert!(
        !hits(env, "report"),
        "step {step}: report, depending on cfg, still hits"
    );
    assert!(hits(env, "other"), "step {step}: other was invalidated");
    assert!(hits(env, "free"), "step {step}: free was invalidated");
}

#[test]
fn modify_delete_create_and_rename_over_each_invalidate_the_bound_cache_and_its_dependents() {
    let env = bound_env();
    let watch = Watch::start(&env, &[]);
    one_change(&env, &watch, 1, |file| fs::write(file, "2").unwrap());
    one_change(&env, &watch, 2, |file| fs::remove_file(file).unwrap());
    one_change(&env, &watch, 3, |file| fs::write(file, "3").unwrap());
    one_change(&env, &watch, 4, |file| {
        let temp = file.with_file_name(".a.conf.swp");
        fs::write(&temp, "4").unwrap();
        fs::rename(&temp, file).unwrap();
    });
    let line = watch
        .log
        .lock()
        .unwrap()
        .iter()
        .find(|l| l["action"] == "invalidate")
        .cloned()
        .unwrap();
    assert_eq!(line["invalidated"], serde_json::json!(["cfg", "report"]));
    assert_eq!(line["paths"], serde_json::json!([env.path("work/a.conf")]));
    assert_eq!(watch.invalidations("other"), 0);
}

#[test]
fn a_file_created_in_a_bound_directory_or_matching_a_glob_invalidates() {
    let env = Env::new();
    fs::create_dir_all(env.path("work/tree/sub")).unwrap();
    env.cmd(["bind", "tree", "tree"]).run();
    env.cmd(["bind", "confs", "tree/*.conf"]).run();
    fill(&env, &["tree", "confs"]);
    let watch = Watch::start(&env, &[]);
    fs::write(env.path("work/tree/sub/new.txt"), "x").unwrap();
    watch.wait_for("tree's invalidation", |w| w.invalidations("tree") == 1);
    assert!(
        hits(&env, "confs"),
        "a .txt deep in the tree is not a *.conf"
    );
    fs::write(env.path("work/tree/x.conf"), "x").unwrap();
    watch.wait_for("confs' invalidation", |w| w.invalidations("confs") == 1);
    assert!(!hits(&env, "confs"));
}

#[test]
fn a_bound_files_directory_deleted_and_made_again_is_watched_again() {
    let env = Env::new();
    let conf = env.path("work/conf");
    fs::create_dir(&conf).unwrap();
    fs::write(conf.join("a.conf"), "1").unwrap();
    env.cmd(["bind", "cfg", "conf/a.conf"]).run();
    let watch = Watch::start(&env, &[]);
    let steps: [&dyn Fn(); 3] = [
        &|| fs::remove_dir_all(&conf).unwrap(),
        &|| {
            fs::create_dir(&conf).unwrap();
            fs::write(conf.join("a.conf"), "2").unwrap();
        },
        &|| fs::write(conf.join("a.conf"), "3").unwrap(),
    ];
    for (step, change) in steps.into_iter().enumerate() {
        fill(&env, &["cfg"]);
        change();
        watch.wait_for("cfg's invalidation", |w| w.invalidations("cfg") == step + 1);
        assert!(!hits(&env, "cfg"));
    }
}

#[test]
fn a_burst_of_1000_writes_is_one_invalidation_per_cache() {
    let env = Env::new();
    fs::create_dir(env.path("work/tree")).unwrap();
    fs::write(env.path("work/sentinel"), "").unwrap();
    env.cmd(["bind", "tree", "tree"]).run();
    env.cmd(["bind", "texts", "tree/*.txt"]).run();
    env.cmd(["bind", "sentinel", "sentinel"]).run();
    env.cmd(["depend", "tree", "summary"]).run();
    let watch = Watch::start(&env, &["--debounce", "500ms"]);
    for i in 0..1000 {
        fs::write(env.path(format!("work/tree/f{i}.txt")), i.to_string()).unwrap();
    }
    watch.wait_for("the burst's invalidations", |w| {
        w.invalidations("tree") >= 1 && w.invalidations("texts") >= 1
    });
    // Events and log lines come in order: once the sentinel, written after the
    // burst was acted on, is logged, any late invalidation from the burst is too.
    fs::write(env.path("work/sentinel"), "done").unwrap();
    watch.wait_for("the sentinel's invalidation", |w| {
        w.invalidations("sentinel") == 1
    });
    assert_eq!(watch.invalidations("tree"), 1);
    assert_eq!(watch.invalidations("texts"), 1);
    assert_eq!(
        watch.invalidations("summary"),
        0,
        "summary goes with tree's cascade"
    );
}

#[test]
fn a_binding_added_while_watching_takes_effect() {
    let env = Env::new();
    fs::write(env.path("work/late.conf"), "1").unwrap();
    let watch = Watch::start(&env, &[]);
    env.cmd(["bind", "late", "late.conf"]).run();
    fill(&env, &["late"]);
    watch.wait_for("the watcher to see the binding", |w| {
        w.log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l["action"] == "watch" && l["caches"] == 1)
    });
    fs::write(env.path("work/late.conf"), "2").unwrap();
    watch.wait_for("late's invalidation", |w| w.invalidations("late") == 1);
    assert!(!hits(&env, "late"));
    env.cmd(["unbind", "late", "late.conf"]).run();
    watch.wait_for("the watcher to see the unbinding", |w| {
        w.log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l["action"] == "watch" && l["caches"] == 0)
    });
}

#[test]
fn sigterm_syncs_pending_changes_and_exits_0() {
    let env = Env::new();
    env.cmd(["create", "c", "--autosync", "off"]).run();
    fill(&env, &["c"]);
    env.set("c", "k2", "v2");
    assert_eq!(env.ls_cache("c")["pending"], 2);
    let mut watch = Watch::start(&env, &[]);
    assert_eq!(watch.terminate(), 0);
    assert_eq!(env.ls_cache("c")["pending"], 0);
    assert_eq!(watch.count("sync", Some("c")), 1);
    assert_eq!(watch.count("stop", None), 1);
    assert!(hits(&env, "c"));
}

#[test]
fn the_autosync_timers_run_while_watching() {
    let env = Env::new();
    env.cmd(["create", "c", "--autosync", "1:1"]).run();
    let _watch = Watch::start(&env, &[]);
    fill(&env, &["c"]);
    eventually(PATIENCE, "an autosync of c", || {
        env.ls_cache("c")["pending"] == 0
    });
}

#[test]
fn a_second_watcher_on_the_same_store_is_refused() {
    let env = Env::new();
    let _first = Watch::start(&env, &[]);
    env.cmd(["watch"])
        .usage_error("another `cacheman watch` is already watching")
        .run();
}

#[test]
fn changes_made_before_the_watcher_started_are_caught_up() {
    let env = bound_env();
    fill(&env, &["cfg"]);
    fs::write(env.path("work/a.conf"), "changed while no watcher ran").unwrap();
    let watch = Watch::start(&env, &[]);
    assert_eq!(watch.invalidations("cfg"), 1);
    assert!(!hits(&env, "cfg"));
}

#[test]
fn bad_debounce_is_bad_input() {
    Env::new()
        .cmd(["watch", "--debounce", "soon"])
        .usage_error("--debounce")
        .run();
}

/// Write-to-miss latency: the median over many trials of the time from a
/// bound file's write to a read of its cache missing.
/// `cargo test --release --test watch -- --ignored --nocapture`
#[test]
#[ignore]
fn write_to_miss_latency() {
    const TRIALS: usize = 100;
    for debounce in ["100ms", "10ms"] {
        let env = bound_env();
        let _watch = Watch::start(&env, &["--debounce", debounce]);
        let store = LocalStore::new(env.store());
        let cfg = CacheName::new("cfg").unwrap();
        let mut latencies = Vec::with_capacity(TRIALS);
        for trial in 0..TRIALS {
            store
                .set(
                    &cfg,
                    b"k",
                    cacheman::NewValue::Bytes(b"v"),
                    &Default::default(),
                )
                .unwrap();
            let start = Instant::now();
            fs::write(env.path("work/a.conf"), trial.to_string()).unwrap();
            while store.get(&cfg, b"k").unwrap().is_some() {
                assert!(start.elapsed() < PATIENCE, "no miss after a write");
                std::thread::sleep(Duration::from_micros(200));
            }
            latencies.push(start.elapsed());
        }
        latencies.sort();
        println!(
            "--debounce {debounce}: write -> miss median {:.1} ms (min {:.1}, p90 {:.1}) over {TRIALS} trials",
            latencies[TRIALS / 2].as_secs_f64() * 1e3,
            latencies[0].as_secs_f64() * 1e3,
            latencies[TRIALS * 9 / 10].as_secs_f64() * 1e3,
        );
    }
}
