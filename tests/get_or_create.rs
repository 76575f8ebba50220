//! Get-or-create from the shell, on the local store and on Redis: `get
//! --or-run` (one run for concurrent misses, nothing stored across an
//! invalidation, stale values refreshed in the background), `set
//! --if-absent`, `incr` and `lock` from many processes at once, and the bad
//! inputs they refuse.

use std::fs;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{BIN, Env, StoreVia, assert_error_form, eventually};

/// The worlds every test runs in: the local store, and (with the feature)
/// a Redis server.
fn worlds() -> Vec<(&'static str, Env)> {
    let local = ("local", Env::new());
    #[cfg(feature = "redis")]
    {
        use crate::common::redis::{namespace, shared_server};
        let env = Env::new().store_via(StoreVia::Nothing);
        let url = format!("{}?ns={}", shared_server().url(), namespace(env.root()));
        vec![local, ("redis", env.var("CACHEMAN_STORE", url))]
    }
    #[cfg(not(feature = "redis"))]
    {
        let _ = StoreVia::Nothing;
        vec![local]
    }
}

/// `sh -c SCRIPT BIN` with the world's environment: the script calls the
/// binary as "$0".
fn shell(env: &Env, script: &str) -> Command {
    let base = env.std_command();
    let mut sh = Command::new("sh");
    sh.env_clear();
    for (name, value) in base.get_envs() {
        if let Some(value) = value {
            sh.env(name, value);
        }
    }
    sh.current_dir(env.root()).arg("-c").arg(script).arg(BIN);
    sh
}

/// Starts `n` copies of `script`, their output captured.
fn start(env: &Env, n: usize, script: &str) -> Vec<Child> {
    (0..n)
        .map(|_| {
            shell(env, script)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect()
}

/// Waits for every child: (status, stdout) of each.
fn finish(children: Vec<Child>) -> Vec<(i32, String)> {
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        })
        .collect()
}

#[test]
fn eight_concurrent_misses_run_the_command_once_and_all_print_its_value() {
    for (world, env) in worlds() {
        let runs = env.path("runs");
        let script = format!(
            "exec \"$0\" get dns example.com --or-run --ttl 1h -- \
             sh -c 'echo run >> {}; sleep 0.5; echo \"ip-of-$CACHEMAN_KEY-$$\"'",
            runs.display()
        );
        let answers = finish(start(&env, 8, &script));
        let first = answers[0].1.clone();
        assert!(
            first.starts_with("ip-of-example.com-"),
            "{world}: {first:?}"
        );
        for (status, out) in &answers {
            assert_eq!((*status, out.as_str()), (0, first.as_str()), "{world}");
        }
        assert_eq!(
            fs::read_to_string(&runs).unwrap(),
            "run\n",
            "{world}: ran once"
        );
        assert_eq!(env.get("dns", "example.com").unwrap(), first.as_bytes());
    }
}

#[test]
fn a_failing_command_stores_nothing_and_its_status_and_stderr_come_through() {
    for (world, env) in worlds() {
        env.cmd(["get", "c", "k", "--or-run", "--", "sh", "-c"])
            .arg("echo partial; echo why >&2; exit 7")
            .status(7)
            .stdout("")
            .stderr("why\n")
            .run();
        assert_eq!(env.get("c", "k"), None, "{world}: nothing stored");
        env.cmd(["get", "c", "k", "--or-run", "--", "no-such-command-here"])
            .status(127)
            .any_stderr()
            .run();
    }
}

#[test]
fn a_value_computed_across_an_invalidation_of_the_root_is_not_served_as_valid() {
    for (world, env) in worlds() {
        env.cmd(["depend", "src", "objs"]).any_stdout().run();
        let started = env.path("started");
        let script = format!(
            "exec \"$0\" get objs main.o --or-run -- sh -c 'touch {}; sleep 1; echo built-before'",
            started.display()
        );
        let slow = start(&env, 1, &script);
        eventually(Duration::from_secs(20), "the command to start", || {
            started.exists()
        });
        env.cmd(["invalidate", "src"])
            .any_stdout()
            .any_stderr()
            .run();
        let answers = finish(slow);
        assert_eq!(answers[0], (0, "built-before\n".to_string()), "{world}");
        assert_eq!(
            env.get("objs", "main.o"),
            None,
            "{world}: not served as valid"
        );
        // Built again after the invalidation, it is stored.
        env.cmd([
            "get", "objs", "main.o", "--or-run", "--", "echo", "-n", "after",
        ])
        .stdout("after")
        .run();
        assert_eq!(env.get("objs", "main.o").unwrap(), b"after");
    }
}

#[test]
fn a_stale_value_is_served_at_once_and_refreshed_in_the_background() {
    for (world, env) in worlds() {
        let get = |value: &str| {
            env.cmd(["get", "c", "k", "--or-run", "--ttl", "1s", "--stale", "1h"])
                .arg("--")
                .arg("echo")
                .arg("-n")
                .arg(value)
                .any_stdout()
                .run()
                .stdout
        };
        assert_eq!(get("v1"), b"v1", "{world}");
        std::thread::sleep(Duration::from_millis(1200));
        assert_eq!(get("v2"), b"v1", "{world}: the stale value at once");
        eventually(Duration::from_secs(30), "the refresher to store", || {
            env.get("c", "k").as_deref() == Some(b"v2")
        });
        env.wait_for_background();
    }
}

