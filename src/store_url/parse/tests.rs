//! Store URLs: every form, every option, and every refusal.

use std::time::Duration;

use super::*;
use crate::store_url::TlsFiles;

fn redis(url: &str, env: Option<&str>) -> RedisTarget {
    match parse(url, env) {
        Ok(StoreSpec::Redis(target)) => target,
        other => panic!("{url}: {other:?}"),
    }
}

/// The refusal of `url`, as the command line shows it.
fn refusal(url: &str) -> String {
    let e = parse(url, Some("envsecret")).expect_err(url);
    assert_eq!(e.exit_code(), crate::ExitCode::Usage, "{url}");
    e.to_string()
}

#[test]
fn a_plain_server_gets_every_default() {
    let target = redis("redis://cache.example", None);
    assert_eq!(
        target,
        RedisTarget {
            nodes: vec!["redis://cache.example:6379/0".into()],
            cluster: false,
            namespace: "cacheman".into(),
            read_only: false,
            connect_timeout: Duration::from_secs(2),
            command_timeout: Duration::from_secs(5),
            lease: Duration::from_secs(15),
            display: "redis://cache.example:6379/0?ns=cacheman".into(),
            tls: Box::default(),
            host: None,
            sidecar_base: None,
        }
    );
}

#[test]
fn user_password_port_db_and_options() {
    let url = "rediss://ci:s3cret@10.0.0.7:6380/3?ns=builds&readonly=1&connect_timeout=500ms&timeout=10s&lease=2s";
    let target = redis(url, Some("ignored"));
    assert_eq!(target.nodes, ["rediss://ci:s3cret@10.0.0.7:6380/3"]);
    assert_eq!(target.namespace, "builds");
    assert!(target.read_only);
    assert_eq!(target.connect_timeout, Duration::from_millis(500));
    assert_eq!(target.command_timeout, Duration::from_secs(10));
    assert_eq!(target.lease, Duration::from_secs(2));
    assert_eq!(
        target.display,
        "rediss://ci:***@10.0.0.7:6380/3?ns=builds&readonly=1&connect_timeout=500ms&timeout=10s&lease=2s"
    );
}

#[test]
fn the_password_comes_from_the_environment_when_the_url_has_none() {
    let target = redis("redis://:@h/1?ns=x", Some("p@ss:w/rd"));
    assert_eq!(target.nodes, ["redis://:p%40ss%3Aw%2Frd@h:6379/1"]);
    assert_eq!(target.display, "redis://:***@h:6379/1?ns=x");
    let with_user = redis("redis://alice@h", Some("pw"));
    assert_eq!(with_user.nodes, ["redis://alice:pw@h:6379/0"]);
    assert_eq!(with_user.display, "redis://alice:***@h:6379/0?ns=cacheman");
    let empty_env = redis("redis://alice@h", Some(""));
    assert_eq!(empty_env.nodes, ["redis://alice@h:6379/0"]);
}

#[test]
fn a_percent_encoded_password_is_passed_on_encoded_and_never_shown() {
    let target = redis("redis://u:a%40b%25c@h", None);
    assert_eq!(target.nodes, ["redis://u:a%40b%25c@h:6379/0"]);
    assert!(!target.display.contains("a%40b"));
    // An unencoded '@' in the password still splits at the last one.
    let raw = redis("redis://u:a@b@h", None);
    assert_eq!(raw.nodes, ["redis://u:a%40b@h:6379/0"]);
}

#[test]
fn ipv6_hosts_keep_their_brackets() {
    let target = redis("redis://[::1]:7000", None);
    assert_eq!(target.nodes, ["redis://[::1]:7000/0"]);
    let default_port = redis("redis://[fe80::2]/2", None);
    assert_eq!(default_port.nodes, ["redis://[fe80::2]:6379/2"]);
}

#[test]
fn a_cluster_has_seed_nodes_and_no_database() {
    let url = "redis://:pw@n1:7000?cluster=1&node=n2:7001&node=n3&ns=team";
    let target = redis(url, None);
    assert!(target.cluster);
    assert_eq!(
        target.nodes,
        [
            "redis://:pw@n1:7000",
            "redis://:pw@n2:7001",
            "redis://:pw@n3:6379"
        ]
    );
    assert_eq!(
        target.display,
        "redis://:***@n1:7000?ns=team&cluster=1&node=n2:7001&node=n3"
    );
    assert!(refusal("redis://n1/2?cluster=1").contains("only database 0"));
    assert!(refusal("redis://n1?node=n2").contains("add cluster=1"));
    assert!(refusal("redis://n1?cluster=1&node=n2:x").contains("port 'x'"));
}

#[test]
fn tls_files_name_a_private_ca_and_a_client_certificate() {
    let url = "rediss://h?ca=/etc/team%20ca/ca.pem&cert=/c.pem&key=/k.pem&cluster=1";
    let target = redis(url, None);
    assert_eq!(
        *target.tls,
        TlsFiles {
            ca: Some("/etc/team ca/ca.pem".into()),
            client: Some(("/c.pem".into(), "/k.pem".into())),
        }
    );
    assert_eq!(target.nodes, ["rediss://h:6379"]);
    assert_eq!(
        target.display,
        "rediss://h:6379?ns=cacheman&cluster=1&ca=/etc/team%20ca/ca.pem&cert=/c.pem&key=/k.pem"
    );
    assert_eq!(*redis("rediss://h", None).tls, TlsFiles::default());
    assert!(refusal("redis://h?ca=/ca.pem").contains("for a TLS server: rediss://"));
    assert!(refusal("redis+unix:///s?ca=/ca.pem").contains("for a TLS server"));
    assert!(refusal("rediss://h?cert=/c.pem").contains("go together"));
    assert!(refusal("rediss://h?key=/k.pem").contains("go together"));
    assert!(refusal("rediss://h?ca=").contains("names no file"));
    assert!(refusal("rediss://h?ca=/a&ca=/b").contains("given twice"));
}

