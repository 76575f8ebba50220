//! The command line on a Redis store, against real servers: the README's tour
//! answers as on the local store; a server down or stalled fails in time with
//! exit 3; a read-only URL reads and never writes; no password is printed.
#![cfg(feature = "redis")]

use std::time::{Duration, Instant};

use crate::common::redis::{RedisServer, namespace, shared_cluster, shared_server};
use crate::common::{Env, StoreVia, assert_error_form};
use crate::store_url::{Answer, answer, assert_same_answers, tour};

/// A world whose store is `url` under a namespace of its own.
fn env_on(url: &str) -> Env {
    let env = Env::new().store_via(StoreVia::Nothing);
    let separator = if url.contains('?') { '&' } else { '?' };
    let store = format!("{url}{separator}ns={}", namespace(env.root()));
    env.var("CACHEMAN_STORE", store)
}

/// The keys of the server, sorted.
fn server_keys(server: &RedisServer) -> Vec<String> {
    let mut keys: Vec<String> = server
        .cli(&["KEYS", "*"])
        .lines()
        .map(String::from)
        .collect();
    keys.sort();
    keys
}

/// `ls --json` less each cache's count of pending changes, which only the
/// local store has (a Redis server persists by its own rules).
fn without_pending(answer: &mut Answer) {
    if answer.0 != "ls --json" {
        return;
    }
    let Ok(serde_json::Value::Array(mut caches)) = serde_json::from_str(&answer.2) else {
        return;
    };
    for cache in &mut caches {
        cache.as_object_mut().map(|c| c.remove("pending"));
    }
    answer.2 = serde_json::Value::Array(caches).to_string();
}

#[test]
fn the_tour_answers_on_redis_exactly_as_on_the_local_store() {
    let mut expected = tour(&Env::new(), &[]);
    let mut on_redis = tour(&env_on(&shared_server().url()), &[]);
    expected
        .iter_mut()
        .chain(&mut on_redis)
        .for_each(without_pending);
    assert_same_answers(&expected, &on_redis, "redis");
}

#[test]
fn the_tour_answers_on_a_cluster_named_by_one_node_as_on_the_local_store() {
    let ports = shared_cluster().ports();
    let url = format!(
        "redis://127.0.0.1:{}?cluster=1&node=127.0.0.1:{}",
        ports[0], ports[1]
    );
    let env = env_on(&url);
    let mut expected = tour(&Env::new(), &[]);
    let mut on_cluster = tour(&env, &[]);
    expected
        .iter_mut()
        .chain(&mut on_cluster)
        .for_each(without_pending);
    assert_same_answers(&expected, &on_cluster, "cluster");
    let info = env.cmd(["info", "--json"]).any_stdout().run().stdout;
    let info: serde_json::Value = serde_json::from_slice(&info).unwrap();
    assert_eq!(info["details"]["mode"], "cluster", "{info}");
}

/// What `stats CACHE --json` says of hits, misses, entries and bytes.
fn counts(env: &Env) -> Vec<serde_json::Value> {
    let out = env.cmd(["stats", "c", "--json"]).any_stdout().run().stdout;
    let stats: serde_json::Value = serde_json::from_slice(&out).unwrap();
    [
        "hits",
        "misses",
        "hit_ratio",
        "entries",
        "bytes",
        "counters",
    ]
    .iter()
    .map(|field| stats[field].clone())
    .collect()
}

#[test]
fn stats_count_as_on_the_local_store() {
    let (local, on_redis) = (Env::new(), env_on(&shared_server().url()));
    for env in [&local, &on_redis] {
        env.set("c", "k", "value");
        env.cmd(["get", "c", "k"]).stdout("value").run();
        env.cmd(["get", "c", "k"]).stdout("value").run();
        env.cmd(["get", "c", "nope"]).status(1).run();
        env.cmd(["--no-stats", "get", "c", "k"])
            .stdout("value")
            .run();
    }
    assert_eq!(counts(&local), counts(&on_redis));
    assert_eq!(counts(&local)[..2], [2, 1]);
    on_redis
        .cmd(["stats", "c", "--reset"])
        .any_stdout()
        .any_stderr()
        .run();
    assert_eq!(counts(&on_redis)[..2], [0, 0]);
}

