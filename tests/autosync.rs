//! The autosync rules, driven by an injected clock: no test here sleeps.

use std::sync::Arc;

use cacheman::Autosync;
use cacheman::ManualClock;
use cacheman::{CacheName, CacheSettings, LocalStore, NewValue, SetOptions, Store};

const T0: u64 = 1_800_000_000_000;
const SECOND: u64 = 1000;

struct Fixture {
    _dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    store: LocalStore,
    cache: CacheName,
}

fn fixture(rules: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let store = LocalStore::new(dir.path()).with_clock(clock.clone());
    let cache = CacheName::new("c").unwrap();
    let settings = CacheSettings {
        autosync: Some(rules.parse::<Autosync>().unwrap()),
        ..CacheSettings::default()
    };
    store.create(&cache, &settings, false).unwrap();
    Fixture {
        _dir: dir,
        clock,
        store,
        cache,
    }
}

impl Fixture {
    fn set(&self, key: &str) {
        self.store
            .set(
                &self.cache,
                key.as_bytes(),
                NewValue::Bytes(b"v"),
                &SetOptions::default(),
            )
            .unwrap();
    }

    fn pending(&self) -> u64 {
        self.store.list().unwrap()[0].pending
    }
}

#[test]
fn one_change_in_an_idle_cache_syncs_only_after_more_than_900_seconds() {
    let f = fixture("60:10000,300:10,900:1");
    f.set("k");
    assert_eq!(
        f.store.next_autosync_ms().unwrap(),
        Some(T0 + 900 * SECOND + 1)
    );
    f.clock.set_ms(T0 + 900 * SECOND);
    assert!(
        f.store.autosync_due().unwrap().is_empty(),
        "900 s is not more than 900 s"
    );
    assert_eq!(f.pending(), 1);
    f.clock.advance_ms(1);
    assert_eq!(f.store.autosync_due().unwrap(), vec![f.cache.clone()]);
    assert_eq!(f.pending(), 0);
    assert_eq!(
        f.store.next_autosync_ms().unwrap(),
        None,
        "nothing is pending any more"
    );
}

#[test]
fn rules_are_checked_after_every_write() {
    let f = fixture("60:3");
    f.clock.set_ms(T0 + 61 * SECOND);
    f.set("a");
    f.set("b");
    assert_eq!(f.pending(), 2, "two changes do not meet a rule of three");
    f.set("c");
    assert_eq!(f.pending(), 0, "the third write met the rule and synced");
}

#[test]
fn elapsed_time_restarts_at_each_sync_and_pending_counts_what_is_left() {
    let f = fixture("300:10");
    for i in 0..10 {
        f.set(&format!("k{i}"));
    }
    assert_eq!(f.pending(), 10);
    f.clock.set_ms(T0 + 301 * SECOND);
    assert_eq!(f.store.autosync_due().unwrap().len(), 1);
    assert_eq!(f.pending(), 0);
    for i in 0..10 {
        f.set(&format!("again{i}"));
    }
    // Ten more changes, but the clock restarted at the sync.
    f.clock.advance_ms(300 * SECOND);
    assert!(f.store.autosync_due().unwrap().is_empty());
    f.clock.advance_ms(1);
    assert_eq!(f.store.autosync_due().unwrap().len(), 1);
}

#[test]
fn a_failed_sync_is_retried_later_and_loses_nothing() {
    let f = fixture("900:1");
    f.set("k");
    // Block the name the merge renames its snapshot to, so the sync fails
    // part-way (its temporary file's name is random: no one can block it).
    let obstacle = f._dir.path().join("caches/c/snap.2");
    std::fs::create_dir(&obstacle).unwrap();
    f.clock.advance_ms(901 * SECOND);
    assert!(
        f.store.autosync_due().is_err(),
        "the sync must report its failure"
    );
    assert_eq!(f.pending(), 1, "nothing was lost or counted as synced");
    assert!(f.store.get(&f.cache, b"k").unwrap().is_some());

    std::fs::remove_dir(&obstacle).unwrap();
    f.clock.advance_ms(SECOND);
    assert_eq!(
        f.store.autosync_due().unwrap().len(),
        1,
        "retried on the next check"
    );
    assert_eq!(f.pending(), 0);
    assert!(f.store.get(&f.cache, b"k").unwrap().is_some());
}

#[test]
fn off_never_syncs_and_the_store_default_applies_to_caches_without_rules() {
    let f = fixture("off");
    f.set("k");
    f.clock.advance_ms(365 * 24 * 3600 * SECOND);
    assert!(f.store.autosync_due().unwrap().is_empty());
    assert_eq!(f.pending(), 1);

    let other = CacheName::new("follows-store").unwrap();
    f.store
        .set_default_autosync(&"10:1".parse().unwrap())
        .unwrap();
    f.store
        .set(&other, b"k", NewValue::Bytes(b"v"), &SetOptions::default())
        .unwrap();
    f.clock.advance_ms(11 * SECOND);
    assert_eq!(f.store.autosync_due().unwrap(), vec![other]);
}

/// The long-running process's timer, for real: a `cacheman batch` left open after
/// one write syncs the idle cache once its rule (here 1 s, 1 change) fires,
/// without any further command.
#[test]
fn a_running_batch_syncs_an_idle_cache_on_its_timer() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cacheman"))
            .env_clear()
            .env("CACHEMAN_DIR", dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    assert!(
        run(&["create", "idle", "--autosync", "1:1"])
            .status
            .success()
    );
    let mut batch = Command::new(env!("CARGO_BIN_EXE_cacheman"))
        .env_clear()
        .env("CACHEMAN_DIR", dir.path())
        .arg("batch")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = batch.stdin.take().unwrap();
    stdin.write_all(b"set idle k v\n").unwrap();
    stdin.flush().unwrap();
    // The write is done once its answer is out.
    let mut answer = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(batch.stdout.take().unwrap()),
        &mut answer,
    )
    .unwrap();
    assert!(answer.contains("\"status\":0"), "{answer}");
    let pending = || {
        let listing: serde_json::Value =
            serde_json::from_slice(&run(&["ls", "--json"]).stdout).unwrap();
        listing[0]["pending"].as_u64().unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while pending() != 0 {
        assert!(
            Instant::now() < deadline,
            "the batch never synced the idle cache"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(stdin);
    assert!(batch.wait().unwrap().success());
}
