//! The store's file access against a hostile or damaged file system: a store
//! someone else owns or can write is refused, no symbolic link inside a store
//! is followed (nor written, read or deleted through), a FIFO in a file's place
//! never blocks a command, and a damaged lock file is found and replaced.

use crate::common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Env, StoreVia, Tree};

/// A uid no account on the test machine has.
const STRANGER: u32 = 54321;

/// Makes `dir` world-writable and, when `owner` is given, hands it over.
fn share(dir: &Path, owner: Option<u32>) {
    fs::create_dir_all(dir).unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o777)).unwrap();
    if let Some(uid) = owner {
        std::os::unix::fs::chown(dir, Some(uid), Some(uid)).unwrap();
    }
}

#[test]
fn a_store_someone_else_owns_or_can_write_is_refused() {
    let env = Env::new().store_via(StoreVia::Flag);
    share(&env.store(), Some(STRANGER));
    env.cmd(["set", "c", "k", "v"])
        .store_error("owned by uid 54321 (you are uid 0), mode 0777; fix: use another --dir")
        .run();
    env.cmd(["get", "c", "k"])
        .store_error("refusing a store directory others can change")
        .run();
    assert_eq!(
        fs::read_dir(env.store()).unwrap().count(),
        0,
        "nothing written"
    );

    let own = Env::new().store_via(StoreVia::Flag);
    share(&own.store(), None);
    let fix = format!("fix: `chmod 700 {}`", own.store().display());
    own.cmd(["set", "c", "k", "v"]).store_error(&fix).run();
    fs::set_permissions(own.store(), fs::Permissions::from_mode(0o700)).unwrap();
    own.set("c", "k", "v");
}

#[test]
fn a_refused_store_names_its_fix_with_no_misleading_hint() {
    for owner in [None, Some(STRANGER)] {
        let env = Env::new().store_via(StoreVia::Flag);
        share(&env.store(), owner);
        let refused = env.cmd(["set", "c", "k", "v"]).status(3).any_stderr().run();
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("fix: "), "{stderr}");
        assert!(
            !stderr.contains("hint:"),
            "the line names the fix: {stderr}"
        );
    }
}