#[test]
fn info_names_the_server_and_its_settings() {
    let server = shared_server();
    let env = env_on(&server.url());
    let out = env.cmd(["info"]).any_stdout().run().stdout;
    let text = String::from_utf8(out).unwrap();
    let ns = namespace(env.root());
    let url = format!("{}?db=0&ns={ns}", server.url());
    assert!(
        text.starts_with(&format!("store:            {url}\n")),
        "{text}"
    );
    for line in [
        "from:             CACHEMAN_STORE\n",
        &format!("namespace:        {ns}\n"),
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }
    for name in ["mode:", "persistence:", "maxmemory-policy:", "server:"] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} in:\n{text}"
        );
    }
    assert!(text.contains("Redis 7"), "{text}");
    let json = env.cmd(["info", "--json"]).any_stdout().run().stdout;
    let info: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(info["store"], url.as_str());
    assert_eq!(info["namespace"], ns.as_str());
    assert_eq!(info["details"]["mode"], "single");
}

#[test]
fn commands_about_local_files_say_so_naming_the_store() {
    let env = env_on(&shared_server().url());
    env.set("c", "k", "v");
    for (args, what) in [
        (
            vec!["repair", "--manifest"],
            "repair is not supported by this store (redis+unix://",
        ),
        (
            vec!["create", "v", "--volatile"],
            "--volatile is not supported by this store",
        ),
    ] {
        env.cmd(&args).usage_error(what).run();
    }
}

#[test]
fn a_server_that_is_down_fails_at_once_with_exit_3_naming_the_url() {
    let mut server = RedisServer::start();
    let env = env_on(&server.url());
    env.set("c", "k", "v");
    server.kill();
    let started = Instant::now();
    env.cmd(["get", "c", "k"])
        .store_error("redis+unix://")
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // Nothing listens on TCP port 1: refused at once, not after a wait.
    let tcp = Env::new().store_via(StoreVia::Nothing);
    let started = Instant::now();
    tcp.cmd(["--store", "redis://127.0.0.1:1?ns=x", "set", "c", "k", "v"])
        .store_error("redis://127.0.0.1:1/0?ns=x: ")
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_stalled_server_fails_the_command_after_its_timeout_not_a_hang() {
    let server = RedisServer::start();
    let env = env_on(&format!("{}?timeout=1s&connect_timeout=1s", server.url()));
    env.set("c", "k", "v");
    server.cli(&["CLIENT", "PAUSE", "20000", "ALL"]);
    let started = Instant::now();
    let (status, printed) = answer(&env, &["get", "c", "k"]);
    let took = started.elapsed();
    assert_eq!(status, Some(3), "{printed}");
    assert_error_form(&printed);
    assert!(took < Duration::from_secs(8), "took {took:?}: {printed}");
    server.cli(&["CLIENT", "UNPAUSE"]);
}

/// `writer`'s world with its store named read-only.
fn read_only(server: &RedisServer, writer: Env) -> Env {
    let url = format!(
        "{}?ns={}&readonly=1",
        server.url(),
        namespace(writer.root())
    );
    writer.var("CACHEMAN_STORE", url)
}

#[test]
fn a_read_only_url_reads_and_refuses_every_write_changing_nothing() {
    let server = RedisServer::start();
    let writer = env_on(&server.url());
    writer.set("c", "k", "v");
    writer.cmd(["depend", "c", "d"]).run();
    let before = server_keys(&server);
    let reader = read_only(&server, writer);
    reader.cmd(["get", "c", "k"]).stdout("v").run();
    reader.cmd(["has", "c", "k"]).run();
    reader.cmd(["keys", "c"]).stdout("k\n").run();
    let writes: [&[&str]; 8] = [
        &["set", "c", "k", "w"],
        &["set", "c", "new", "w"],
        &["del", "c", "k"],
        &["clear", "c"],
        &["invalidate", "c"],
        &["create", "e"],
        &["drop", "d"],
        &["depend", "c", "e"],
    ];
    for args in writes {
        let (status, printed) = answer(&reader, args);
        assert_eq!(status, Some(3), "{args:?}: {printed}");
        assert_error_form(&printed);
        assert!(printed.contains("read-only"), "{args:?}: {printed}");
    }
    assert_eq!(
        server_keys(&server),
        before,
        "a read-only store was written to"
    );
    reader.cmd(["get", "c", "k"]).stdout("v").run();
}

#[test]
fn no_password_is_printed_by_info_verbose_ls_or_a_failed_login() {
    let server = RedisServer::start();
    server.cli(&["CONFIG", "SET", "requirepass", "sesame-in-env"]);
    let env = env_on(&server.url()).var("CACHEMAN_REDIS_PASSWORD", "sesame-in-env");
    env.set("c", "k", "v");
    for args in [
        &["info"][..],
        &["-v", "ls"],
        &["info", "--json"],
        &["-v", "get", "c", "k"],
    ] {
        let (status, printed) = answer(&env, args);
        assert_eq!(status, Some(0), "{args:?}: {printed}");
        assert!(!printed.contains("sesame"), "{args:?} printed:\n{printed}");
    }
    let wrong = env.var("CACHEMAN_REDIS_PASSWORD", "sesame-wrong");
    let (status, printed) = answer(&wrong, &["-v", "get", "c", "k"]);
    assert_eq!(status, Some(3), "{printed}");
    assert!(!printed.contains("sesame"), "{printed}");
}

#[test]
fn a_password_in_a_tcp_url_is_used_and_never_printed() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port().to_string()
    };
    let server = RedisServer::start_with(&["--port", &port]);
    server.cli(&["CONFIG", "SET", "requirepass", "p@ss/in-url"]);
    let url = format!("redis://:p%40ss%2Fin-url@127.0.0.1:{port}/0");
    let env = env_on(&url).var("CACHEMAN_REDIS_PASSWORD", "in-env-ignored");
    env.set("c", "k", "v");
    for args in [&["info"][..], &["-v", "ls"], &["-v", "keys", "c"]] {
        let (status, printed) = answer(&env, args);
        assert_eq!(status, Some(0), "{args:?}: {printed}");
        assert!(printed.contains(":***@127.0.0.1"), "{args:?}: {printed}");
        for secret in ["in-url", "p%40ss", "in-env"] {
            assert!(!printed.contains(secret), "{args:?} printed:\n{printed}");
        }
    }
    let wrong = env.var("CACHEMAN_STORE", url.replace("in-url", "wrong-in-url"));
    let (status, printed) = answer(&wrong, &["-v", "get", "c", "k"]);
    assert_eq!(status, Some(3), "{printed}");
    assert!(!printed.contains("in-url"), "{printed}");
}

