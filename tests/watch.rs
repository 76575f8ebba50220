//! `cacheman watch` with real files in a temporary directory: every kind of
//! change invalidates exactly the bound cache and its dependents, bursts are
//! debounced, bindings made while it runs count, signals sync, a second
//! watcher is refused, and the log is what it says. Every wait polls a
//! condition with a deadline; "nothing else happened" is shown by a later
//! change to a sentinel cache, whose invalidation is logged after anything the
//! earlier change caused.

use crate::common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cacheman::{CacheName, LocalStore, Store};
use common::{Env, eventually};
use serde_json::{Value, json};

/// How long any awaited event may take on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(30);

/// A running `cacheman watch`, killed when dropped (also on failure).
struct Watch {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    /// Set once every line of stderr was read.
    closed: Arc<AtomicBool>,
}

impl Watch {
    /// Starts `cacheman watch --json` and waits until it watches.
    fn start(env: &Env, extra: &[&str]) -> Watch {
        let watch = Watch::spawn(env, &[&["--json"], extra].concat());
        watch.wait_for("the watcher to start", |w| w.count("watch", None) > 0);
        watch
    }

    /// Starts `cacheman watch ARGS...` without waiting.
    fn spawn(env: &Env, args: &[&str]) -> Watch {
        let mut child = env
            .std_command()
            .arg("watch")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cacheman watch");
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let closed = Arc::new(AtomicBool::new(false));
        let (sink, end) = (lines.clone(), closed.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
            end.store(true, Ordering::SeqCst);
        });
        Watch {
            child,
            lines,
            closed,
        }
    }

    fn text(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// The log, every line of which must be a JSON object.
    fn log(&self) -> Vec<Value> {
        self.text()
            .iter()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|_| panic!("watch logged a line that is not JSON: {line}"))
            })
            .collect()
    }

    /// Log lines of an action (about one cache).
    fn count(&self, action: &str, cache: Option<&str>) -> usize {
        self.lines_of(action, cache).len()
    }

    fn lines_of(&self, action: &str, cache: Option<&str>) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|line| line["action"] == action)
            .filter(|line| cache.is_none_or(|c| line["cache"] == c))
            .collect()
    }

    /// The error logged, once the watcher has exited.
    fn error(&mut self) -> Value {
        self.exit_code();
        self.lines_of("error", None).remove(0)
    }

    fn invalidations(&self, cache: &str) -> usize {
        self.count("invalidate", Some(cache))
    }

    fn wait_for(&self, what: &str, done: impl Fn(&Watch) -> bool) {
        eventually(PATIENCE, what, || done(self));
    }

    /// Waits for the watcher to report this many bound caches.
    fn wait_watching(&self, caches: usize) {
        self.wait_for("the watcher to see the bindings", |w| {
            w.lines_of("watch", None)
                .last()
                .is_some_and(|l| l["caches"] == caches)
        });
    }

    /// Writes `file` (bound to the cache `sentinel`) and waits for that
    /// cache's next invalidation: whatever earlier changes caused is logged
    /// and done by then.
    fn settle(&self, env: &Env, sentinel: &str, file: &str) {
        let before = self.invalidations(sentinel);
        fs::write(env.path(file), format!("{before}")).unwrap();
        self.wait_for("the sentinel's invalidation", |w| {
            w.invalidations(sentinel) > before
        });
    }

    fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the exit status, and for the whole log to be read.
    fn exit_code(&mut self) -> i32 {
        let mut status = None;
        eventually(PATIENCE, "watch to exit", || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        eventually(PATIENCE, "the end of the log", || {
            self.closed.load(Ordering::SeqCst)
        });
        let status = status.unwrap();
        status.code().expect("watch exited, not killed by a signal")
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
/// b.conf beside it, and free depends on nothing; sentinel is bound to
/// work/sentinel.
fn bound_env() -> Env {
    let env = Env::new();
    fs::write(env.path("work/a.conf"), "1").unwrap();
    fs::write(env.path("work/b.conf"), "1").unwrap();
    fs::write(env.path("work/sentinel"), "").unwrap();
    env.cmd(["bind", "cfg", "a.conf"]).run();
    env.cmd(["bind", "other", "b.conf"]).run();
    env.cmd(["bind", "sentinel", "sentinel"]).run();
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
    watch.settle(env, "sentinel", "work/sentinel");
    assert_eq!(watch.invalidations("cfg"), step, "step {step}: cfg again");
    assert_eq!(watch.invalidations("other"), 0, "step {step}: other");
    assert!(hits(env, "other"), "step {step}: other was invalidated");
    assert!(hits(env, "free"), "step {step}: free was invalidated");
}

#[test]
fn modify_delete_create_rename_over_and_touch_each_invalidate_the_bound_cache_and_its_dependents() {
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
    one_change(&env, &watch, 5, |file| {
        let past = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        fs::File::open(file).unwrap().set_modified(past).unwrap();
    });
    let line = watch.lines_of("invalidate", Some("cfg")).remove(0);
    assert_eq!(line["invalidated"], json!(["cfg", "report"]));
    assert_eq!(line["paths"], json!([env.path("work/a.conf")]));
    assert_eq!(line["changed"], 1);
}

#[test]
fn files_and_subdirectories_created_in_a_bound_tree_or_matching_a_glob_invalidate() {
    let env = bound_env();
    fs::create_dir_all(env.path("work/tree/sub")).unwrap();
    env.cmd(["bind", "tree", "tree"]).run();
    env.cmd(["bind", "confs", "tree/*.conf"]).run();
    env.cmd(["bind", "rs", "tree/**/*.rs"]).run();
    fill(&env, &["tree", "confs", "rs"]);
    let watch = Watch::start(&env, &[]);
    fs::write(env.path("work/tree/sub/new.txt"), "x").unwrap();
    watch.wait_for("tree's invalidation", |w| w.invalidations("tree") == 1);
    fs::create_dir(env.path("work/tree/later")).unwrap();
    watch.wait_for("tree's invalidation by an empty directory", |w| {
        w.invalidations("tree") == 2
    });
    fs::write(env.path("work/tree/later/deep.txt"), "x").unwrap();
    watch.wait_for("tree's invalidation in the new directory", |w| {
        w.invalidations("tree") == 3
    });
    watch.settle(&env, "sentinel", "work/sentinel");
    assert!(hits(&env, "confs"), "no .conf changed");
    assert!(hits(&env, "rs"), "no .rs changed");
    fs::write(env.path("work/tree/x.conf"), "x").unwrap();
    watch.wait_for("confs' invalidation", |w| w.invalidations("confs") == 1);
    assert!(!hits(&env, "confs"));
    fs::create_dir_all(env.path("work/tree/later/a/b")).unwrap();
    fs::write(env.path("work/tree/later/a/b/c.rs"), "x").unwrap();
    watch.wait_for("rs' invalidation", |w| w.invalidations("rs") == 1);
    assert!(!hits(&env, "rs"));
    fs::write(env.path("work/tree/later/a/b/d.rs"), "x").unwrap();
    watch.wait_for("rs' invalidation in a directory made while watching", |w| {
        w.invalidations("rs") == 2
    });
    fill(&env, &["confs"]);
    watch.settle(&env, "sentinel", "work/sentinel");
    assert_eq!(watch.invalidations("confs"), 1, "*.conf is one level deep");
    assert!(hits(&env, "confs"));
}

#[test]
fn the_log_counts_inotify_watches_and_a_glob_watches_only_where_it_can_match() {
    let env = Env::new();
    for sub in 0..20 {
        fs::create_dir_all(env.path(format!("work/tree/{sub}"))).unwrap();
        fs::create_dir_all(env.path(format!("work/globbed/{sub}/deeper"))).unwrap();
    }
    env.cmd(["bind", "tree", "tree"]).run();
    env.cmd(["bind", "confs", "globbed/*.conf"]).run();
    env.cmd(["bind", "alts", "{globbed/0,tree}/*.c"]).run();
    let watch = Watch::start(&env, &[]);
    let first = watch.lines_of("watch", None).remove(0);
    // The store, work (above both), tree and its 20 subdirectories, globbed,
    // globbed/0 (for alts, which reads nothing else), and every directory
    // above work.
    let above = above_work(&env);
    assert_eq!(first["dirs"], 25 + above, "{first}");
}

/// How many directories there are above `work` (the test's root and up).
fn above_work(env: &Env) -> usize {
    env.root().canonicalize().unwrap().ancestors().count()
}

#[test]
fn renaming_a_directory_far_above_a_bound_file_is_seen() {
    let env = bound_env();
    let (project, old) = (env.path("work/p/x"), env.path("work/p/x.old"));
    fs::create_dir_all(project.join("y")).unwrap();
    fs::write(project.join("y/a.conf"), "1").unwrap();
    env.cmd(["bind", "far", "p/x/y/a.conf"]).run();
    fill(&env, &["far"]);
    let watch = Watch::start(&env, &[]);
    fs::rename(&project, &old).unwrap();
    fs::create_dir_all(project.join("y")).unwrap();
    fs::write(project.join("y/a.conf"), "1").unwrap();
    watch.wait_for("far's invalidation", |w| w.invalidations("far") == 1);
    assert!(!hits(&env, "far"));
    fill(&env, &["far"]);
    fs::write(old.join("y/a.conf"), "5").unwrap();
    watch.settle(&env, "sentinel", "work/sentinel");
    assert_eq!(
        watch.invalidations("far"),
        1,
        "the moved-away copy is not bound"
    );
    assert!(hits(&env, "far"));
    fs::write(project.join("y/a.conf"), "2").unwrap();
    watch.wait_for("far's invalidation by the new copy", |w| {
        w.invalidations("far") == 2
    });
    let line = watch.lines_of("invalidate", Some("far")).remove(1);
    assert_eq!(line["paths"], json!([project.join("y/a.conf")]));
}

#[test]
fn a_check_while_watching_does_not_invalidate_the_same_change_again() {
    let env = bound_env();
    let watch = Watch::start(&env, &["--debounce", "300ms"]);
    fill(&env, &["cfg"]);
    fs::write(env.path("work/a.conf"), "2").unwrap();
    let out = env.cmd(["check", "--json"]).any_stdout().run().stdout;
    let by_check = serde_json::from_slice::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .len();
    watch.settle(&env, "sentinel", "work/sentinel");
    assert_eq!(
        by_check + watch.invalidations("cfg"),
        1,
        "one change, one invalidation"
    );
    assert!(!hits(&env, "cfg"));
}

#[test]
fn watch_and_check_agree_on_what_a_change_is() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let env = bound_env();
    fs::create_dir_all(env.path("work/tree/sub")).unwrap();
    env.cmd(["bind", "g", "tree/*"]).run();
    let a_conf = env.path("work/a.conf");
    let meta = fs::metadata(&a_conf).unwrap();
    let now = std::time::SystemTime::now();
    let changes: [(&str, bool, &dyn Fn()); 7] = [
        ("an access-time update", false, &|| {
            let times = fs::FileTimes::new().set_accessed(now);
            fs::File::open(&a_conf).unwrap().set_times(times).unwrap();
        }),
        ("a hard link", false, &|| {
            fs::hard_link(&a_conf, env.path("work/a.link")).unwrap()
        }),
        ("a chown to the same owner", false, &|| {
            std::os::unix::fs::chown(&a_conf, Some(meta.uid()), Some(meta.gid())).unwrap()
        }),
        ("a chmod", true, &|| {
            fs::set_permissions(&a_conf, fs::Permissions::from_mode(0o600)).unwrap()
        }),
        ("a touch", true, &|| {
            fs::File::open(&a_conf).unwrap().set_modified(now).unwrap()
        }),
        ("a file made in a directory a glob matches", true, &|| {
            fs::write(env.path("work/tree/sub/new"), "").unwrap()
        }),
        ("a file written there", true, &|| {
            fs::write(env.path("work/tree/sub/new"), "1").unwrap()
        }),
    ];
    let watch = Watch::start(&env, &[]);
    let mut invalidations = 0;
    for (what, is_change, change) in changes {
        fill(&env, &["cfg", "g"]);
        change();
        watch.settle(&env, "sentinel", "work/sentinel");
        let seen = watch.invalidations("cfg") + watch.invalidations("g");
        assert_eq!(
            seen - invalidations,
            usize::from(is_change),
            "watch: {what}"
        );
        invalidations = seen;
        env.cmd(["check", "--status", "--quiet"]).status(0).run();
        assert_eq!(hits(&env, "cfg") && hits(&env, "g"), !is_change, "{what}");
    }
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
fn a_directory_bound_before_it_exists_is_watched_as_a_tree_once_made() {
    let env = bound_env();
    env.cmd(["bind", "late", "build/"]).run();
    let watch = Watch::start(&env, &[]);
    fs::create_dir(env.path("work/build")).unwrap();
    watch.wait_for("late's invalidation", |w| w.invalidations("late") == 1);
    fill(&env, &["late"]);
    fs::write(env.path("work/build/out.o"), "1").unwrap();
    watch.wait_for("late's invalidation by a file in it", |w| {
        w.invalidations("late") == 2
    });
    assert!(!hits(&env, "late"));
}

#[test]
fn a_glob_under_a_directory_whose_name_is_not_utf8_matches() {
    use std::os::unix::ffi::OsStrExt;
    let env = bound_env();
    let name = std::ffi::OsStr::from_bytes(b"d\xff");
    let dir = env.path("work").join(name);
    fs::create_dir(&dir).unwrap();
    let mut glob = name.to_owned();
    glob.push("/*.txt");
    env.cmd(["bind", "ng"]).arg(&glob).run();
    fill(&env, &["ng"]);
    let watch = Watch::start(&env, &[]);
    fs::write(dir.join("x.txt"), "1").unwrap();
    watch.wait_for("ng's invalidation", |w| w.invalidations("ng") == 1);
    assert!(!hits(&env, "ng"));
}

#[test]
fn a_burst_of_1000_writes_is_one_invalidation_per_cache_and_dependent() {
    let env = bound_env();
    fs::create_dir(env.path("work/tree")).unwrap();
    env.cmd(["bind", "tree", "tree"]).run();
    env.cmd(["bind", "texts", "tree/*.txt"]).run();
    env.cmd(["depend", "tree", "summary"]).run();
    env.cmd(["depend", "texts", "summary"]).run();
    fill(&env, &["tree", "texts", "summary", "other"]);
    // A window no pause between two writes outlasts, even on a loaded machine:
    // with the default 100 ms (and its 2 s cap on a burst) a writer stalled
    // longer than that splits the burst in two, as it should.
    let watch = Watch::start(&env, &["--debounce", "1s"]);
    for i in 0..1000 {
        fs::write(env.path(format!("work/tree/f{i}.txt")), i.to_string()).unwrap();
    }
    watch.wait_for("the burst's invalidations", |w| {
        w.invalidations("tree") >= 1 && w.invalidations("texts") >= 1
    });
    for cache in ["tree", "texts", "summary"] {
        assert!(!hits(&env, cache), "{cache} still hits after the burst");
    }
    watch.settle(&env, "sentinel", "work/sentinel");
    let tree = watch.lines_of("invalidate", Some("tree"));
    let texts = watch.lines_of("invalidate", Some("texts"));
    assert_eq!((tree.len(), texts.len()), (1, 1), "one invalidation each");
    assert_eq!(
        tree[0]["epoch"], texts[0]["epoch"],
        "one invalidation for both, so summary, depending on both, went once"
    );
    assert_eq!(tree[0]["invalidated"], json!(["tree", "summary"]));
    assert_eq!(tree[0]["changed"], 1000);
    assert_eq!(tree[0]["paths"].as_array().unwrap().len(), 10);
    assert!(hits(&env, "other"));
}

#[test]
fn a_binding_added_while_watching_takes_effect_and_unbinding_ends_it() {
    let env = bound_env();
    fs::write(env.path("work/late.conf"), "1").unwrap();
    let watch = Watch::start(&env, &[]);
    env.cmd(["bind", "late", "late.conf"]).run();
    fill(&env, &["late"]);
    watch.wait_watching(4);
    fs::write(env.path("work/late.conf"), "2").unwrap();
    watch.wait_for("late's invalidation", |w| w.invalidations("late") == 1);
    assert!(!hits(&env, "late"));
    env.cmd(["unbind", "late", "late.conf"]).run();
    watch.wait_watching(3);
    fill(&env, &["late"]);
    fs::write(env.path("work/late.conf"), "3").unwrap();
    watch.settle(&env, "sentinel", "work/sentinel");
    assert_eq!(watch.invalidations("late"), 1);
    assert!(hits(&env, "late"), "an unbound file changed");
}

#[test]
fn a_change_between_bind_and_the_watch_taking_it_up_is_caught_up() {
    let env = bound_env();
    // In a directory nothing watches yet, so no event reports the change.
    fs::create_dir(env.path("work/late")).unwrap();
    fs::write(env.path("work/late/late.conf"), "1").unwrap();
    let watch = Watch::start(&env, &[]);
    watch.signal("STOP");
    env.cmd(["bind", "late", "late/late.conf"]).run();
    fill(&env, &["late"]);
    fs::write(env.path("work/late/late.conf"), "2").unwrap();
    watch.signal("CONT");
    watch.wait_for("late's catch-up invalidation", |w| {
        w.invalidations("late") == 1
    });
    assert!(!hits(&env, "late"));
}

#[test]
fn an_overflowing_event_queue_rescans_every_binding() {
    let max: usize = fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(16384);
    if max > 200_000 {
        eprintln!("skipped: fs.inotify.max_queued_events is {max}");
        return;
    }
    let env = bound_env();
    fs::create_dir(env.path("work/noise")).unwrap();
    env.cmd(["bind", "noise", "noise/"]).run();
    fill(&env, &["cfg", "other"]);
    let watch = Watch::start(&env, &[]);
    watch.signal("STOP");
    // Each new file makes at least two events (created, closed).
    for i in 0..max / 2 + 1000 {
        fs::write(env.path(format!("work/noise/{i}")), "").unwrap();
    }
    fs::write(env.path("work/a.conf"), "changed while the queue was full").unwrap();
    watch.signal("CONT");
    watch.wait_for("cfg's invalidation", |w| w.invalidations("cfg") == 1);
    assert!(!hits(&env, "cfg"));
    let warnings = watch.lines_of("warning", None);
    assert!(
        warnings
            .iter()
            .any(|w| w["message"].as_str().unwrap().contains("queue overflowed")),
        "{warnings:?}"
    );
    watch.settle(&env, "sentinel", "work/sentinel");
    assert!(hits(&env, "other"), "the rescan compares fingerprints");
}

#[test]
fn sigterm_and_sigint_sync_pending_changes_and_exit_0() {
    for signal in ["TERM", "INT"] {
        let env = Env::new();
        env.cmd(["create", "c", "--autosync", "off"]).run();
        fill(&env, &["c"]);
        env.set("c", "k2", "v2");
        assert_eq!(env.ls_cache("c")["pending"], 2);
        let mut watch = Watch::start(&env, &[]);
        watch.signal(signal);
        assert_eq!(watch.exit_code(), 0, "SIG{signal}");
        assert_eq!(env.ls_cache("c")["pending"], 0);
        assert_eq!(watch.count("sync", Some("c")), 1);
        assert_eq!(watch.count("stop", None), 1);
        assert!(hits(&env, "c"));
    }
}

#[test]
fn the_autosync_timers_run_while_watching() {
    let env = Env::new();
    env.cmd(["create", "c", "--autosync", "1:1"]).run();
    let watch = Watch::start(&env, &[]);
    // A write that leaves its due sync to the caller: only the watcher syncs.
    let store = LocalStore::new(env.store()).with_deferred_sync();
    let value = cacheman::NewValue::Bytes(b"v");
    let c = CacheName::new("c").unwrap();
    store.set(&c, b"k", value, &Default::default()).unwrap();
    watch.wait_for("the watcher's autosync of c", |w| {
        w.lines_of("sync", Some("c"))
            .iter()
            .any(|l| l["autosync"] == true)
    });
    assert_eq!(env.ls_cache("c")["pending"], 0);
}

#[test]
fn a_second_watcher_on_the_same_store_is_refused() {
    let env = Env::new();
    let _first = Watch::start(&env, &[]);
    env.cmd(["watch"])
        .usage_error("another `cacheman watch` is already watching")
        .run();
    let mut json = Watch::spawn(&env, &["--json"]);
    assert_eq!(json.exit_code(), 2);
    let error = json.error();
    assert_eq!(json.log().len(), 1, "the error is all it logs");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("already watching")
    );
}

#[test]
fn the_one_watcher_rule_is_the_stores_watcher_lock() {
    let env = Env::new();
    let store = cacheman::open(&cacheman::StoreSpec::Local(env.store()), None, true).unwrap();
    let lease = store.try_lock(cacheman::WATCHER_LOCK).unwrap().unwrap();
    env.cmd(["watch"])
        .usage_error("another `cacheman watch` is already watching")
        .run();
    drop(lease);
    let _watch = Watch::start(&env, &[]);
    assert!(
        store.try_lock(cacheman::WATCHER_LOCK).unwrap().is_none(),
        "the watcher holds it"
    );
    assert!(env.store().join("watch.lock").is_file(), "the same file");
}

#[test]
fn deleting_the_store_while_watching_stops_the_watcher_with_exit_3() {
    let env = bound_env();
    let mut watch = Watch::start(&env, &[]);
    fs::remove_dir_all(env.store()).unwrap();
    assert_eq!(watch.exit_code(), 3);
    let error = watch.error();
    assert!(
        error["message"].as_str().unwrap().contains("was deleted"),
        "{error}"
    );
}

#[test]
fn changes_made_before_the_watcher_started_are_caught_up() {
    let env = bound_env();
    fill(&env, &["cfg", "other"]);
    fs::write(env.path("work/a.conf"), "changed while no watcher ran").unwrap();
    let watch = Watch::start(&env, &[]);
    assert_eq!(watch.invalidations("cfg"), 1);
    assert_eq!(watch.invalidations("other"), 0);
    assert!(!hits(&env, "cfg"));
    assert!(hits(&env, "other"));
}

#[test]
fn the_text_log_has_one_line_per_action_and_quiet_keeps_warnings_only() {
    let env = bound_env();
    fill(&env, &["cfg"]);
    let mut text = Watch::spawn(&env, &[]);
    text.wait_for("the watcher to start", |w| !w.text().is_empty());
    fs::write(env.path("work/a.conf"), "2").unwrap();
    text.wait_for("cfg's invalidation", |w| w.text().len() >= 2);
    text.signal("TERM");
    assert_eq!(text.exit_code(), 0);
    let a_conf = env.path("work/a.conf");
    assert_eq!(
        text.text(),
        [
            format!(
                "cacheman: watch: watching 3 bound caches in {} directories",
                2 + above_work(&env)
            ),
            format!(
                "cacheman: watch: cfg: {} changed; invalidated cfg, report",
                a_conf.display()
            ),
            "cacheman: watch: cfg: synced 1 pending change".to_string(),
            "cacheman: watch: stopped".to_string(),
        ]
    );
    fill(&env, &["cfg"]);
    let mut quiet = Watch::spawn(&env, &["--quiet"]);
    // Its start cannot be seen; a bound file that changes can, in the store.
    fs::write(env.path("work/a.conf"), "3").unwrap();
    eventually(PATIENCE, "cfg's invalidation", || !hits(&env, "cfg"));
    quiet.signal("TERM");
    assert_eq!(quiet.exit_code(), 0);
    assert_eq!(quiet.text(), Vec::<String>::new());
}

#[test]
fn with_verbose_the_json_log_names_the_store_in_json_too() {
    let env = bound_env();
    let watch = Watch::start(&env, &["-v"]);
    let store = watch.lines_of("store", None);
    assert_eq!(store.len(), 1, "{:?}", watch.text());
    assert_eq!(store[0]["path"], json!(env.store()));
    assert_eq!(store[0]["from"], "CACHEMAN_DIR");
}

#[test]
fn bad_debounce_is_bad_input() {
    let env = Env::new();
    env.cmd(["watch", "--debounce", "soon"])
        .usage_error("--debounce")
        .run();
    env.cmd(["watch", "--debounce", "200000000000000d"])
        .usage_error("--debounce")
        .run();
    env.cmd(["watch", "--debounce", "2h"])
        .usage_error("longer than the longest window, 1h")
        .run();
}

/// Write-to-miss latency: the median over many trials of the time from a
/// bound file's write to a read of its cache missing.
/// `cargo test --release --test main watch::write_to_miss_latency -- --ignored --nocapture`
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