#[test]
fn a_shared_project_store_found_by_discovery_is_refused() {
    let env = Env::new()
        .store_via(StoreVia::Nothing)
        .cwd("work/project/src");
    let project = env.path("work/project/.cacheman");
    share(&project, Some(STRANGER));
    env.cmd(["set", "c", "k", "v"])
        .store_error(".cacheman: refusing a store directory others can change")
        .run();
    assert_eq!(
        fs::read_dir(&project).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn a_store_made_by_cacheman_is_private() {
    let env = Env::new();
    env.set("c", "k", "v");
    for dir in [env.store(), env.store().join("caches"), env.cache_dir("c")] {
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
}

#[test]
fn links_planted_at_temporary_names_are_never_written_through() {
    let env = Env::new();
    env.set("c", "k", "v");
    let victim = env.path("victim");
    fs::write(&victim, b"keep").unwrap();
    let cache = env.cache_dir("c");
    let planted = [
        env.store().join("manifest.tmp"),
        cache.join("HEAD.tmp"),
        cache.join("snap.2.tmp"),
        cache.join("journal.2.tmp"),
        cache.join("counters.tmp"),
    ];
    for link in &planted {
        symlink(&victim, link).unwrap();
    }
    env.cmd(["create", "x"]).run();
    env.set("c", "k2", "v2");
    env.cmd(["sync", "c"]).any_stderr().run();
    assert_eq!(env.get("c", "k2").as_deref(), Some(&b"v2"[..]));
    assert_eq!(
        fs::read(&victim).unwrap(),
        b"keep",
        "the link's target untouched"
    );
    for file in [env.store().join("manifest"), cache.join("HEAD")] {
        assert!(
            fs::symlink_metadata(&file).unwrap().is_file(),
            "{}",
            file.display()
        );
    }
}

/// A directory outside the store holding files whose names a cache's own
/// files have, and the tree it holds.
fn decoy(env: &Env) -> (PathBuf, Tree) {
    let outside = env.path("elsewhere");
    fs::create_dir(&outside).unwrap();
    for name in ["journal.1", "snap.1", "HEAD", "write.lock"] {
        fs::write(outside.join(name), name).unwrap();
    }
    let tree = Tree::of(&outside);
    (outside, tree)
}

/// Every command that would write, read or delete through `link` refuses,
/// `verify` reports it, and `repair` moves it (never what it points to) into
/// `quarantine`; the decoy's files are untouched throughout.
fn link_is_refused_and_set_aside(env: &Env, link: &Path, quarantine: &Path) {
    let (outside, before) = decoy(env);
    fs::remove_dir_all(link).unwrap();
    symlink(&outside, link).unwrap();
    let named = format!("{}: damaged at offset 0: a symbolic link", link.display());
    for args in [
        &["set", "c", "k", "v"][..],
        &["get", "c", "old"],
        &["sync", "c"],
        &["gc", "c"],
    ] {
        env.cmd(args).store_error(&named).run();
    }
    verify_names_link(env, &["verify"], link);
    env.cmd(["repair", "c"]).any_stdout().any_stderr().run();
    assert!(fs::symlink_metadata(quarantine).unwrap().is_symlink());
    assert!(fs::symlink_metadata(env.cache_dir("c")).unwrap().is_dir());
    env.set("c", "k", "v");
    before.assert_same(&Tree::of(&outside), "the directory the link led to");
}

/// `verify` (of the store, or of `c`) exits 1 naming `link` as a symbolic link.
#[track_caller]
fn verify_names_link(env: &Env, verify: &[&str], link: &Path) {
    let report = env.cmd(verify).status(1).any_stdout().any_stderr().run();
    let report = String::from_utf8(report.stdout).unwrap();
    assert!(
        report.contains(&format!("{}: a symbolic link", link.display())),
        "{report}"
    );
}

fn populated(env: &Env) {
    env.set("c", "old", "value");
    env.cmd(["sync", "c"]).any_stderr().run();
    env.set("c", "later", "value");
}

#[test]
fn a_cache_directory_linked_elsewhere_is_refused_and_set_aside() {
    let env = Env::new();
    populated(&env);
    let quarantine = env.store().join("quarantine/c");
    link_is_refused_and_set_aside(&env, &env.cache_dir("c"), &quarantine);
}

#[test]
fn a_caches_folder_linked_elsewhere_is_refused_and_set_aside() {
    let env = Env::new();
    populated(&env);
    let quarantine = env.store().join("quarantine/caches");
    link_is_refused_and_set_aside(&env, &env.store().join("caches"), &quarantine);
}

/// Runs a command that must end within a few seconds; returns its exit
/// status and its stderr.
fn briefly(env: &Env, args: &[&str]) -> (Option<i32>, String) {
    let mut child = env
        .std_command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("cacheman {args:?} blocked (on a FIFO?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_fifo_for_a_snapshot_journal_or_blob_never_blocks() {
    for kind in ["snapshot", "journal", "blob"] {
        let env = Env::new();
        populated(&env);
        env.cmd(["set", "c", "big"])
            .stdin(vec![7u8; 64 << 10])
            .run();
        let fifo = match kind {
            "snapshot" => env.snapshot("c"),
            "journal" => env.active_journal("c"),
            _ => blob_of(&env),
        };
        common::mkfifo(&fifo);
        let key = if kind == "blob" { "big" } else { "old" };
        let mut commands = vec![vec!["get", "c", key], vec!["export", "c"]];
        if kind != "blob" {
            commands.push(vec!["sync", "c"]);
        }
        for args in commands {
            let (status, stderr) = briefly(&env, &args);
            assert_eq!(status, Some(3), "{kind}: {args:?}: {stderr}");
            assert!(
                stderr.contains("a FIFO, not a regular file"),
                "{kind}: {stderr}"
            );
        }
        let (status, stderr) = briefly(&env, &["repair", "c"]);
        assert_eq!(status, Some(0), "{kind}: repair: {stderr}");
        assert!(env.cache_dir("c").join("quarantine").is_dir(), "{kind}");
        env.cmd(["verify", "c"]).any_stdout().run();
    }
}

/// The one blob file of cache `c`.
fn blob_of(env: &Env) -> PathBuf {
    let blobs = env.cache_dir("c").join("blobs");
    let fan = fs::read_dir(&blobs)
        .unwrap()
        .map(|item| item.unwrap().path())
        .find(|path| path.is_dir())
        .unwrap();
    fs::read_dir(fan).unwrap().next().unwrap().unwrap().path()
}

/// Puts something other than a usable lock file at a lock file's path.
type Damage = fn(&Path);

#[test]
fn a_damaged_lock_file_is_reported_and_replaced() {
    let damages: [(&str, Damage); 3] = [
        ("a directory, not a lock file", |p| {
            fs::create_dir(p).unwrap()
        }),
        ("a symbolic link, not a lock file", |p| {
            symlink(p.with_file_name("nowhere"), p).unwrap()
        }),
        (
            "a lock file its owner cannot read and write (mode 0000)",
            |p| {
                fs::write(p, b"").unwrap();
                fs::set_permissions(p, fs::Permissions::from_mode(0o000)).unwrap();
            },
        ),
    ];
    for (what, damage) in damages {
        let env = Env::new();
        populated(&env);
        let lock = env.cache_dir("c").join("write.lock");
        fs::remove_file(&lock).unwrap();
        damage(&lock);
        let report = env
            .cmd(["verify", "c"])
            .status(1)
            .any_stdout()
            .any_stderr()
            .run();
        let report = String::from_utf8(report.stdout).unwrap();
        assert!(report.contains(&format!("write.lock: {what}")), "{report}");
        env.cmd(["repair", "c"]).any_stdout().any_stderr().run();
        let aside = env.cache_dir("c").join("quarantine/write.lock");
        assert!(fs::symlink_metadata(&aside).is_ok(), "{what}: moved aside");
        env.set("c", "k", "v");
        let mode = fs::symlink_metadata(&lock).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{what}: a fresh lock file");
        env.cmd(["verify", "c"]).stdout_contains("c: ok").run();
    }
}

#[test]
fn a_blobs_folder_linked_elsewhere_is_refused_and_set_aside() {
    let env = Env::new();
    populated(&env);
    env.cmd(["set", "c", "big"])
        .stdin(vec![7u8; 64 << 10])
        .run();
    let blobs = env.cache_dir("c").join("blobs");
    let outside = env.path("elsewhere");
    fs::create_dir_all(outside.join("ab")).unwrap();
    fs::write(outside.join("ab").join("ab".repeat(32)), b"not a blob").unwrap();
    fs::write(outside.join("tmp.999999999.0"), b"a dead writer's").unwrap();
    let before = Tree::of(&outside);
    fs::remove_dir_all(&blobs).unwrap();
    symlink(&outside, &blobs).unwrap();
    let named = format!("{}: damaged at offset 0: a symbolic link", blobs.display());
    for args in [&["get", "c", "big"][..], &["gc", "c"]] {
        env.cmd(args).store_error(&named).run();
    }
    env.cmd(["set", "c", "big2"])
        .stdin(vec![8u8; 64 << 10])
        .store_error(&named)
        .run();
    verify_names_link(&env, &["verify", "c"], &blobs);
    env.cmd(["repair", "c"]).any_stdout().any_stderr().run();
    let aside = env.cache_dir("c").join("quarantine/blobs");
    assert!(fs::symlink_metadata(aside).unwrap().is_symlink());
    env.cmd(["gc", "c"]).any_stdout().run();
    env.cmd(["set", "c", "big2"])
        .stdin(vec![8u8; 64 << 10])
        .run();
    before.assert_same(&Tree::of(&outside), "the directory the link led to");
}

#[test]
fn a_linked_run_notes_folder_is_never_written_read_or_swept_through() {
    let env = Env::new();
    fs::write(env.path("work/input"), "one").unwrap();
    let run = |env: &Env| {
        env.cmd(["run", "--input", "input", "--", "cat", "input"])
            .any_stdout()
            .any_stderr()
            .status(0)
            .run();
    };
    run(&env);
    let notes = env.store().join("run-notes/run");
    assert!(notes.is_dir(), "the first run wrote a note");
    let outside = env.path("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("victim"), "keep me").unwrap();
    // Old enough that a sweep would not take it for a note just written.
    let old = fs::FileTimes::new().set_modified(std::time::UNIX_EPOCH);
    fs::File::options()
        .write(true)
        .open(outside.join("victim"))
        .unwrap()
        .set_times(old)
        .unwrap();
    fs::remove_dir_all(&notes).unwrap();
    symlink(&outside, &notes).unwrap();
    let before = Tree::of(&outside);
    fs::write(env.path("work/input"), "two").unwrap();
    run(&env);
    env.cmd(["gc"]).any_stdout().any_stderr().status(0).run();
    env.cmd(["drop", "run", "--force"])
        .any_stdout()
        .any_stderr()
        .run();
    before.assert_same(&Tree::of(&outside), "the folder behind the link");
}

#[test]
fn a_quarantine_folder_linked_elsewhere_is_reported_and_set_aside() {
    let env = Env::new();
    populated(&env);
    let (outside, before) = decoy(&env);
    let folder = env.cache_dir("c").join("quarantine");
    symlink(&outside, &folder).unwrap();
    fs::write(env.cache_dir("c").join("journal.2"), b"junk").unwrap();
    verify_names_link(&env, &["verify", "c"], &folder);
    env.cmd(["repair", "c"]).any_stdout().any_stderr().run();
    let aside = env.store().join("quarantine/quarantine");
    assert!(fs::symlink_metadata(aside).unwrap().is_symlink());
    assert!(fs::symlink_metadata(&folder).unwrap().is_dir());
    env.cmd(["verify", "c"]).stdout_contains("c: ok").run();
    before.assert_same(&Tree::of(&outside), "the directory the link led to");
}

#[test]
fn a_store_folder_linked_elsewhere_is_reported_with_its_fix() {
    for folder in ["tmp", "run-locks", "run-spool", "run-notes", "quarantine"] {
        let env = Env::new();
        populated(&env);
        let (outside, before) = decoy(&env);
        let link = env.store().join(folder);
        let _ = fs::remove_dir_all(&link);
        symlink(&outside, &link).unwrap();
        let report = env.cmd(["verify"]).status(1).any_stdout().run();
        let report = String::from_utf8(report.stdout).unwrap();
        let fix = format!("remove it (`rm {}`)", link.display());
        assert!(report.contains(&fix), "{folder}: {report}");
        fs::remove_file(&link).unwrap();
        env.cmd(["verify"]).stdout_contains("c: ok").run();
        before.assert_same(&Tree::of(&outside), folder);
    }
}

#[test]
fn files_planted_while_a_store_was_open_are_never_used_once_it_is_private() {
    // Someone else fills a store directory while it is open to everyone...
    let theirs = Env::new();
    theirs.set("c", "k", "planted");
    let env = Env::new().store_via(StoreVia::Flag);
    share(&env.store(), None);
    for entry in fs::read_dir(theirs.store()).unwrap() {
        let from = entry.unwrap().path();
        let to = env.store().join(from.file_name().unwrap());
        let copied = std::process::Command::new("cp")
            .arg("-a")
            .arg(&from)
            .arg(&to)
            .status();
        assert!(copied.unwrap().success());
        let handed = std::process::Command::new("chown")
            .args(["-R", &STRANGER.to_string()])
            .arg(&to)
            .status();
        assert!(handed.unwrap().success());
    }
    // ...then its owner follows the refusal's fix, `chmod 700`.
    fs::set_permissions(env.store(), fs::Permissions::from_mode(0o700)).unwrap();
    let said = "owned by uid 54321, not by this user";
    env.cmd(["get", "c", "k"]).store_error(said).run();
    env.cmd(["set", "c", "k", "mine"]).store_error(said).run();
    env.cmd(["verify"]).store_error(said).run();
}

#[test]
fn a_cache_directory_others_can_change_is_reported_by_verify() {
    let env = Env::new();
    env.set("c", "k", "v");
    let dir = env.cache_dir("c");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    env.cmd(["verify", "c"])
        .status(1)
        .stdout_contains("a directory others can change (this user's, mode 0777)")
        .any_stderr()
        .run();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&dir, Some(STRANGER), Some(STRANGER)).unwrap();
    env.cmd(["verify", "c"])
        .status(1)
        .stdout_contains("uid 54321's, mode 0700")
        .any_stderr()
        .run();
    std::os::unix::fs::chown(&dir, Some(0), Some(0)).unwrap();
    env.cmd(["verify", "c"]).stdout_contains("c: ok").run();
}
