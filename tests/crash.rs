//! The kill -9 loop: writers killed at random moments during sets, large
//! streamed values, batches and syncs. Afterwards every write whose command
//! exited 0 (or whose batch line was answered) is present, and the cache opens.
//!
//! CI runs `CACHEMAN_CRASH_TRIALS` trials (default 400); the ignored
//! `kill_loop_heavy` runs 3000. Each run prints its seed; set
//! `CACHEMAN_CRASH_SEED` to replay one.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use cacheman::{CacheName, LocalStore, Store};

const BIN: &str = env!("CARGO_BIN_EXE_cacheman");

fn cacheman(store: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", store.parent().unwrap())
        .env("CACHEMAN_DIR", store)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// How a victim ended: it finished (successfully), or the kill got it first.
enum Ended {
    Finished,
    Killed,
}

/// Kills the child after `delay` unless it finished first. A failure on its own
/// (rather than by the kill) fails the test, showing what the child said.
fn kill_after(mut child: Child, delay: Duration) -> Ended {
    thread::sleep(delay);
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
    }
    let output = child.wait_with_output().unwrap();
    match output.status.code() {
        // It may have finished between the check and the kill.
        Some(0) => Ended::Finished,
        Some(code) => panic!(
            "a victim exited {code} on its own: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
        None => Ended::Killed,
    }
}

struct Run {
    store: std::path::PathBuf,
    rng: fastrand::Rng,
    /// Every acknowledged write: key to value.
    acked: BTreeMap<String, Vec<u8>>,
    kills: u64,
}

impl Run {
    fn set(&mut self, trial: u64) {
        let key = format!("set-{trial}");
        let value = format!("value of trial {trial}");
        let child = cacheman(&self.store)
            .args(["set", "c", &key, &value])
            .spawn()
            .unwrap();
        let delay = Duration::from_micros(self.rng.u64(0..2500));
        match kill_after(child, delay) {
            Ended::Finished => {
                self.acked.insert(key, value.into_bytes());
            }
            Ended::Killed => self.kills += 1,
        }
    }

    fn big_set(&mut self, trial: u64) {
        let key = format!("big-{trial}");
        let value = vec![(trial % 251) as u8; 256 << 10];
        let mut child = cacheman(&self.store)
            .args(["set", "c", &key])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = {
            let value = value.clone();
            thread::spawn(move || {
                let _ = stdin.write_all(&value);
            })
        };
        let delay = Duration::from_micros(self.rng.u64(0..4000));
        let exit = kill_after(child, delay);
        feeder.join().unwrap();
        match exit {
            Ended::Finished => {
                self.acked.insert(key, value);
            }
            Ended::Killed => self.kills += 1,
        }
    }

    fn sync(&mut self) {
        let child = cacheman(&self.store)
            .args(["sync", "c", "-q"])
            .spawn()
            .unwrap();
        let delay = Duration::from_micros(self.rng.u64(0..6000));
        if let Ended::Killed = kill_after(child, delay) {
            self.kills += 1;
        }
    }

    /// A batch of sets with syncs among them, killed mid-stream. A line is
    /// acknowledged once its answer has been read.
    fn batch(&mut self, trial: u64) {
        let mut child = cacheman(&self.store)
            .arg("batch")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = thread::spawn(move || {
            for n in 0..100_000u64 {
                let line = match n % 200 {
                    199 => "sync c -q\n".to_string(),
                    _ => format!("set c batch-{trial}-{n} v{n}\n"),
                };
                if stdin.write_all(line.as_bytes()).is_err() {
                    break;
                }
            }
        });
        let answers = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let answers = answers.clone();
            let stdout = child.stdout.take().unwrap();
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    answers.lock().unwrap().push(line);
                }
            })
        };
        let delay = Duration::from_millis(self.rng.u64(2..40));
        if let Ended::Killed = kill_after(child, delay) {
            self.kills += 1;
        }
        feeder.join().unwrap();
        reader.join().unwrap();
        for answer in answers.lock().unwrap().iter() {
            let answer: serde_json::Value = serde_json::from_str(answer).unwrap();
            assert_eq!(answer["status"], 0, "{answer}");
            let line = answer["line"].as_u64().unwrap() - 1;
            if line % 200 != 199 {
                self.acked.insert(
                    format!("batch-{trial}-{line}"),
                    format!("v{line}").into_bytes(),
                );
            }
        }
    }

    /// Every acknowledged write is there, and the cache opens and lists.
    fn verify(&self) {
        let store = LocalStore::new(&self.store);
        let cache = CacheName::new("c").unwrap();
        for (key, value) in &self.acked {
            let hit = store
                .get(&cache, key.as_bytes())
                .unwrap_or_else(|e| panic!("the cache does not open: {e}"))
                .unwrap_or_else(|| panic!("acknowledged key {key} is lost"));
            assert_eq!(&hit.value.into_bytes().unwrap(), value, "key {key}");
        }
        let keys = store.keys(&cache).unwrap();
        assert!(keys.len() >= self.acked.len());
    }
}

