//! File bindings without a watcher: `bind`/`unbind` and how `ls` and `graph`
//! show them, `check`, `get`/`run --check-bindings` and the per-cache setting.

use crate::common;

use std::fs;

use common::Env;
use serde_json::{Value, json};

/// cfg bound to work/a.conf, report depending on cfg, other unbound; all filled.
fn bound_env() -> Env {
    let env = Env::new();
    fs::write(env.path("work/a.conf"), "1").unwrap();
    env.cmd(["bind", "cfg", "a.conf"]).run();
    env.cmd(["depend", "cfg", "report"]).run();
    for cache in ["cfg", "report", "other"] {
        env.set(cache, "k", "v");
    }
    env
}

fn hits(env: &Env, cache: &str) -> bool {
    env.get(cache, "k").is_some()
}

/// Runs `check` and asserts whether it invalidated something.
fn check_invalidates(env: &Env, invalidated: bool) {
    env.cmd(["check", "--status", "--quiet"])
        .status(i32::from(invalidated))
        .run();
}

#[test]
fn check_invalidates_caches_whose_files_changed_while_no_watcher_ran() {
    let env = bound_env();
    env.cmd(["check"]).run();
    assert!(hits(&env, "cfg"), "an unchanged file invalidates nothing");
    fs::write(env.path("work/a.conf"), "2").unwrap();
    env.cmd(["check"])
        .stdout("cfg: bound files changed; invalidated cfg, report\n")
        .run();
    assert!(!hits(&env, "cfg"));
    assert!(!hits(&env, "report"));
    assert!(hits(&env, "other"));
    env.set("cfg", "k", "v");
    env.cmd(["check"]).run();
    assert!(hits(&env, "cfg"), "the new fingerprint was recorded");
}

#[test]
fn check_sees_a_same_size_rewrite_made_at_once() {
    let env = bound_env();
    fs::write(env.path("work/a.conf"), "9").unwrap();
    check_invalidates(&env, true);
    assert!(!hits(&env, "cfg"));
}

#[test]
fn check_sees_deletion_creation_and_rename_over() {
    let env = bound_env();
    let file = env.path("work/a.conf");
    let changes: [&dyn Fn(); 3] = [
        &|| fs::remove_file(&file).unwrap(),
        &|| fs::write(&file, "back").unwrap(),
        &|| {
            fs::write(env.path("work/tmp"), "new").unwrap();
            fs::rename(env.path("work/tmp"), &file).unwrap();
        },
    ];
    for change in changes {
        env.set("cfg", "k", "v");
        change();
        let out = env.cmd(["check", "--json"]).any_stdout().run().stdout;
        let report: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(report[0]["invalidated"], json!(["cfg", "report"]));
        assert!(!hits(&env, "cfg"));
    }
}

#[test]
fn get_check_bindings_and_the_per_cache_setting_check_before_reading() {
    let env = bound_env();
    fs::write(env.path("work/a.conf"), "2").unwrap();
    assert!(hits(&env, "cfg"), "a plain get does not look at the files");
    env.cmd(["get", "cfg", "k", "--check-bindings"])
        .status(1)
        .run();
    assert!(!hits(&env, "report"), "the check cascades");
    env.set("cfg", "k", "v");
    env.cmd(["config", "cfg", "--check-bindings"])
        .any_stdout()
        .run();
    assert_eq!(env.ls_cache("cfg")["check_bindings"], true);
    fs::write(env.path("work/a.conf"), "3").unwrap();
    assert!(!hits(&env, "cfg"), "the setting checks on every get");
    env.cmd(["get", "other", "k", "--check-bindings"])
        .stdout("v")
        .run();
}