#[test]
fn set_if_absent_from_eight_processes_leaves_exactly_one_winner() {
    for (world, env) in worlds() {
        let script = "exec \"$0\" set jobs nightly \"$$\" --if-absent";
        let answers = finish(start(&env, 8, script));
        let winners = answers.iter().filter(|(status, _)| *status == 0).count();
        assert_eq!(winners, 1, "{world}: {answers:?}");
        assert!(answers.iter().all(|(s, _)| *s == 0 || *s == 1), "{world}");
        let value = env.get("jobs", "nightly").unwrap();
        assert!(!value.is_empty(), "{world}");
        env.cmd(["set", "jobs", "nightly", "late", "--if-absent"])
            .status(1)
            .any_stderr()
            .run();
        assert_eq!(env.get("jobs", "nightly").unwrap(), value, "{world}");
    }
}

#[test]
fn incr_from_eight_processes_times_500_sums_exactly() {
    for (world, env) in worlds() {
        let script = "for i in $(seq 500); do \"$0\" incr hits n >/dev/null || exit 1; done";
        let answers = finish(start(&env, 8, script));
        assert!(answers.iter().all(|(s, _)| *s == 0), "{world}: {answers:?}");
        env.cmd(["incr", "hits", "n", "--by", "0"])
            .stdout("4000\n")
            .run();
        env.cmd(["incr", "hits", "n", "--by", "-4001"])
            .stdout("-1\n")
            .run();
    }
}

#[test]
fn incr_ttl_applies_when_the_entry_is_created() {
    for (world, env) in worlds() {
        env.cmd(["incr", "rate", "u", "--ttl", "1s"])
            .stdout("1\n")
            .run();
        env.cmd(["incr", "rate", "u", "--ttl", "1h"])
            .stdout("2\n")
            .run();
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(env.get("rate", "u"), None, "{world}: the first TTL holds");
        env.cmd(["incr", "rate", "u"]).stdout("1\n").run();
    }
}

#[test]
fn lock_holders_never_overlap() {
    for (world, env) in worlds() {
        let marks = env.path("marks");
        let script = format!(
            "exec \"$0\" lock --wait 2m deploy -- sh -c \
             'echo start >> {0}; sleep 0.05; echo end >> {0}'",
            marks.display()
        );
        let answers = finish(start(&env, 8, &script));
        assert!(answers.iter().all(|(s, _)| *s == 0), "{world}: {answers:?}");
        let expected = "start\nend\n".repeat(8);
        assert_eq!(fs::read_to_string(&marks).unwrap(), expected, "{world}");
    }
}

#[test]
fn lock_returns_the_status_refuses_a_held_lock_and_survives_kill_9() {
    for (world, env) in worlds() {
        env.cmd(["lock", "job", "--", "sh", "-c", "exit 5"])
            .status(5)
            .run();
        let held = env.path("held");
        let mut holder = env
            .std_command()
            .args(["lock", "job", "--", "sh", "-c"])
            .arg(format!("touch {}; exec sleep 30", held.display()))
            .process_group(0)
            .spawn()
            .unwrap();
        eventually(Duration::from_secs(20), "the holder to start", || {
            held.exists()
        });
        env.cmd(["lock", "job", "--", "true"])
            .status(1)
            .stderr_contains("held")
            .run();
        env.cmd(["lock", "--wait", "200ms", "job", "--", "true"])
            .status(1)
            .stderr_contains("held")
            .run();
        holder.kill().unwrap();
        holder.wait().unwrap();
        // The holder died outright: the next one gets the lock (on Redis,
        // once the lease runs out).
        env.cmd(["lock", "--wait", "60s", "job", "--", "echo", "next"])
            .stdout("next\n")
            .run();
        // The command the killed holder ran is still going: stop it.
        // (Never `kill -9 -PID` through procps's kill: it reads `-PID` as
        // options and signals every process, kill(-1).)
        let group = rustix::process::Pid::from_child(&holder);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = world;
    }
}

#[test]
fn bad_inputs_exit_2_with_one_line_and_change_nothing() {
    for (world, env) in worlds() {
        env.set("c", "word", "abc");
        env.set("c", "max", i64::MAX.to_string());
        for args in [
            &["incr", "c", "word"][..],
            &["incr", "c", "max"],
            &["incr", "c", "n", "--by", "x"],
            &["incr", "c", "n", "--by", "99999999999999999999"],
            &["lock", "a/b", "--", "true"],
            &[
                "get", "c", "k", "--or-run", "--stale", "1h", "--ttl", "never", "--", "true",
            ],
            &[
                "get",
                "c",
                "YQBi",
                "--key-base64",
                "--or-run",
                "--",
                "sh",
                "-c",
                "echo ran > ran",
            ],
        ] {
            let out = env.cmd(args).status(2).any_stderr().run();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert_error_form(&stderr);
            assert!(stderr.lines().count() <= 2, "{world}: {stderr}");
        }
        assert_eq!(env.get("c", "word").unwrap(), b"abc", "{world}");
        assert_eq!(
            env.get("c", "max").unwrap(),
            i64::MAX.to_string().as_bytes()
        );
        assert_eq!(env.get("c", "n"), None, "{world}");
        assert!(
            !env.path("ran").exists(),
            "{world}: a NUL key ran the command"
        );
    }
}

#[test]
fn a_batch_refuses_get_or_run_and_runs_incr_and_set_if_absent() {
    let env = Env::new();
    let lines = "incr c n --by 2\nset c f first --if-absent\nset c f second --if-absent\n\
                 get c k --or-run -- echo hi\n";
    let out = env.cmd(["batch"]).stdin(lines).any_stdout().status(2).run();
    let replies: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let statuses: Vec<_> = replies.iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, [0, 0, 1, 2], "{replies:?}");
    assert_eq!(replies[0]["output"], "2\n");
    assert!(
        replies[3]["error"]
            .as_str()
            .unwrap()
            .contains("cannot run commands")
    );
    assert_eq!(env.get("c", "f").unwrap(), b"first");
    assert_eq!(env.get("c", "k"), None);
}