/// A stale result is served while a detached `cacheman` refreshes it: that
/// process opens the same shared store, named by the environment it inherits
/// or by `--store` as given.
#[test]
fn a_background_refresh_opens_the_same_shared_store() {
    let url = format!("{}?ns=", shared_server().url());
    let run = ["run", "--ttl", "1s", "--stale", "1h", "--"];
    let count = ["sh", "-c", "echo x >> runs; wc -l < runs"];
    let by_env = env_on(&shared_server().url());
    let by_flag = Env::new().store_via(StoreVia::Nothing);
    let flag_url = format!("{url}{}", namespace(by_flag.root()));
    for (env, global) in [
        (&by_env, vec![]),
        (&by_flag, vec!["--store", flag_url.as_str()]),
    ] {
        let line = |expected: &str| {
            let args = global.iter().chain(&run).chain(&count);
            env.cmd(args).stdout(expected).run();
        };
        line("1\n");
        std::thread::sleep(Duration::from_millis(1100));
        line("1\n");
        env.wait_for_background();
        line("2\n");
    }
}

#[test]
fn commands_that_need_no_store_work_with_the_server_down() {
    let mut server = RedisServer::start();
    let env = env_on(&server.url());
    env.set("c", "k", "v");
    server.kill();
    let out = env.cmd(["completions", "bash"]).any_stdout().run().stdout;
    assert!(
        out.starts_with(b"_cacheman()"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    env.cmd(["-v", "completions", "zsh"])
        .any_stdout()
        .any_stderr()
        .run();
    env.cmd(["init"])
        .usage_error("init is not supported by this store (redis+unix://")
        .run();
    let file = env.path("not-cacheman");
    std::fs::write(&file, "plain text").unwrap();
    let (status, printed) = answer(&env, &["inspect", file.to_str().unwrap()]);
    assert!(!printed.contains("cannot reach"), "{printed}");
    assert_ne!(status, Some(3), "{printed}");
}

#[test]
fn info_names_the_sidecar_where_runs_keep_their_local_files() {
    let env = env_on(&shared_server().url());
    env.cmd(["run", "--cache", "c", "--", "true"]).run();
    let json = env.cmd(["info", "--json"]).any_stdout().run().stdout;
    let info: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let sidecar = std::path::PathBuf::from(info["sidecar"].as_str().unwrap());
    assert!(sidecar.starts_with(env.root().join("home")), "{sidecar:?}");
    assert!(
        sidecar.join("run-notes/c").is_dir(),
        "the run's notes are in the directory info names: {sidecar:?}"
    );
    let text = env.cmd(["info"]).any_stdout().run().stdout;
    let line = format!("sidecar:          {}\n", sidecar.display());
    assert!(String::from_utf8(text).unwrap().contains(&line), "{line}");
}

/// A free TCP port on the loopback.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Runs `args` and checks the failure: exit 3, one error line naming the
/// store and saying `says`, and a hint saying `hint`.
fn refused(env: &Env, args: &[&str], says: &str, hint: &str) {
    let (status, printed) = answer(env, args);
    assert_eq!(status, Some(3), "{args:?}: {printed}");
    assert_error_form(&printed);
    let mut lines = printed.lines();
    let error = lines.next().unwrap();
    assert!(error.contains(says), "{args:?}: {printed}");
    assert!(!error.contains("Pipeline"), "{printed}");
    let shown = lines.next().unwrap_or_default();
    assert!(
        shown.starts_with("hint: ") && shown.contains(hint),
        "{args:?}: {printed}"
    );
}

#[test]
fn a_login_refused_says_so_and_where_the_password_goes() {
    let server = RedisServer::start();
    server.cli(&["CONFIG", "SET", "requirepass", "sesame"]);
    let none = env_on(&server.url());
    refused(
        &none,
        &["get", "c", "k"],
        "needs a password",
        "CACHEMAN_REDIS_PASSWORD",
    );
    let wrong = none.var("CACHEMAN_REDIS_PASSWORD", "not-sesame");
    refused(
        &wrong,
        &["get", "c", "k"],
        "refused the login",
        "CACHEMAN_REDIS_PASSWORD",
    );
}

#[test]
fn a_url_naming_the_wrong_kind_of_server_says_what_to_change() {
    let port = free_port().to_string();
    let _single = RedisServer::start_with(&["--port", &port]);
    let single = Env::new().store_via(StoreVia::Nothing);
    let url = format!("redis://127.0.0.1:{port}?cluster=1&ns=x&connect_timeout=2s");
    refused(
        &single,
        &["--store", &url, "get", "c", "k"],
        &format!("redis://127.0.0.1:{port}"),
        "remove cluster=1",
    );
    let node = shared_cluster().ports()[0];
    let url = format!("redis://127.0.0.1:{node}?ns=x");
    refused(
        &single,
        &["--store", &url, "get", "c", "k"],
        "is a node of a Redis Cluster",
        "add cluster=1",
    );
    let tls = format!("rediss://127.0.0.1:{port}?ns=x&connect_timeout=2s&timeout=2s");
    refused(
        &single,
        &["--store", &tls, "get", "c", "k"],
        "TLS",
        "rediss://",
    );
}

#[test]
fn a_url_naming_something_that_is_not_redis_says_so() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // An HTTP server, as a wrong port might find.
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            use std::io::{Read, Write};
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 512];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let env = Env::new().store_via(StoreVia::Nothing);
    let url = format!("redis://127.0.0.1:{port}?ns=x&connect_timeout=2s&timeout=2s");
    refused(
        &env,
        &["--store", &url, "get", "c", "k"],
        "did not answer as Redis does",
        "host and port",
    );
}