#[test]
fn ls_and_graph_show_bindings() {
    let env = bound_env();
    fs::create_dir(env.path("work/tree")).unwrap();
    env.cmd(["bind", "tree", "tree", "tree/**/*.rs"]).run();
    let tree = env.path("work/tree").display().to_string();
    assert_eq!(
        env.ls_cache("tree")["bindings"],
        json!([format!("{tree}/"), format!("{tree}/**/*.rs")])
    );
    assert_eq!(env.ls_cache("other")["bindings"], json!([]));
    let graph = env.cmd(["graph", "--json"]).any_stdout().run().stdout;
    let graph: Value = serde_json::from_slice(&graph).unwrap();
    let a_conf = env.path("work/a.conf").display().to_string();
    assert_eq!(graph["bindings"]["cfg"], json!([a_conf]));
    env.cmd(["graph", "cfg"])
        .stdout(format!("cfg\n└── report\ncfg <- {a_conf}\n"))
        .run();
    env.cmd(["ls"])
        .stdout_contains(&format!("{tree}/, {tree}/**/*.rs"))
        .run();
    fs::write(env.path("work/a,b\nc"), "").unwrap();
    env.cmd(["bind", "odd", "a,b\nc"]).run();
    let odd = format!("{:?}", env.path("work/a,b\nc").display().to_string());
    env.cmd(["ls"]).stdout_contains(&odd).run();
    env.cmd(["graph", "odd"])
        .stdout(format!("odd\nodd <- {odd}\n"))
        .run();
}

#[test]
fn unbind_removes_bindings_and_exits_1_when_none_matched() {
    let env = bound_env();
    env.cmd(["unbind", "cfg", "a.conf"]).run();
    assert_eq!(env.ls_cache("cfg")["bindings"], json!([]));
    fs::write(env.path("work/a.conf"), "2").unwrap();
    env.cmd(["check"]).run();
    assert!(hits(&env, "cfg"), "an unbound file changed");
    env.cmd(["bind", "cfg", "a.conf", "x", "y"]).run();
    env.cmd(["unbind", "cfg", "--all"]).run();
    assert_eq!(env.ls_cache("cfg")["bindings"], json!([]));
}

#[test]
fn an_unbind_of_paths_not_bound_says_so_and_changes_nothing() {
    let env = bound_env();
    fs::write(env.path("work/a.conf"), "changed").unwrap();
    let before = env.tree();
    let b_conf = env.path("work/b.conf");
    env.cmd(["unbind", "cfg", "b.conf"])
        .status(1)
        .stderr(format!(
            "cacheman: {} was not bound to 'cfg'\n",
            b_conf.display()
        ))
        .run();
    assert_eq!(env.tree(), before);
    assert!(hits(&env, "cfg"), "a refused unbind invalidates nothing");
    env.cmd(["unbind", "cfg", "a.conf", "b.conf"])
        .stderr_contains("b.conf was not bound")
        .run();
    assert!(!hits(&env, "cfg"), "a.conf had changed while bound");
}

#[test]
fn a_bound_directory_deleted_since_can_be_unbound_with_or_without_a_slash() {
    let env = bound_env();
    for named in ["tree", "tree/"] {
        fs::create_dir(env.path("work/tree")).unwrap();
        env.cmd(["bind", "dd", "tree"]).run();
        fs::remove_dir(env.path("work/tree")).unwrap();
        env.cmd(["unbind", "dd", named]).run();
        assert_eq!(env.ls_cache("dd")["bindings"], json!([]), "{named}");
    }
}

#[test]
fn a_trailing_slash_binds_a_directory_that_does_not_exist_yet() {
    let env = bound_env();
    env.cmd(["bind", "late", "build/"]).run();
    let build = env.path("work/build").display().to_string();
    assert_eq!(
        env.ls_cache("late")["bindings"],
        json!([format!("{build}/")])
    );
    env.cmd(["bind", "cfg", "a.conf/"])
        .usage_error("is not a directory")
        .run();
    fs::create_dir(env.path("work/build")).unwrap();
    fs::write(env.path("work/build/out.o"), "1").unwrap();
    env.set("late", "k", "v");
    check_invalidates(&env, true);
    assert!(!hits(&env, "late"));
    env.set("late", "k", "v");
    check_invalidates(&env, false);
    fs::write(env.path("work/build/out.o"), "2").unwrap();
    check_invalidates(&env, true);
    assert!(!hits(&env, "late"), "a file inside counts");
}

