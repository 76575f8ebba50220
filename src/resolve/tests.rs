//! Which rule chooses the store, and what each refuses.

use std::collections::HashMap;

use super::*;

/// An environment of these variables only.
fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
    let vars: HashMap<String, OsString> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), OsString::from(v)))
        .collect();
    move |name| vars.get(name).cloned()
}

fn named<'a>(store: Option<&'a str>, dir: Option<&'a str>) -> Named<'a> {
    Named {
        store,
        dir: dir.map(Path::new),
    }
}

#[test]
fn flags_beat_the_environment_and_urls_beat_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let nested = tmp.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::create_dir(tmp.path().join(PROJECT_DIR)).unwrap();
    let all = env(&[
        ("CACHEMAN_STORE", "file:///from-store-env"),
        ("CACHEMAN_DIR", "/from-dir-env"),
    ]);
    let chosen = |named: Named, env: &dyn Fn(&str) -> Option<OsString>| {
        let location = resolve(named, env, &nested).unwrap();
        (location.path, location.source)
    };

    let by_store = chosen(named(Some("file:///flag"), None), &all);
    assert_eq!(by_store, ("/flag".into(), Source::StoreFlag));
    let by_dir = chosen(named(None, Some("x")), &all);
    assert_eq!(by_dir, (nested.join("x"), Source::Flag));
    let by_store_env = chosen(named(None, None), &all);
    assert_eq!(by_store_env, ("/from-store-env".into(), Source::StoreEnv));
    let dir_env = env(&[("CACHEMAN_DIR", "/from-dir-env")]);
    let by_dir_env = chosen(named(None, None), &dir_env);
    assert_eq!(by_dir_env, ("/from-dir-env".into(), Source::Env));
    let by_project = chosen(named(None, None), &env(&[]));
    assert_eq!(by_project, (tmp.path().join(PROJECT_DIR), Source::Project));
}

#[test]
fn store_and_dir_together_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let both = resolve(named(Some("file:///a"), Some("b")), env(&[]), tmp.path());
    let e = both.unwrap_err();
    assert_eq!(e.exit_code(), crate::ExitCode::Usage);
    assert!(e.to_string().contains("--store and --dir"), "{e}");
}

#[test]
fn empty_values_are_refused_or_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(resolve(named(None, Some("")), env(&[]), tmp.path()).is_err());
    assert!(resolve(named(Some(""), None), env(&[]), tmp.path()).is_err());
    let empties = env(&[("CACHEMAN_STORE", ""), ("CACHEMAN_DIR", "")]);
    let chosen = resolve(named(None, None), empties, tmp.path()).unwrap();
    assert!(matches!(chosen.source, Source::Project | Source::Platform));
}

#[test]
fn a_redis_url_gets_a_local_directory_of_its_own_and_the_env_password() {
    let tmp = tempfile::tempdir().unwrap();
    let vars = env(&[
        ("CACHEMAN_STORE", "redis://h/1?ns=team"),
        (PASSWORD_ENV, "hunter2"),
    ]);
    let location = resolve(named(None, None), vars, tmp.path()).unwrap();
    let StoreSpec::Redis(target) = &location.spec else {
        panic!("{location:?}")
    };
    assert_eq!(target.nodes, ["redis://:hunter2@h:6379/1"]);
    assert_eq!(location.name(), "redis://:***@h:6379/1?ns=team");
    let base = Scratch::default_base().unwrap();
    assert_eq!(
        location.path,
        Scratch::sidecar_dir(&base, &location.name()),
        "its directory is its sidecar, where its local files are"
    );
    assert!(!location.path.to_string_lossy().contains("hunter2"));
}

#[test]
fn errors_say_which_setting_holds_the_bad_url() {
    let tmp = tempfile::tempdir().unwrap();
    let vars = env(&[("CACHEMAN_STORE", "redis://h:99999")]);
    let e = resolve(named(None, None), vars, tmp.path()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("CACHEMAN_STORE: invalid store URL: port"),
        "{e}"
    );
    let flag = resolve(named(Some("redis://"), None), env(&[]), tmp.path()).unwrap_err();
    assert!(flag.to_string().starts_with("--store: "), "{flag}");
}

#[test]
fn a_detached_process_reopens_a_shared_store_without_a_password_in_its_arguments() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = env(&[("CACHEMAN_STORE", "redis://:hunter2@h?ns=a")]);
    let by_env = resolve(named(None, None), secret, tmp.path()).unwrap();
    assert_eq!(by_env.reopen_args, Some(Vec::new()));
    let url = "redis://h?ns=a";
    let by_flag = resolve(named(Some(url), None), env(&[]), tmp.path()).unwrap();
    assert_eq!(
        by_flag.reopen_args,
        Some(vec!["--store".into(), url.into()])
    );
    let local = resolve(named(Some("file:///s"), None), env(&[]), tmp.path()).unwrap();
    assert_eq!(
        local.reopen_args,
        Some(vec!["--store".into(), "file:///s".into()])
    );
}
