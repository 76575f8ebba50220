//! Volatile caches' folder: recorded in the store, so every caller finds it
//! whatever its environment, and checked before use, so a folder someone else
//! planted under the predictable name fails only the volatile caches.

use crate::common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, chown, symlink};
use std::path::{Path, PathBuf};

use common::{Env, Tree};

/// A user id no account has: stands for another user.
const STRANGER: u32 = 54321;

/// The folder name cacheman picks for a store in a runtime directory.
fn default_folder(env: &Env) -> PathBuf {
    let tag = blake3::hash(env.store().as_os_str().as_encoded_bytes()).to_hex();
    env.runtime().join(format!("cacheman-{}", &tag[..16]))
}

/// A way to plant something at the folder's name: its name, how, and what
/// the refusal must say about it.
type Plant = (&'static str, fn(&Path), &'static str);

/// The three ways a folder at the name is not this user's private one.
fn plants() -> Vec<Plant> {
    vec![
        ("foreign", plant_foreign, "owned by uid 54321"),
        ("open", plant_open, "mode 0777"),
        ("symlink", plant_symlink, "symbolic link"),
    ]
}

fn plant_foreign(folder: &Path) {
    fs::create_dir(folder).unwrap();
    fs::set_permissions(folder, fs::Permissions::from_mode(0o700)).unwrap();
    chown(folder, Some(STRANGER), Some(STRANGER)).unwrap();
}

fn plant_open(folder: &Path) {
    fs::create_dir(folder).unwrap();
    fs::set_permissions(folder, fs::Permissions::from_mode(0o777)).unwrap();
}

fn plant_symlink(folder: &Path) {
    let target = folder.with_file_name("elsewhere");
    fs::create_dir(&target).unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o700)).unwrap();
    symlink(&target, folder).unwrap();
}

#[test]
fn a_planted_folder_refuses_create_volatile_and_changes_nothing() {
    for (what, plant, says) in plants() {
        let env = Env::new().with_runtime_dir();
        env.set("p", "k", "persistent");
        plant(&default_folder(&env));
        let before = env.tree();
        env.cmd(["create", "v", "--volatile"])
            .store_error(says)
            .run();
        before.assert_same(&env.tree(), what);
        env.cmd(["get", "p", "k"]).stdout("persistent").run();
    }
}

/// A store with a volatile cache `v` and a persistent `p`, each holding `k`,
/// whose volatile folder a reboot emptied and someone then took (`plant`).
fn taken_after_a_reboot(plant: fn(&Path)) -> Env {
    let env = Env::new().with_runtime_dir();
    env.cmd(["create", "v", "--volatile"]).run();
    env.set("v", "k", "volatile");
    env.set("p", "k", "persistent");
    let folder = default_folder(&env);
    fs::remove_dir_all(&folder).unwrap();
    plant(&folder);
    env
}

#[test]
fn a_folder_planted_after_a_reboot_fails_only_the_volatile_caches() {
    for (what, plant, says) in plants() {
        let env = taken_after_a_reboot(plant);
        let before = env.tree();

        env.cmd(["get", "v", "k"]).store_error(says).run();
        env.cmd(["set", "v", "k", "x"]).store_error(says).run();
        before.assert_same(&env.tree(), what);

        let listed = env
            .cmd(["ls", "--json"])
            .status(3)
            .any_stdout()
            .stderr_contains(says)
            .run();
        let listed = common::json(&listed.stdout);
        assert_eq!(listed[0]["name"], "p", "{what}");
        assert_eq!(listed[0]["entries"], 1, "{what}");
        assert!(listed[0].get("problem").is_none(), "{what}");
        assert!(
            listed[1]["problem"].as_str().unwrap().contains(says),
            "{what}: {listed}"
        );
        env.cmd(["ls"])
            .status(3)
            .stdout_contains("volatile")
            .stderr_contains(says)
            .run();
        env.cmd(["stats"])
            .status(3)
            .stdout_contains("p ")
            .stderr_contains(says)
            .run();
        let synced = env.cmd(["sync"]).status(3).any_stderr().run();
        let said = String::from_utf8_lossy(&synced.stderr);
        assert!(
            said.contains("p: merged 1 change") && said.contains(says),
            "{what}: {said}"
        );
        env.cmd(["gc"])
            .status(3)
            .stdout_contains("p:")
            .stderr_contains(says)
            .run();
        env.cmd(["verify"])
            .status(3)
            .stdout_contains("p: ok")
            .stderr_contains(says)
            .run();
        env.cmd(["get", "p", "k"]).stdout("persistent").run();
    }
}

#[test]
fn a_volatile_value_is_found_by_a_caller_without_xdg_runtime_dir() {
    let env = Env::new().with_runtime_dir();
    env.cmd(["create", "v", "--volatile"]).run();
    env.set("v", "k", "kept in the runtime dir");
    // A cron job or sudo: no XDG_RUNTIME_DIR.
    let output = env
        .command()
        .env_remove("XDG_RUNTIME_DIR")
        .args(["get", "v", "k"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "kept in the runtime dir",
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0));
    // And a write from there lands in the same folder.
    env.command()
        .env_remove("XDG_RUNTIME_DIR")
        .args(["set", "v", "k2", "from cron"])
        .assert()
        .success();
    env.cmd(["get", "v", "k2"]).stdout("from cron").run();
    assert!(default_folder(&env).join("v").is_dir());
}

#[test]
fn a_volatile_cache_in_a_folder_taken_by_someone_else_can_be_dropped() {
    for (what, plant, _) in plants() {
        let env = taken_after_a_reboot(plant);
        let planted = Tree::of(&env.runtime());
        env.cmd(["drop", "v"]).run();
        planted.assert_same(&Tree::of(&env.runtime()), what);
        env.cmd(["ls"]).stdout_contains("p ").run();
        env.cmd(["verify"]).stdout_contains("p: ok").run();
        env.cmd(["get", "p", "k"]).stdout("persistent").run();
        // The store forgot the folder with its last volatile cache: the next
        // one goes where the caller's runtime directory now is.
        let elsewhere = env.path(format!("run-{what}"));
        fs::create_dir(&elsewhere).unwrap();
        fs::set_permissions(&elsewhere, fs::Permissions::from_mode(0o700)).unwrap();
        let env = env.var("XDG_RUNTIME_DIR", &elsewhere);
        env.cmd(["create", "v", "--volatile"]).run();
        env.set("v", "k", "again");
        env.cmd(["get", "v", "k"]).stdout("again").run();
        planted.assert_same(&Tree::of(&env.runtime()), what);
    }
}
