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

/// `redis-server` with the test settings: no persistence (unless `extra`
/// says otherwise: later settings win), its own directory.
fn server_command(dir: &Path, extra: &[impl AsRef<std::ffi::OsStr>]) -> Command {
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
        tls: Default::default(),
        host: None,
        sidecar_base: None,
    }
}

/// Settings that keep a server's data across a kill and a restart: an
/// append-only file written through on every command.
pub const PERSISTENT: &[&str] = &["--appendonly", "yes", "--appendfsync", "always"];

/// One `redis-server` on a unix socket.
pub struct RedisServer {
    child: Child,
    socket: PathBuf,
    args: Vec<String>,
    dir: TempDir,
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
        let socket_text = socket.to_str().unwrap();
        let mut args = vec!["--port", "0", "--unixsocket", socket_text];
        args.extend_from_slice(&["--unixsocketperm", "700"]);
        args.extend_from_slice(extra);
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        let child = spawn_tied(server_command(dir.path(), &args));
        let server = RedisServer {
            child,
            socket,
            args,
            dir,
        };
        server.wait_ready();
        server
    }

    /// Waits for an answer with the data loaded: any will do (one that
    /// needs a password says NOAUTH) but LOADING.
    fn wait_ready(&self) {
        wait_for("redis-server to answer PING", || {
            self.try_cli(&["PING"])
                .is_some_and(|o| !o.stdout.is_empty() && !o.stdout.starts_with(b"LOADING"))
        });
    }

    /// Starts the server again, killed first if it runs, in its directory
    /// with its settings: started with [`PERSISTENT`], it has its data back.
    pub fn restart(&mut self) {
        self.kill();
        self.child = spawn_tied(server_command(self.dir.path(), &self.args));
        self.wait_ready();
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
    extra: Vec<String>,
    /// `redis-cli`'s TLS arguments, for a cluster on TLS ports; else empty.
    cli_tls: Vec<String>,
    dir: TempDir,
}

/// A port that is free, with its cluster bus port (+10000) free too.
pub fn free_port() -> u16 {
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
        RedisCluster::start_with(&[])
    }

    /// Starts a cluster whose nodes have extra `redis-server` arguments
    /// (such as [`PERSISTENT`]).
    pub fn start_with(extra: &[&str]) -> RedisCluster {
        RedisCluster::start_on(extra, &[])
    }

    /// Starts a cluster on TLS ports only, its nodes talking TLS to each
    /// other too: `extra` names the server's certificate files, `cli` what
    /// `redis-cli` needs (`--tls`, `--cacert`...).
    pub fn start_tls(extra: &[&str], cli: &[&str]) -> RedisCluster {
        assert!(!cli.is_empty(), "redis-cli needs --tls");
        RedisCluster::start_on(extra, cli)
    }

    fn start_on(extra: &[&str], cli_tls: &[&str]) -> RedisCluster {
        let dir = tempfile::Builder::new()
            .prefix("cacheman-cluster-")
            .tempdir()
            .unwrap();
        let mut cluster = RedisCluster {
            nodes: Vec::new(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            cli_tls: cli_tls.iter().map(|s| s.to_string()).collect(),
            dir,
        };
        for _ in 0..3 {
            let port = free_port();
            std::fs::create_dir(cluster.dir.path().join(port.to_string())).unwrap();
            let child = cluster.spawn_node(port);
            cluster.nodes.push((port, child));
        }
        for port in cluster.ports() {
            cluster.wait_node(port);
        }
        let addresses: Vec<String> = cluster
            .ports()
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let created = tool("redis-cli")
            .args(&cluster.cli_tls)
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
        cluster.wait_ok();
        cluster
    }

    /// Starts the node of `port` in its directory (where its `nodes.conf`
    /// and any append-only file are).
    fn spawn_node(&self, port: u16) -> Child {
        let port_text = port.to_string();
        let mut args = match self.cli_tls.is_empty() {
            true => vec!["--port", &port_text],
            false => vec![
                "--port",
                "0",
                "--tls-port",
                &port_text,
                "--tls-cluster",
                "yes",
            ],
        };
        args.extend([
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "5000",
        ]);
        args.extend(self.extra.iter().map(String::as_str));
        let node_dir = self.dir.path().join(port.to_string());
        spawn_tied(server_command(&node_dir, &args))
    }

    fn wait_node(&self, port: u16) {
        wait_for("a cluster node to answer PING", || {
            self.cli(port, &["PING"]).starts_with("PONG")
        });
    }

    /// Waits until every node says `cluster_state:ok`.
    pub fn wait_ok(&self) {
        for port in self.ports() {
            wait_for("cluster_state:ok on every node", || {
                self.cli(port, &["CLUSTER", "INFO"])
                    .contains("cluster_state:ok")
            });
        }
    }

    fn child(&mut self, port: u16) -> &mut Child {
        let node = self.nodes.iter_mut().find(|(p, _)| *p == port);
        &mut node.expect("a node of this cluster").1
    }

    /// Kills the node of `port` at once (SIGKILL).
    pub fn kill_node(&mut self, port: u16) {
        let child = self.child(port);
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts the killed node of `port` again on its port, with its data
    /// when the cluster was started with [`PERSISTENT`], and waits until the
    /// cluster is whole.
    pub fn restart_node(&mut self, port: u16) {
        self.kill_node(port);
        *self.child(port) = self.spawn_node(port);
        self.wait_node(port);
        self.wait_ok();
    }

    /// The port of the node that holds the slot of `key`.
    pub fn port_of(&self, key: &str) -> u16 {
        let some = self.ports()[0];
        let slot: u16 = self
            .cli(some, &["CLUSTER", "KEYSLOT", key])
            .trim()
            .parse()
            .unwrap();
        let nodes = self.cli(some, &["CLUSTER", "NODES"]);
        for line in nodes.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let serves = fields.iter().skip(8).any(|range| {
                let (low, high) = range.split_once('-').unwrap_or((range, range));
                matches!((low.parse::<u16>(), high.parse::<u16>()), (Ok(l), Ok(h)) if (l..=h).contains(&slot))
            });
            if serves {
                let address = fields[1].split('@').next().unwrap();
                return address.rsplit(':').next().unwrap().parse().unwrap();
            }
        }
        panic!("no node serves slot {slot}:\n{nodes}");
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
            .args(&self.cli_tls)
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