#[test]
fn a_path_bound_as_a_file_that_becomes_a_directory_covers_the_tree() {
    let env = bound_env();
    env.cmd(["bind", "p", "later"]).run();
    fs::create_dir(env.path("work/later")).unwrap();
    env.cmd(["check", "--quiet"]).run();
    env.set("p", "k", "v");
    fs::write(env.path("work/later/x"), "").unwrap();
    check_invalidates(&env, true);
    assert!(!hits(&env, "p"));
}

#[test]
fn check_counts_empty_directories_and_links_but_does_not_follow_them() {
    let env = bound_env();
    fs::create_dir_all(env.path("work/tree")).unwrap();
    fs::create_dir_all(env.path("outside")).unwrap();
    fs::write(env.path("outside/target"), "1").unwrap();
    env.cmd(["bind", "tree", "tree"]).run();
    env.set("tree", "k", "v");
    fs::create_dir(env.path("work/tree/empty")).unwrap();
    check_invalidates(&env, true);
    std::os::unix::fs::symlink(env.path("outside"), env.path("work/tree/link")).unwrap();
    check_invalidates(&env, true);
    env.set("tree", "k", "v");
    fs::write(env.path("outside/target"), "2").unwrap();
    check_invalidates(&env, false);
    assert!(hits(&env, "tree"), "a link's target is not in the tree");
}

#[test]
fn a_glob_under_a_directory_whose_name_is_not_utf8_is_checked() {
    use std::os::unix::ffi::OsStrExt;
    let env = bound_env();
    let name = std::ffi::OsStr::from_bytes(b"d\xff");
    fs::create_dir(env.path("work").join(name)).unwrap();
    let mut glob = name.to_owned();
    glob.push("/*.txt");
    env.cmd(["bind", "ng"]).arg(&glob).run();
    env.set("ng", "k", "v");
    fs::write(env.path("work").join(name).join("x.txt"), "").unwrap();
    check_invalidates(&env, true);
    assert!(!hits(&env, "ng"));
    env.cmd(["bind", "ng"])
        .arg(std::ffi::OsStr::from_bytes(b"*\xff.txt"))
        .usage_error("not valid UTF-8")
        .run();
}

#[test]
fn a_glob_without_doublestar_matches_at_its_own_depth_only() {
    let env = bound_env();
    fs::create_dir_all(env.path("work/deep/a/b")).unwrap();
    env.cmd(["bind", "g", "*.conf"]).run();
    env.set("g", "k", "v");
    fs::write(env.path("work/deep/a/b/x.conf"), "").unwrap();
    check_invalidates(&env, false);
    assert!(hits(&env, "g"), "*.conf does not reach into subdirectories");
}

#[test]
fn check_invalidates_a_dependent_of_several_changed_caches_once() {
    let env = bound_env();
    fs::write(env.path("work/b.conf"), "1").unwrap();
    env.cmd(["bind", "other", "b.conf"]).run();
    env.cmd(["depend", "other", "report"]).run();
    fs::write(env.path("work/a.conf"), "2").unwrap();
    fs::write(env.path("work/b.conf"), "2").unwrap();
    let out = env.cmd(["check", "--json"]).any_stdout().run().stdout;
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report[0]["cache"], "cfg");
    assert_eq!(report[1]["cache"], "other");
    assert_eq!(report[0]["epoch"], report[1]["epoch"], "one invalidation");
}

