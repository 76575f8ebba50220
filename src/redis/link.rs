//! The one connection a process keeps to a Redis server or cluster, behind a
//! mutex, and the mapping of its failures onto the store's errors.

use std::sync::{Mutex, MutexGuard};

use redis::cluster::{ClusterClientBuilder, ClusterConnection};
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, ConnectionLike, FromRedisValue, Pipeline, Script, ScriptInvocation};

use crate::error::{Error, Result};
use crate::store_url::RedisTarget;

use super::tls;

/// A connection to one server or to a cluster.
pub(crate) enum Conn {
    /// A single server.
    Single(redis::Connection),
    /// A Redis Cluster, routing each command to the node of its slot.
    Cluster(Box<ClusterConnection>),
}

impl Conn {
    fn like(&mut self) -> &mut dyn ConnectionLike {
        match self {
            Conn::Single(conn) => conn,
            Conn::Cluster(conn) => conn,
        }
    }
}

/// What a transaction read after its EXEC, under a new WATCH, for the next
/// one on the same key: the key and the answers read.
pub(crate) type Memo = Option<(Vec<u8>, Vec<redis::Value>)>;

/// The connection and the memo left on it.
struct Held {
    conn: Conn,
    memo: Memo,
}

/// The shared connection, and the masked URL its errors name.
pub(crate) struct Link {
    conn: Mutex<Held>,
    /// The URL with the password masked.
    pub(crate) display: String,
    /// Whether writes are refused (asked for, or found by a NOPERM answer).
    pub(crate) read_only: std::sync::atomic::AtomicBool,
}

