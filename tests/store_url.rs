//! Naming the store by URL (`--store`, `CACHEMAN_STORE`): which setting wins,
//! what is refused, that no password is ever printed, and the README's tour
//! through a `file://` URL answering exactly as through `--dir`.

use std::ffi::OsString;

use crate::common::{Env, StoreVia, assert_error_form};

/// One step of the tour: its arguments and its stdin.
type Step = (&'static [&'static str], Option<&'static str>);

/// The README's tour, less what is about local files or the clock (`sync`,
/// `stats`, `verify`, `inspect`, `run`, `bind`): every answer is the same on
/// every store.
pub const TOUR: &[Step] = &[
    (&["set", "users", "alice", "{\"id\": 1}"], None),
    (&["get", "users", "alice"], None),
    (&["get", "users", "bob"], None),
    (&["get", "users", "bob", "--default", "{}"], None),
    (&["set", "users", "carol", "-"], Some("from stdin\n")),
    (&["set", "users", "temp", "x", "--ttl", "10m"], None),
    (&["has", "users", "alice"], None),
    (&["has", "users", "nobody"], None),
    (&["keys", "users", "a*"], None),
    (&["keys", "users", "--json"], None),
    (&["get", "users", "alice", "carol", "--json"], None),
    (&["del", "users", "alice", "nobody"], None),
    (&["create", "sessions", "--ttl", "30m"], None),
    (
        &[
            "create",
            "thumbs",
            "--max-bytes",
            "500MiB",
            "--max-entries",
            "100000",
        ],
        None,
    ),
    (&["create", "thumbs"], None),
    (&["config", "thumbs", "--max-bytes", "1GiB"], None),
    (&["drop", "thumbs"], None),
    (&["ls", "--json"], None),
    (&["get", "nosuch", "k"], None),
    (&["clear", "users"], None),
    (&["keys", "users"], None),
    (&["depend", "config", "parsed"], None),
    (&["depend", "parsed", "config"], None),
    (&["set", "parsed", "k", "v"], None),
    (&["graph"], None),
    (&["invalidate", "config", "--dry-run"], None),
    (&["get", "parsed", "k"], None),
    (&["invalidate", "config"], None),
    (&["get", "parsed", "k"], None),
    (&["epoch"], None),
    (&["set", "parsed", "k", "v2", "--if-epoch", "0"], None),
    (&["set", "parsed", "k", "v3", "--if-epoch", "1"], None),
    (&["get", "parsed", "k"], None),
    (
        &["batch"],
        Some("set users alice 1\nget users alice\nhas users bob\n"),
    ),
    (&["export", "users"], None),
    (
        &["import", "copy"],
        Some("{\"key\":\"a\",\"value\":\"1\"}\n"),
    ),
    (&["get", "copy", "a"], None),
    (&["undepend", "config", "parsed"], None),
    (&["drop", "config"], None),
    (
        &["set", "users", "forever", "x", "--ttl", "500000000y"],
        None,
    ),
    (&["get", "users", "forever"], None),
    (&["create", "ages", "--ttl", "500000000y"], None),
    (&["set", "ages", "k", "v"], None),
    (&["get", "ages", "k"], None),
];

/// What one step did: its status and both streams.
pub type Answer = (String, Option<i32>, String, String);

/// Runs [`TOUR`], each step after the `global` arguments, and returns each
/// step's answer with the test's directory written as `ROOT` and times as
/// `TIME`.
pub fn tour(env: &Env, global: &[&str]) -> Vec<Answer> {
    let root = env.root().display().to_string();
    let text = |bytes: &[u8]| without_times(&String::from_utf8_lossy(bytes).replace(&root, "ROOT"));
    TOUR.iter()
        .map(|(args, stdin)| {
            let output = env
                .command()
                .args(global)
                .args(*args)
                .write_stdin(stdin.unwrap_or(""))
                .output()
                .expect("run cacheman");
            let status = output.status.code();
            (
                args.join(" "),
                status,
                text(&output.stdout),
                text(&output.stderr),
            )
        })
        .collect()
}