#[test]
fn unix_sockets() {
    let target = redis("redis+unix:///run/redis/redis.sock?db=2&ns=a", Some("pw d"));
    assert_eq!(
        target.nodes,
        ["redis+unix:///run/redis/redis.sock?db=2&pass=pw%20d"]
    );
    assert_eq!(
        target.display,
        "redis+unix:///run/redis/redis.sock?db=2&ns=a"
    );
    let short = redis("unix:///tmp/r.sock", None);
    assert_eq!(short.nodes, ["redis+unix:///tmp/r.sock?db=0"]);
    assert!(refusal("redis+unix://host/tmp/r.sock").contains("has no host"));
    assert!(refusal("redis+unix:///tmp/r.sock?cluster=1").contains("Cluster"));
    assert!(refusal("redis://h?db=1").contains("unknown query parameter 'db'"));
}

#[test]
fn file_urls_name_the_local_store() {
    let local = |url: &str| parse(url, None).unwrap();
    assert_eq!(
        local("file:///srv/cache"),
        StoreSpec::Local("/srv/cache".into())
    );
    assert_eq!(
        local("FILE://localhost/a%20b"),
        StoreSpec::Local("/a b".into())
    );
    assert_eq!(
        local("file:///x%FF"),
        StoreSpec::Local(PathBuf::from(OsString::from_vec(b"/x\xff".to_vec())))
    );
    assert!(refusal("file://relative/path").contains("absolute path"));
    assert!(refusal("file://").contains("absolute path"));
    assert!(refusal("file:///a?ns=b").contains("no query"));
}

#[test]
fn bad_urls_are_refused_in_one_line() {
    let cases = [
        ("localhost:6379", "no scheme"),
        ("/srv/cache", "no scheme"),
        ("http://h", "unknown scheme 'http'"),
        ("redis://", "host is empty"),
        ("redis://:pw@", "host is empty"),
        ("redis://:pw@:6379", "host is empty"),
        ("redis://h:0", "port '0'"),
        ("redis://h:65536", "port '65536'"),
        ("redis://h:+80", "port '+80'"),
        ("redis://h:", "port ''"),
        ("redis://h/x", "database 'x'"),
        ("redis://h_h!", "'!' is not allowed in a host"),
        ("redis://[::1", "closing ']'"),
        ("redis://[zz]", "not an IPv6"),
        ("redis://h?ns=", "namespace ''"),
        ("redis://h?ns=.x", "namespace '.x'"),
        ("redis://h?ns=a/b", "namespace 'a/b'"),
        ("redis://h?ns={x}", "namespace '{x}'"),
        ("redis://h?ns=a&ns=b", "'ns' is given twice"),
        ("redis://h?readonly=maybe", "readonly='maybe'"),
        ("redis://h?timeout=0s", "timeout='0s'"),
        ("redis://h?lease=0s", "lease='0s'"),
        ("redis://h?connect_timeout=soon", "connect_timeout='soon'"),
        ("redis://h?verbose", "'verbose' has no value"),
        ("redis://h?password=x", "unknown query parameter 'password'"),
        ("redis://h#frag", "fragment"),
        ("redis://u:a%zzb@h", "percent-escape in the password"),
        ("redis://u:%FF@h", "password is not UTF-8"),
    ];
    for (url, expected) in cases {
        let message = refusal(url);
        assert!(message.contains(expected), "{url}: {message}");
        assert!(!message.contains('\n'), "{url}: {message}");
    }
}

#[test]
fn no_refusal_repeats_a_password() {
    let urls = [
        "redis://u:envsecret-in-url@h:99999",
        "redis://u:envsecret-in-url@h?bogus=1",
        "redis://u:envsecret-in-url@/0",
        "redis://u:envsecret-in-url@h/x",
    ];
    for url in urls {
        let message = refusal(url);
        assert!(!message.contains("envsecret"), "{message}");
        if let Error::Usage { hint, .. } = parse(url, None).unwrap_err() {
            assert!(!hint.unwrap_or_default().contains("envsecret"));
        }
    }
}

#[test]
fn flags_take_yes_and_no() {
    assert!(redis("redis://h?cluster=true", None).cluster);
    assert!(!redis("redis://h?readonly=0", None).read_only);
    assert!(redis("redis://h?readonly=yes", None).read_only);
}

/// A build without the `redis` feature (`.ci/run` tests one) refuses a Redis
/// URL, saying why, instead of failing to connect.
#[cfg(not(feature = "redis"))]
#[test]
fn without_the_redis_feature_a_redis_url_is_refused() {
    let spec = parse("redis://127.0.0.1:1", None).unwrap();
    let Err(e) = crate::store::open(&spec, None, true) else {
        panic!("opened a Redis store without Redis support")
    };
    assert_eq!(e.exit_code(), crate::ExitCode::Usage);
    assert!(e.to_string().contains("built without Redis support"), "{e}");
}
