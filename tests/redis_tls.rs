//! `rediss://` against a real `redis-server` on a TLS port, with a private
//! CA and certificates made here (rcgen): the CA named by `ca=` is trusted,
//! a client certificate (`cert=`, `key=`) answers a server that asks for
//! one, and each mismatch (no CA, TLS to a plain port, plain to a TLS port)
//! fails in one line with exit 3. Each test prints what the user sees.

#![cfg(feature = "redis")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tempfile::TempDir;

use crate::common::redis::{RedisCluster, RedisServer, free_port};
use crate::common::{Env, StoreVia, assert_error_form};
use crate::store_url::answer;

/// A private CA, and a server and a client certificate it signed, as PEM
/// files in a directory of their own.
struct Pki {
    dir: TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::Builder::new()
            .prefix("cacheman-tls-")
            .tempdir()
            .unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "cacheman test CA");
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        for (name, sans) in [
            ("server", &["localhost", "127.0.0.1"][..]),
            ("client", &["client"]),
        ] {
            let key = KeyPair::generate().unwrap();
            let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
            let cert = CertificateParams::new(sans)
                .unwrap()
                .signed_by(&key, &ca)
                .unwrap();
            std::fs::write(dir.path().join(format!("{name}.pem")), cert.pem()).unwrap();
            std::fs::write(dir.path().join(format!("{name}.key")), key.serialize_pem()).unwrap();
        }
        Pki { dir }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The server's TLS settings; `auth_clients` is `yes` when it asks
    /// every client for a certificate.
    fn server_args(&self, auth_clients: &str) -> Vec<String> {
        let mut args = Vec::new();
        for (name, file) in [
            ("--tls-cert-file", "server.pem"),
            ("--tls-key-file", "server.key"),
            ("--tls-ca-cert-file", "ca.pem"),
        ] {
            args.push(name.to_string());
            args.push(self.file(file).display().to_string());
        }
        args.extend(["--tls-auth-clients".into(), auth_clients.into()]);
        args
    }

    /// A server on a TLS port (and no plain TCP port).
    fn server(&self, auth_clients: &str) -> (RedisServer, u16) {
        let port = free_port();
        let mut args = vec!["--tls-port".to_string(), port.to_string()];
        args.extend(self.server_args(auth_clients));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        (RedisServer::start_with(&args), port)
    }
}

/// A world whose store is `url` (quick to give up).
fn env_on(url: &str) -> Env {
    let url = format!("{url}&connect_timeout=2s&timeout=2s");
    Env::new()
        .store_via(StoreVia::Nothing)
        .var("CACHEMAN_STORE", url)
}

/// `ca=` for `path`.
fn ca(path: &Path) -> String {
    format!("ca={}", path.display())
}