/// `text` with every UTC time (`2026-01-02T03:04:05Z`) written as `TIME`, and
/// every number of ten digits or more (milliseconds since 1970) as `MS`.
fn without_times(text: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:ddZ";
    let fits = |window: &[u8]| {
        let same = |(&b, &s): (&u8, &u8)| {
            if s == b'd' {
                b.is_ascii_digit()
            } else {
                b == s
            }
        };
        window.iter().zip(SHAPE).all(same)
    };
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes.len() - at >= SHAPE.len() && fits(&bytes[at..at + SHAPE.len()]) {
            out.extend_from_slice(b"TIME");
            at += SHAPE.len();
        } else if let Some(digits) = long_number(&bytes[at..]) {
            out.extend_from_slice(b"MS");
            at += digits;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII was replaced")
}

/// The length of the number `bytes` starts with, when it has ten digits or more.
fn long_number(bytes: &[u8]) -> Option<usize> {
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    (digits >= 10).then_some(digits)
}

/// Fails on the first step whose answer differs between the two runs.
#[track_caller]
pub fn assert_same_answers(expected: &[Answer], actual: &[Answer], what: &str) {
    for (e, a) in expected.iter().zip(actual) {
        assert_eq!(e, a, "{what}: step '{}' answered differently", e.0);
    }
    assert_eq!(expected.len(), actual.len());
}

/// A world whose store is named by `CACHEMAN_STORE=file://<root>/store`.
fn file_url_env() -> Env {
    let env = Env::new().store_via(StoreVia::Nothing);
    let url = format!("file://{}", env.store().display());
    env.var("CACHEMAN_STORE", url)
}

#[test]
fn a_file_url_runs_the_tour_exactly_as_dir_does() {
    let by_dir = Env::new();
    let expected = tour(&by_dir, &[]);
    // The tour is not trivially equal: it hits, misses and refuses.
    let statuses: Vec<_> = expected.iter().map(|a| a.1).collect();
    for status in [Some(0), Some(1), Some(2)] {
        assert!(statuses.contains(&status), "{expected:#?}");
    }
    let by_env = file_url_env();
    assert_same_answers(&expected, &tour(&by_env, &[]), "CACHEMAN_STORE=file://");
    assert!(by_env.store().join("caches").is_dir());

    let by_flag = Env::new().store_via(StoreVia::Nothing);
    let url = format!("file://{}", by_flag.store().display());
    let flagged = tour(&by_flag, &["--store", &url]);
    assert_same_answers(&expected, &flagged, "--store file://");
}

/// `info --path` and `-v` under the given settings: the path, and the rule named.
fn chosen(env: &Env, flags: &[&str]) -> (String, String) {
    let out = env
        .cmd(flags.iter().chain(&["-v", "info", "--path"]))
        .any_stdout()
        .any_stderr()
        .run();
    let path = String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string();
    let said = String::from_utf8(out.stderr).unwrap();
    let from = said
        .rsplit_once("(from ")
        .map(|(_, rule)| rule.trim_end().trim_end_matches(')').to_string())
        .unwrap_or_else(|| panic!("-v does not say where the store came from: {said}"));
    (path, from)
}

#[test]
fn flags_beat_the_environment_and_urls_beat_directories() {
    let env = Env::new().store_via(StoreVia::Nothing);
    let root = env.root().to_path_buf();
    let at = |name: &str| root.join(name).display().to_string();
    let (store_env, dir_env) = (at("store-env"), at("dir-env"));
    let env = env
        .var("CACHEMAN_STORE", format!("file://{store_env}"))
        .var("CACHEMAN_DIR", &dir_env);
    let flag_url = format!("file://{}", at("flag-store"));
    let cases = [
        (
            vec!["--store", flag_url.as_str()],
            at("flag-store"),
            "--store",
        ),
        (vec!["--dir", "flag-dir"], at("work/flag-dir"), "--dir"),
        (vec![], store_env.clone(), "CACHEMAN_STORE"),
    ];
    for (flags, path, from) in cases {
        assert_eq!(chosen(&env, &flags), (path, from.to_string()), "{flags:?}");
    }
    let dir_only = Env::new().var("CACHEMAN_STORE", "");
    let store = dir_only.store().display().to_string();
    assert_eq!(chosen(&dir_only, &[]), (store, "CACHEMAN_DIR".to_string()));
}

#[test]
fn store_and_dir_together_are_a_usage_error() {
    let env = Env::new().store_via(StoreVia::Nothing);
    let before = env.tree();
    env.cmd(["--store", "file:///x", "--dir", "y", "set", "c", "k", "v"])
        .usage_error("--dir")
        .run();
    env.cmd(["set", "c", "k", "v", "--dir", "y", "--store", "file:///x"])
        .usage_error("--store")
        .run();
    before.assert_same(&env.tree(), "a refused command");
}

#[test]
fn bad_urls_are_one_line_usage_errors_that_change_nothing() {
    let env = Env::new();
    let before = env.tree();
    let cases = [
        (
            "redis://cache:99999",
            "--store: invalid store URL: port '99999'",
        ),
        ("redis://", "the host is empty"),
        ("redis://h?colour=blue", "unknown query parameter 'colour'"),
        ("redis://h?ns=a/b", "namespace 'a/b'"),
        ("/srv/cache", "no scheme"),
        ("ftp://h", "unknown scheme 'ftp'"),
        ("file://relative", "absolute path"),
    ];
    for (url, message) in cases {
        env.cmd(["--store", url, "get", "c", "k"])
            .usage_error(message)
            .run();
    }
    let by_env = Env::new().var("CACHEMAN_STORE", "redis://h:0");
    by_env
        .cmd(["get", "c", "k"])
        .usage_error("CACHEMAN_STORE: invalid store URL: port '0'")
        .run();
    before.assert_same(&env.tree(), "refused URLs");
}

#[test]
fn batch_lines_cannot_name_a_store() {
    let env = Env::new();
    let out = env
        .cmd(["batch"])
        .stdin("--store file:///elsewhere get c k\n")
        .status(2)
        .any_stdout()
        .any_stderr()
        .run();
    let reply = String::from_utf8(out.stdout).unwrap();
    assert!(reply.contains("apply to the whole batch"), "{reply}");
}

/// Runs `args` and returns its status and both streams, whatever they are.
pub fn answer(env: &Env, args: &[&str]) -> (Option<i32>, String) {
    let output = env.command().args(args).output().unwrap();
    let both = [output.stdout, output.stderr].concat();
    (
        output.status.code(),
        String::from_utf8_lossy(&both).into_owned(),
    )
}

#[test]
fn a_password_is_masked_where_the_store_is_named_and_nowhere_repeated() {
    // Nothing listens on port 1: whatever the build, the command fails.
    let url = "redis://ci:in-url-secret@127.0.0.1:1/0?ns=x&connect_timeout=1s";
    let env = Env::new()
        .store_via(StoreVia::Nothing)
        .var("CACHEMAN_REDIS_PASSWORD", "in-env-secret");
    for args in [
        vec!["--store", url, "-v", "get", "c", "k"],
        vec!["--store", url, "info"],
        vec!["--store", url, "ls"],
        vec![
            "--store",
            "redis://127.0.0.1:1?connect_timeout=1s",
            "-v",
            "ls",
        ],
    ] {
        let (status, printed) = answer(&env, &args);
        assert!(
            matches!(status, Some(2 | 3)),
            "{args:?}: {status:?} {printed}"
        );
        assert!(!printed.contains("secret"), "{args:?} printed:\n{printed}");
        let last = printed
            .lines()
            .filter(|l| !l.starts_with("cacheman: store:"));
        assert_error_form(&last.collect::<Vec<_>>().join("\n"));
    }
    let (_, verbose) = answer(&env, &["--store", url, "-v", "ls"]);
    assert!(
        verbose.starts_with(
            "cacheman: store: redis://ci:***@127.0.0.1:1/0?ns=x&connect_timeout=1s (from --store)\n"
        ),
        "{verbose}"
    );
}

#[test]
fn store_url_environment_values_must_be_text() {
    use std::os::unix::ffi::OsStringExt;
    let env = Env::new().var(
        "CACHEMAN_STORE",
        OsString::from_vec(b"redis://\xff".to_vec()),
    );
    env.cmd(["get", "c", "k"])
        .usage_error("CACHEMAN_STORE is not UTF-8")
        .run();
}