#[test]
fn dropping_a_cache_drops_its_bindings() {
    let env = bound_env();
    env.cmd(["drop", "cfg", "--force"]).run();
    env.cmd(["graph", "--json"])
        .stdout_contains(r#""bindings":{}"#)
        .run();
}

#[test]
fn bad_input_is_refused_with_nothing_changed() {
    let env = bound_env();
    fs::write(env.path("work/a.conf"), "changed").unwrap();
    let before = env.tree();
    env.cmd(["bind", "cfg", "src/[oops"])
        .usage_error("bad glob")
        .run();
    env.cmd(["bind", "cfg", ""]).usage_error("empty path").run();
    env.cmd(["bind", "bad/name", "a.conf"])
        .usage_error("invalid cache name \"bad/name\"")
        .run();
    env.cmd(["unbind", "nosuch", "a.conf"])
        .usage_error("no cache named 'nosuch'")
        .run();
    env.cmd(["check", "nosuch"])
        .usage_error("no cache named 'nosuch'")
        .run();
    env.cmd(["check", "cfg", "nosuch"])
        .usage_error("no cache named 'nosuch'")
        .run();
    env.cmd(["config", "--check-bindings"])
        .usage_error("only --autosync")
        .run();
    for inside in ["../store", "../store/manifest", "../store/*"] {
        env.cmd(["bind", "loop", inside])
            .usage_error("cannot bind a path inside the store")
            .run();
    }
    assert_eq!(env.tree(), before);
    assert!(hits(&env, "cfg"), "nothing was checked");
}

#[test]
fn a_store_inside_a_bound_tree_is_no_change_to_it() {
    let env = Env::new();
    env.cmd(["bind", "everything"]).arg(env.root()).run();
    env.set("everything", "k", "v");
    env.cmd(["sync"]).any_stderr().run();
    check_invalidates(&env, false);
    assert!(hits(&env, "everything"));
    fs::write(env.path("work/new"), "").unwrap();
    env.cmd(["check", "--status"]).status(1).any_stdout().run();
}

/// `cacheman run [FLAGS] -- sh -c ...` of a command that counts its runs in
/// `work/count` and prints `work/a.conf`: what it printed.
fn counted_run(env: &Env, flags: &[&str]) -> Vec<u8> {
    let command = ["--", "sh", "-c", "echo x >> count; cat a.conf"];
    env.cmd([&["run"], flags, &command].concat())
        .any_stdout()
        .run()
        .stdout
}

/// How many times [`counted_run`]'s command ran.
fn counted_runs(env: &Env) -> usize {
    fs::read_to_string(env.path("work/count"))
        .unwrap()
        .lines()
        .count()
}

#[test]
fn run_check_bindings_reruns_when_a_bound_file_changed() {
    let env = Env::new();
    fs::write(env.path("work/a.conf"), "1").unwrap();
    env.cmd(["bind", "run", "a.conf"]).run();
    let run = || counted_run(&env, &["--check-bindings"]);
    let runs = || counted_runs(&env);
    assert_eq!(run(), b"1");
    assert_eq!(run(), b"1");
    assert_eq!(runs(), 1, "unchanged bound files: the second call replays");
    fs::write(env.path("work/a.conf"), "2").unwrap();
    assert_eq!(
        run(),
        b"2",
        "the changed file invalidated the stored result"
    );
    assert_eq!(runs(), 2);
}

#[test]
fn the_per_cache_setting_checks_before_has_and_run_too() {
    let env = bound_env();
    env.cmd(["config", "cfg", "--check-bindings"])
        .any_stdout()
        .run();
    env.cmd(["has", "cfg", "k"]).run();
    fs::write(env.path("work/a.conf"), "changed").unwrap();
    env.cmd(["has", "cfg", "k"]).status(1).run();
    assert!(!hits(&env, "report"), "the check cascades");

    env.cmd(["bind", "run", "a.conf"]).run();
    env.cmd(["config", "run", "--check-bindings"])
        .any_stdout()
        .run();
    assert_eq!(counted_run(&env, &[]), b"changed");
    assert_eq!(counted_run(&env, &[]), b"changed");
    assert_eq!(counted_runs(&env), 1, "unchanged: the second call replays");
    fs::write(env.path("work/a.conf"), "again").unwrap();
    assert_eq!(counted_run(&env, &[]), b"again", "checked without the flag");
    assert_eq!(counted_runs(&env), 2);
}

fn epoch(env: &Env) -> u64 {
    let out = env.cmd(["epoch"]).any_stdout().run().stdout;
    String::from_utf8(out).unwrap().trim().parse().unwrap()
}

#[test]
fn concurrent_checked_reads_of_one_change_invalidate_once() {
    let env = Env::new();
    for dir in 0..20 {
        fs::create_dir_all(env.path(format!("work/big/d{dir}"))).unwrap();
        for file in 0..50 {
            fs::write(env.path(format!("work/big/d{dir}/f{file}")), "").unwrap();
        }
    }
    env.cmd(["bind", "tb", "big"]).run();
    env.cmd(["config", "tb", "--check-bindings"])
        .any_stdout()
        .run();
    env.set("tb", "k", "v");
    fs::write(env.path("work/big/d1/f1"), "changed").unwrap();
    let before = epoch(&env);
    let readers: Vec<_> = (0..8)
        .map(|_| {
            env.std_command()
                .args(["get", "tb", "k"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut reader in readers {
        assert_eq!(reader.wait().unwrap().code(), Some(1), "each read misses");
    }
    assert_eq!(epoch(&env), before + 1, "one change, one invalidation");
    env.set("tb", "k", "v");
    assert!(hits(&env, "tb"), "the value set after it stays");
}

/// Sets `file`'s mtime to 1.9 s ago: racy for a moment more.
fn written_just_before_the_settle_time(file: &std::path::Path) {
    let written = std::time::SystemTime::now() - std::time::Duration::from_millis(1900);
    let file = fs::File::options().write(true).open(file).unwrap();
    file.set_modified(written).unwrap();
}

#[test]
fn the_first_check_after_racy_files_settle_records_their_fingerprint() {
    use std::os::unix::fs::MetadataExt;
    let env = bound_env();
    written_just_before_the_settle_time(&env.path("work/a.conf"));
    env.cmd(["check", "--status"]).status(1).any_stdout().run();
    let manifest = || fs::metadata(env.store().join("manifest")).unwrap().ino();
    let racy = manifest();
    common::eventually(
        std::time::Duration::from_secs(30),
        "a.conf to settle",
        || {
            let mtime = fs::metadata(env.path("work/a.conf")).unwrap().modified();
            mtime.unwrap().elapsed().unwrap_or_default() > std::time::Duration::from_secs(2)
        },
    );
    check_invalidates(&env, false);
    let settled = manifest();
    assert_ne!(settled, racy, "the settled fingerprint was recorded");
    check_invalidates(&env, false);
    assert_eq!(manifest(), settled, "and is not recorded again");
    fs::write(env.path("work/a.conf"), "2").unwrap();
    check_invalidates(&env, true);
}

#[test]
fn an_access_time_update_a_hard_link_or_a_chown_is_no_change() {
    let env = bound_env();
    let file = env.path("work/a.conf");
    let times = fs::FileTimes::new().set_accessed(std::time::SystemTime::now());
    fs::File::open(&file).unwrap().set_times(times).unwrap();
    fs::hard_link(&file, env.path("work/a.link")).unwrap();
    let meta = fs::metadata(&file).unwrap();
    use std::os::unix::fs::MetadataExt;
    std::os::unix::fs::chown(&file, Some(meta.uid()), Some(meta.gid())).unwrap();
    check_invalidates(&env, false);
    assert!(hits(&env, "cfg"));
    let perms = fs::Permissions::from_mode(0o600);
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&file, perms).unwrap();
    check_invalidates(&env, true);
}

#[test]
fn a_directory_a_glob_matches_covers_its_whole_tree() {
    let env = bound_env();
    fs::create_dir_all(env.path("work/tree/sub/deeper")).unwrap();
    fs::write(env.path("work/tree/sub/deeper/x"), "1").unwrap();
    env.cmd(["bind", "g", "tree/*"]).run();
    env.set("g", "k", "v");
    fs::write(env.path("work/tree/sub/deeper/x"), "22").unwrap();
    check_invalidates(&env, true);
    assert!(!hits(&env, "g"));
}
