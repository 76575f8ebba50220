//! A long-lived library handle keeps views and a writer of a cache between
//! operations, trusting the generation words every other writer bumps: each
//! read it serves must agree with what the other processes' finished commands
//! left, including after a writer killed midway.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::FileExt;
use std::process::Stdio;
use std::time::Duration;

use cacheman::{CacheName, LocalStore, NewValue, SetOptions, Store};
use common::Env;

/// The holder: one handle, as a batch session or a library user keeps it.
struct Holder {
    store: LocalStore,
    cache: CacheName,
}

impl Holder {
    fn new(env: &Env) -> Holder {
        Holder {
            store: LocalStore::open(env.store()).unwrap().with_deferred_sync(),
            cache: CacheName::new("c").unwrap(),
        }
    }

    fn get(&self, key: &str) -> Option<String> {
        let hit = self.store.get(&self.cache, key.as_bytes()).unwrap()?;
        // A soft-invalidated entry is served only when asked for, as the CLI's.
        if hit.stale {
            return None;
        }
        Some(String::from_utf8(hit.value.into_bytes().unwrap()).unwrap())
    }

    fn set(&self, key: &str, value: &str) {
        let value = NewValue::Bytes(value.as_bytes());
        let options = SetOptions::default();
        self.store
            .set(&self.cache, key.as_bytes(), value, &options)
            .unwrap();
    }

    /// Reads every key (twice: the first read of a cache keeps no view) and
    /// checks each against the model.
    fn check(&self, keys: &[String], expected: &BTreeMap<String, String>, what: &str) {
        for _ in 0..2 {
            for key in keys {
                assert_eq!(self.get(key).as_ref(), expected.get(key), "{what}, {key}");
            }
        }
    }
}

/// A tiny xorshift, so a failing step can be replayed.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Other processes set, delete, clear, invalidate (the cache itself, or a
/// root in another cache it depends on), drop and recreate, sync, collect and
/// import into a cache, while one handle in this process keeps its view and
/// writer of it: every read the handle answers agrees with the model.
#[test]
fn a_long_lived_handle_sees_every_other_process_change() {
    let env = Env::new();
    env.set("c", "k0", "first");
    env.set("root", "r", "x");
    let depend = || env.cmd(["depend", "root", "c"]).any_stdout().run();
    depend();
    let holder = Holder::new(&env);
    let keys: Vec<String> = (0..5).map(|i| format!("k{i}")).collect();
    let mut expected = BTreeMap::from([("k0".to_string(), "first".to_string())]);
    let import = env.path("import.jsonl");
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for step in 0..150 {
        let roll = next(&mut seed);
        let key = keys[(roll >> 8) as usize % keys.len()].clone();
        let value = format!("v{step}");
        let what = (roll >> 20) % 14;
        let quiet = |args: &[&str]| env.cmd(args).any_stdout().any_stderr().run();
        match what {
            0..=2 => {
                env.set("c", &key, &value);
                expected.insert(key, value);
            }
            3 => {
                let status = i32::from(expected.remove(&key).is_none());
                env.cmd(["del", "c", &key])
                    .status(status)
                    .any_stdout()
                    .run();
            }
            4 => {
                quiet(&["clear", "c"]);
                expected.clear();
            }
            5 => {
                let soft = roll.is_multiple_of(2);
                let args = ["invalidate", "c", "--quiet"].into_iter();
                quiet(&args.chain(soft.then_some("--soft")).collect::<Vec<_>>());
                expected.clear();
            }
            6 => {
                // The cascade from a root in another cache.
                quiet(&["invalidate", "root", "--quiet"]);
                expected.clear();
            }
            7 => {
                quiet(&["drop", "c", "--force"]);
                env.set("c", &key, &value);
                depend();
                expected = BTreeMap::from([(key, value)]);
            }
            8 => {
                quiet(&["sync", "c"]);
            }
            9 => {
                // An entry that expires, collected by gc.
                quiet(&["set", "c", &key, &value, "--ttl", "1s"]);
                std::thread::sleep(Duration::from_millis(1100));
                quiet(&["gc", "c"]);
                expected.remove(&key);
            }
            10 => {
                let line = format!("{{\"key\":\"{key}\",\"value\":\"{value}\"}}\n");
                fs::write(&import, line).unwrap();
                quiet(&["import", "c", import.to_str().unwrap()]);
                expected.insert(key, value);
            }
            _ => {
                holder.set(&key, &value);
                expected.insert(key, value);
            }
        }
        holder.check(&keys, &expected, &format!("step {step} ({what})"));
    }
}

/// The word at the start of cache `c`'s write lock.
fn word(env: &Env) -> u64 {
    let mut bytes = [0; 8];
    let lock = fs::File::open(env.cache_dir("c").join("write.lock")).unwrap();
    lock.read_exact_at(&mut bytes, 0).unwrap();
    u64::from_le_bytes(bytes)
}

fn put_word(env: &Env, value: u64) {
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(env.cache_dir("c").join("write.lock"))
        .unwrap();
    lock.write_all_at(&value.to_le_bytes(), 0).unwrap();
}

/// A writer killed between marking its change (the word odd) and finishing
/// it leaves the word odd: a reader that looked meanwhile must not take that
/// value as settled, or the change the writer made before dying would never
/// be seen.
#[test]
fn a_writer_killed_mid_change_leaves_readers_on_the_slow_path() {
    let env = Env::new();
    env.set("c", "k", "v1");
    let holder = Holder::new(&env);
    let expected = |value: &str| BTreeMap::from([("k".to_string(), value.to_string())]);
    let keys = ["k".to_string()];
    holder.check(&keys, &expected("v1"), "before");
    let settled = word(&env);
    assert_eq!(settled % 2, 0, "no change under way");
    // A writer begins (word odd) and the holder reads while it works.
    put_word(&env, settled + 1);
    holder.check(&keys, &expected("v1"), "during");
    // It makes its change, and is killed before it ends: the word stays odd.
    env.set("c", "k", "v2");
    put_word(&env, settled + 1);
    holder.check(&keys, &expected("v2"), "after the killed writer");
    // The next writer settles the word again.
    env.set("c", "k", "v3");
    assert_eq!(word(&env) % 2, 0);
    holder.check(&keys, &expected("v3"), "after the next writer");
}

/// Writers killed with SIGKILL at random points of a stream of sets: after
/// each kill, what the handle reads is what a fresh process reads.
#[test]
fn a_long_lived_handle_reads_the_truth_after_writers_are_killed() {
    let env = Env::new();
    env.set("c", "k", "start");
    let holder = Holder::new(&env);
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut odd_left = 0;
    for round in 0..30 {
        let lines: String = (0..3000)
            .map(|i| format!("set c k r{round}-{i} --durable\n"))
            .collect();
        let input = env.path("lines");
        fs::write(&input, lines).unwrap();
        let mut writer = env
            .std_command()
            .arg("batch")
            .stdin(fs::File::open(&input).unwrap())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(2_000 + next(&mut seed) % 20_000));
        writer.kill().unwrap();
        writer.wait().unwrap();
        odd_left += word(&env) % 2;
        let truth = env.get("c", "k").map(|v| String::from_utf8(v).unwrap());
        assert_eq!(holder.get("k"), truth, "round {round}");
        assert_eq!(holder.get("k"), truth, "round {round}, again");
    }
    eprintln!("{odd_left} of 30 kills left the word odd");
}