impl Link {
    /// Connects to `target` within its timeouts.
    pub(crate) fn connect(target: &RedisTarget) -> Result<Link> {
        let fail = |e: redis::RedisError| tls::connect_error(target, &e);
        let conn = match target.cluster {
            false => {
                let url = target.nodes.first().ok_or_else(|| Error::Backend {
                    store: target.display.clone(),
                    message: "no server named".into(),
                })?;
                let client = match tls::certificates(&target.tls)? {
                    Some(certs) => redis::Client::build_with_tls(url.as_str(), certs),
                    None => redis::Client::open(url.as_str()),
                }
                .map_err(fail)?;
                let conn = client
                    .get_connection_with_timeout(target.connect_timeout)
                    .map_err(fail)?;
                conn.set_read_timeout(Some(target.command_timeout))
                    .map_err(fail)?;
                conn.set_write_timeout(Some(target.command_timeout))
                    .map_err(fail)?;
                Conn::Single(conn)
            }
            true => {
                let mut builder = ClusterClientBuilder::new(target.nodes.clone());
                if let Some(certs) = tls::certificates(&target.tls)? {
                    builder = builder.certs(certs);
                }
                let client = builder
                    .connection_timeout(target.connect_timeout)
                    .response_timeout(target.command_timeout)
                    .retries(1)
                    .build()
                    .map_err(fail)?;
                Conn::Cluster(Box::new(client.get_connection().map_err(fail)?))
            }
        };
        Ok(Link {
            conn: Mutex::new(Held { conn, memo: None }),
            display: target.display.clone(),
            read_only: target.read_only.into(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs one command.
    pub(crate) fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        let result = cmd.query(self.lock().conn.like());
        self.map(result)
    }

    /// Runs one command whose refusal means nothing to the store (a
    /// question about the server): `None` when it fails.
    pub(crate) fn ask<T: FromRedisValue>(&self, cmd: &Cmd) -> Option<T> {
        cmd.query(self.lock().conn.like()).ok()
    }

    /// Runs a keyless command on one node, any that answers: the redis
    /// crate would send `INFO` to every primary of a cluster, and fail while
    /// any one of them is down.
    pub(crate) fn query_one_node<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        let result = match &mut self.lock().conn {
            Conn::Single(conn) => cmd.query(conn),
            Conn::Cluster(conn) => conn
                .route_command(cmd, RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random))
                .and_then(|value| T::from_redis_value(value).map_err(Into::into)),
        };
        self.map(result)
    }

    /// Runs a pipeline whose commands all go to one slot.
    pub(crate) fn pipe<T: FromRedisValue>(&self, pipe: &Pipeline) -> Result<T> {
        if pipe.is_empty() {
            let empty = T::from_redis_value(redis::Value::Array(Vec::new()));
            return self.map(empty.map_err(redis::RedisError::from));
        }
        // Commands are never `ignore`d: a cluster pipeline is built from them.
        let result = match &mut self.lock().conn {
            Conn::Single(conn) => pipe.query(conn),
            Conn::Cluster(conn) => {
                let mut cluster = redis::cluster::cluster_pipe();
                pipe.cmd_iter().for_each(|cmd| {
                    cluster.add_command(cmd.clone());
                });
                cluster.query(conn)
            }
        };
        self.map(result)
    }

    /// Runs a pipeline whose commands all go to one slot, each command's
    /// error answered in its place (a `Value::ServerError`) instead of
    /// failing the whole.
    pub(crate) fn pipe_each(&self, pipe: &Pipeline) -> Result<Vec<redis::Value>> {
        let packed = pipe.get_packed_pipeline();
        // A cluster routes the whole to the slot of the first command's key.
        let result = self
            .lock()
            .conn
            .like()
            .req_packed_commands(&packed, 0, pipe.len());
        self.map(result)
    }

    /// Runs `work` on the connection to a single server and the memo the
    /// last `work` left, both held from its first command to its last (a
    /// WATCH with its EXEC, never with another thread's commands between
    /// them); `None` on a cluster. After a failed `work` the memo is gone and
    /// a WATCH it left is dropped.
    pub(crate) fn exclusive<T>(
        &self,
        work: impl FnOnce(&mut redis::Connection, &mut Memo) -> redis::RedisResult<T>,
    ) -> Option<Result<T>> {
        let mut held = self.lock();
        let Held {
            conn: Conn::Single(conn),
            memo,
        } = &mut *held
        else {
            return None;
        };
        let result = work(conn, memo);
        if let Err(e) = &result {
            *memo = None;
            if !(e.is_timeout() || e.is_connection_dropped() || e.is_io_error()) {
                let _ = redis::cmd("UNWATCH").exec(conn);
            }
        }
        Some(self.map(result))
    }

    /// Runs a script (EVALSHA, loaded again on NOSCRIPT).
    pub(crate) fn eval<T: FromRedisValue>(&self, call: &ScriptInvocation<'_>) -> Result<T> {
        let result = call.invoke(self.lock().conn.like());
        self.map(result)
    }

    /// Runs `script` with `keys` and `args`.
    pub(crate) fn run<T: FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&[u8]],
        args: &[&[u8]],
    ) -> Result<T> {
        let mut call = script.prepare_invoke();
        for key in keys {
            call.key(*key);
        }
        for arg in args {
            call.arg(*arg);
        }
        self.eval(&call)
    }

    /// Maps a client error, noticing a server that refuses writes.
    fn map<T>(&self, result: redis::RedisResult<T>) -> Result<T> {
        result.map_err(|e| {
            if e.code() == Some("NOPERM") || e.code() == Some("READONLY") {
                self.read_only
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                return read_only_error(&self.display);
            }
            backend(&self.display, &e)
        })
    }
}

/// A failure of the server or of the connection to it, said as the user
/// can act on it (see [`refusal`](super::refusal)).
pub(crate) fn backend(display: &str, e: &redis::RedisError) -> Error {
    super::refusal::explain(display, e)
}

/// A write refused because the store is read-only.
pub(crate) fn read_only_error(display: &str) -> Error {
    Error::Backend {
        store: display.to_string(),
        message: "the store is read-only (asked for, or the server refuses this user's \
                  writes): writes are refused"
            .into(),
    }
}