fn run_kill_loop(trials: u64) {
    let seed = std::env::var("CACHEMAN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("kill loop: {trials} trials, seed {seed} (CACHEMAN_CRASH_SEED replays it)");
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let status = cacheman(&store).args(["create", "c"]).status().unwrap();
    assert!(status.success());
    let lock = store.join("caches/c/write.lock");
    let lock_inode = std::fs::metadata(&lock).unwrap().ino();
    let mut run = Run {
        store,
        rng: fastrand::Rng::with_seed(seed),
        acked: BTreeMap::new(),
        kills: 0,
    };
    for trial in 0..trials {
        match run.rng.u8(0..100) {
            0..=59 => run.set(trial),
            60..=74 => run.sync(),
            75..=89 => run.big_set(trial),
            _ => run.batch(trial),
        }
        if trial % 25 == 24 {
            run.verify();
        }
    }
    run.verify();
    let status = cacheman(&run.store)
        .args(["sync", "c", "-q"])
        .status()
        .unwrap();
    assert!(status.success(), "the cache syncs after the loop");
    run.verify();
    let abandoned: Vec<_> = std::fs::read_dir(run.store.join("caches/c/blobs"))
        .map(|listing| listing.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    let abandoned: Vec<_> = abandoned
        .iter()
        .filter(|n| n.to_string_lossy().starts_with("tmp."))
        .collect();
    assert!(
        abandoned.is_empty(),
        "killed writers' blob files outlived a sync: {abandoned:?}"
    );
    assert_eq!(
        std::fs::metadata(&lock).unwrap().ino(),
        lock_inode,
        "the lock file was replaced"
    );
    eprintln!(
        "kill loop: {trials} trials, {} processes killed, {} acknowledged writes, 0 lost",
        run.kills,
        run.acked.len()
    );
    assert!(
        run.kills > trials / 4,
        "too few trials killed a process: {}",
        run.kills
    );
}

#[test]
fn kill_loop() {
    let trials = std::env::var("CACHEMAN_CRASH_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    run_kill_loop(trials);
}

#[test]
#[ignore = "heavy: thousands of kill -9 trials; run with --ignored"]
fn kill_loop_heavy() {
    run_kill_loop(3000);
}

/// Invalidations killed at random moments, whole and by key prefix: whatever
/// point a kill lands on, a root's entry is never gone while an entry of a
/// dependent written with it is still valid.
#[test]
fn killed_invalidations_never_leave_a_dependent_valid() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let depend = |root: &str, deps: &[&str]| {
        let status = cacheman(&store_dir)
            .arg("depend")
            .arg(root)
            .args(deps)
            .status()
            .unwrap();
        assert!(status.success());
    };
    depend("root", &["a", "c"]);
    depend("a", &["b"]);
    let caches = ["root", "a", "b", "c"];
    let store = LocalStore::new(&store_dir);
    let names: Vec<CacheName> = caches.iter().map(|c| CacheName::new(c).unwrap()).collect();
    let mut rng = fastrand::Rng::new();
    // Kill at a random moment up to `bound`, which adapts so that about half the
    // runs die part-way, on a fast machine or a slow one.
    let mut bound = 3000.0_f64;
    let (mut killed, mut finished) = (0, 0);
    for trial in 0..150 {
        let key = format!("t{trial}");
        for cache in &names {
            store
                .set(
                    cache,
                    key.as_bytes(),
                    cacheman::NewValue::Bytes(b"v"),
                    &Default::default(),
                )
                .unwrap();
        }
        let mut invalidate = cacheman(&store_dir);
        invalidate.args(["invalidate", "root", "-q"]);
        if trial % 2 == 1 {
            invalidate.args(["--prefix", &key]);
        }
        let delay = Duration::from_micros(rng.u64(0..bound as u64));
        match kill_after(invalidate.spawn().unwrap(), delay) {
            Ended::Killed => {
                killed += 1;
                bound *= 1.15;
            }
            Ended::Finished => {
                finished += 1;
                bound *= 0.85;
            }
        }
        let present: Vec<bool> = names
            .iter()
            .map(|cache| store.get(cache, key.as_bytes()).unwrap().is_some())
            .collect();
        if !present[0] {
            assert_eq!(
                present, [false; 4],
                "trial {trial}: the root is invalidated but not {caches:?}"
            );
        }
    }
    eprintln!("killed invalidations: {killed} killed, {finished} finished, 0 broken cascades");
    assert!(
        killed > 7 && finished > 7,
        "killed {killed}, finished {finished}"
    );
}