#[test]
fn get_or_run_on_a_read_only_store_serves_old_values_and_builds_plainly() {
    let server = RedisServer::start();
    let writer = env_on(&server.url());
    let or_run = ["--or-run", "--ttl", "1s", "--stale", "1h", "--"];
    let get = |env: &Env, key: &str, value: &str| {
        let mut args = vec!["get", "c", key];
        args.extend(or_run);
        args.extend(["echo", value]);
        env.cmd(args).any_stdout().any_stderr().run()
    };
    assert_eq!(get(&writer, "k", "old").stdout, b"old\n");
    std::thread::sleep(Duration::from_millis(1200));
    let before = server_keys(&server);
    let reader = read_only(&server, writer);
    assert_eq!(
        get(&reader, "k", "new").stdout,
        b"old\n",
        "stale: the old value"
    );
    let built = get(&reader, "other", "built");
    assert_eq!(built.stdout, b"built\n");
    let said = String::from_utf8_lossy(&built.stderr);
    assert!(said.contains("read-only"), "{said}");
    assert_eq!(server_keys(&server), before, "nothing written");
}

#[test]
fn get_or_run_with_the_server_down_warns_and_runs_the_command() {
    let mut server = RedisServer::start();
    let env = env_on(&server.url());
    server.kill();
    let out = env
        .cmd(["get", "c", "k", "--or-run", "--", "echo", "built"])
        .stdout("built\n")
        .any_stderr()
        .run();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.starts_with("cacheman: warning: ")
            && said.contains("running the command without the cache"),
        "{said}"
    );
}