/// Runs `args`, prints what the user sees, and asserts a one-line store
/// error (exit 3) mentioning `what`, given in time.
fn assert_refused(env: &Env, args: &[&str], what: &str) {
    let started = Instant::now();
    let (status, printed) = answer(env, args);
    println!("{args:?} -> exit {status:?}: {printed}");
    assert_eq!(status, Some(3), "{printed}");
    assert_error_form(&printed);
    assert!(printed.contains(what), "{what:?} in {printed}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn rediss_with_the_private_ca_sets_and_gets() {
    let pki = Pki::new();
    let (_server, port) = pki.server("no");
    let url = format!(
        "rediss://127.0.0.1:{port}?ns=tls&{}",
        ca(&pki.file("ca.pem"))
    );
    let env = env_on(&url);
    env.set("c", "k", "over TLS");
    env.cmd(["get", "c", "k"]).stdout("over TLS").run();
    let info = env.cmd(["info"]).any_stdout().run().stdout;
    let info = String::from_utf8(info).unwrap();
    println!("{info}");
    assert!(
        info.contains(&format!("rediss://127.0.0.1:{port}/0?ns=tls")),
        "{info}"
    );
    assert!(info.contains("&ca=/"), "{info}");
}

#[test]
fn without_the_private_ca_the_certificate_is_refused() {
    let pki = Pki::new();
    let (_server, port) = pki.server("no");
    let env = env_on(&format!("rediss://127.0.0.1:{port}?ns=tls"));
    assert_refused(&env, &["get", "c", "k"], "certificate");
    let wrong = env_on(&format!(
        "rediss://127.0.0.1:{port}?ns=tls&{}",
        ca(&pki.file("client.pem"))
    ));
    assert_refused(&wrong, &["get", "c", "k"], "not signed by the CA in ca=");
}

#[test]
fn a_server_asking_for_a_client_certificate_gets_the_one_named() {
    let pki = Pki::new();
    let (_server, port) = pki.server("yes");
    let base = format!(
        "rediss://127.0.0.1:{port}?ns=tls&{}",
        ca(&pki.file("ca.pem"))
    );
    let mutual = env_on(&format!(
        "{base}&cert={}&key={}",
        pki.file("client.pem").display(),
        pki.file("client.key").display()
    ));
    mutual.set("c", "k", "v");
    mutual.cmd(["get", "c", "k"]).stdout("v").run();
    assert_refused(&env_on(&base), &["get", "c", "k"], "client certificate");
}

#[test]
fn a_certificate_file_that_cannot_serve_is_a_usage_error() {
    let pki = Pki::new();
    let (_server, port) = pki.server("no");
    for (file, why) in [
        ("missing.pem", "cannot be read"),
        ("server.key", "holds no PEM certificate"),
    ] {
        let env = env_on(&format!(
            "rediss://127.0.0.1:{port}?ns=tls&{}",
            ca(&pki.file(file))
        ));
        let (status, printed) = answer(&env, &["get", "c", "k"]);
        println!("ca={file} -> exit {status:?}: {printed}");
        assert_eq!(status, Some(2), "{printed}");
        assert_error_form(&printed);
        assert!(printed.contains(why), "{printed}");
    }
}

#[test]
fn tls_and_plain_tcp_mismatched_fail_clearly() {
    let pki = Pki::new();
    let (_tls, tls_port) = pki.server("no");
    let plain_port = free_port();
    let _plain = RedisServer::start_with(&["--port", &plain_port.to_string()]);
    let ca = ca(&pki.file("ca.pem"));
    let to_tls = env_on(&format!("redis://127.0.0.1:{tls_port}?ns=tls"));
    assert_refused(&to_tls, &["get", "c", "k"], "TLS");
    let to_plain = env_on(&format!("rediss://127.0.0.1:{plain_port}?ns=tls&{ca}"));
    assert_refused(&to_plain, &["get", "c", "k"], "TLS");
    // A port where nothing listens is not taken for a TLS one.
    let to_nothing = env_on(&format!("redis://127.0.0.1:{}?ns=tls", free_port()));
    assert_refused(&to_nothing, &["get", "c", "k"], "cannot reach the server");
    let (_, printed) = answer(&to_nothing, &["get", "c", "k"]);
    assert!(!printed.contains("TLS"), "{printed}");
}

#[test]
fn a_cluster_over_tls_with_the_private_ca() {
    let pki = Pki::new();
    let server = pki.server_args("no");
    let server: Vec<&str> = server.iter().map(String::as_str).collect();
    let ca_file = pki.file("ca.pem").display().to_string();
    let cluster = RedisCluster::start_tls(&server, &["--tls", "--cacert", &ca_file]);
    let ports = cluster.ports();
    let url = format!(
        "rediss://127.0.0.1:{}?ns=tls&cluster=1&{}",
        ports[0],
        ca(&pki.file("ca.pem"))
    );
    let env = env_on(&url);
    for (i, cache) in ["a", "b", "c", "d", "e", "f"].iter().enumerate() {
        env.set(cache, "k", i.to_string());
    }
    env.cmd(["depend", "a", "b", "c", "d", "e", "f"]).run();
    env.cmd(["invalidate", "a"]).any_stderr().run();
    env.cmd(["get", "f", "k"]).status(1).run();
    let info = env.cmd(["info", "--json"]).any_stdout().run().stdout;
    let info: serde_json::Value = serde_json::from_slice(&info).unwrap();
    assert_eq!(info["details"]["mode"], "cluster", "{info}");
    let holding = ports
        .iter()
        .filter(|p| {
            !cluster
                .cli(**p, &["--scan", "--pattern", "cm2:{tls/*"])
                .is_empty()
        })
        .count();
    assert!(holding >= 2, "the caches are on {holding} nodes");
    let without_ca = env_on(&format!("rediss://127.0.0.1:{}?ns=tls&cluster=1", ports[0]));
    assert_refused(&without_ca, &["get", "a", "k"], "not trusted");
}
