//! Real Redis servers for the tests: one `redis-server` on a unix socket in
//! its own directory, or a 3-node Redis Cluster on free ports joined with
//! `redis-cli --cluster create`. Each is stopped when dropped; the shared
//! ones (one per test run) die with the test process (parent-death signal),
//! so no server outlives `cargo test`. Without `redis-server` installed the
//! tests fail, saying so: they never pass silently.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use cacheman::store_url::RedisTarget;
use tempfile::TempDir;

/// How long a server may take to answer after it starts.
const READY: Duration = Duration::from_secs(20);

/// A command for a Redis tool, with a clear failure when it is not installed.
fn tool(name: &str) -> Command {
    let found = Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found,
        "`{name}` is not installed: the Redis tests need a real server \
         (apt-get install redis-server)"
    );
    Command::new(name)
}

/// Starts `command`, killed if this process dies: the spawn happens on one
/// thread that lives as long as the process, since the parent-death signal
/// follows the thread that forked.
fn spawn_tied(command: Command) -> Child {
    type Request = (Command, mpsc::Sender<std::io::Result<Child>>);
    static KEEPER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    let keeper = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        thread::spawn(move || {
            for (mut command, reply) in rx {
                // SAFETY: prctl is async-signal-safe; nothing else runs here.
                unsafe {
                    command.pre_exec(|| {
                        rustix::process::set_parent_process_death_signal(Some(
                            rustix::process::Signal::KILL,
                        ))
                        .map_err(std::io::Error::from)
                    });
                }
                let _ = reply.send(command.spawn());
            }
        });
        Mutex::new(tx)
    });
    let (tx, rx) = mpsc::channel();
    keeper.lock().unwrap().send((command, tx)).unwrap();
    rx.recv().unwrap().expect("start redis-server")
}

/// `redis-server` with the test settings: no persistence, its own directory.
fn server_command(dir: &Path, extra: &[&str]) -> Command {
    let mut command = tool("redis-server");
    command
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .args(["--bind", "127.0.0.1", "--protected-mode", "no"])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Waits until `check` holds, failing the test after `READY`.
fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < READY, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// A target with test timeouts and namespace `ns`.
fn target(nodes: Vec<String>, cluster: bool, ns: &str) -> RedisTarget {
    RedisTarget {
        display: format!(
            "{}?ns={ns}{}",
            nodes[0],
            if cluster { "&cluster=1" } else { "" }
        ),
        nodes,
        cluster,
        namespace: ns.to_string(),
        read_only: false,
        connect_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(5),
        lease: Duration::from_secs(15),
        host: None,
        sidecar_base: None,
    }
}

/// One `redis-server` on a unix socket.
pub struct RedisServer {
    child: Child,
    socket: PathBuf,
    _dir: TempDir,
}

impl RedisServer {
    /// Starts a server of its own, stopped when dropped.
    pub fn start() -> RedisServer {
        RedisServer::start_with(&[])
    }

    /// Starts a server with extra `redis-server` arguments.
    pub fn start_with(extra: &[&str]) -> RedisServer {
        let dir = tempfile::Builder::new()
            .prefix("cacheman-redis-")
            .tempdir()
            .unwrap();
        let socket = dir.path().join("redis.sock");
        let mut args = vec!["--port", "0", "--unixsocket"];
        let socket_text = socket.to_str().unwrap().to_string();
        args.push(&socket_text);
        args.extend_from_slice(&["--unixsocketperm", "700"]);
        args.extend_from_slice(extra);
        let child = spawn_tied(server_command(dir.path(), &args));
        let server = RedisServer {
            child,
            socket,
            _dir: dir,
        };
        // Any answer will do: one that needs a password says NOAUTH.
        wait_for("redis-server to answer PING", || {
            server
                .try_cli(&["PING"])
                .is_some_and(|o| !o.stdout.is_empty())
        });
        server
    }

    /// The URL the client connects with.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket.display())
    }

    /// The server's unix socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// A target for namespace `ns`.
    pub fn target(&self, ns: &str) -> RedisTarget {
        target(vec![self.url()], false, ns)
    }

    fn try_cli(&self, args: &[&str]) -> Option<Output> {
        tool("redis-cli")
            .arg("-s")
            .arg(&self.socket)
            .args(args)
            .output()
            .ok()
    }

    /// Runs `redis-cli` against the server; returns its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = self.try_cli(args).expect("run redis-cli");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Kills the server at once (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A 3-node Redis Cluster with no replicas.
pub struct RedisCluster {
    nodes: Vec<(u16, Child)>,
    _dir: TempDir,
}

/// A port that is free, with its cluster bus port (+10000) free too.
fn free_port() -> u16 {
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        if port < 55_000 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

impl RedisCluster {
    /// Starts three nodes and joins them into a cluster.
    pub fn start() -> RedisCluster {
        let dir = tempfile::Builder::new()
            .prefix("cacheman-cluster-")
            .tempdir()
            .unwrap();
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let node_dir = dir.path().join(port.to_string());
            std::fs::create_dir(&node_dir).unwrap();
            let port_text = port.to_string();
            let args = [
                "--port",
                &port_text,
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "5000",
            ];
            nodes.push((port, spawn_tied(server_command(&node_dir, &args))));
        }
        let cluster = RedisCluster { nodes, _dir: dir };
        for (port, _) in &cluster.nodes {
            wait_for("a cluster node to answer PING", || {
                cluster.cli(*port, &["PING"]).starts_with("PONG")
            });
        }
        let addresses: Vec<String> = cluster
            .ports()
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let created = tool("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .unwrap();
        assert!(
            created.status.success(),
            "redis-cli --cluster create: {}",
            String::from_utf8_lossy(&created.stdout)
        );
        for port in cluster.ports() {
            wait_for("cluster_state:ok on every node", || {
                cluster
                    .cli(port, &["CLUSTER", "INFO"])
                    .contains("cluster_state:ok")
            });
        }
        cluster
    }

    /// The nodes' ports.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|(port, _)| *port).collect()
    }

    /// A target for namespace `ns`, seeded with every node.
    pub fn target(&self, ns: &str) -> RedisTarget {
        let nodes = self
            .ports()
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect();
        target(nodes, true, ns)
    }

    /// Runs `redis-cli` against one node; returns its output.
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        tool("redis-cli")
            .args(["-p", &port.to_string()])
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for (_, child) in &mut self.nodes {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The server the tests of one run share (each under its own namespace).
pub fn shared_server() -> &'static RedisServer {
    static SERVER: OnceLock<RedisServer> = OnceLock::new();
    SERVER.get_or_init(RedisServer::start)
}

/// The cluster the tests of one run share (each under its own namespace).
pub fn shared_cluster() -> &'static RedisCluster {
    static CLUSTER: OnceLock<RedisCluster> = OnceLock::new();
    CLUSTER.get_or_init(RedisCluster::start)
}

/// A namespace of its own for whatever `seed` names (a test's directory).
pub fn namespace(seed: &Path) -> String {
    let hash = blake3::hash(seed.as_os_str().as_encoded_bytes());
    format!("t{}", &hash.to_hex()[..16])
}
