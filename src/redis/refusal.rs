//! What a failure of the server means to the user, in one line and a hint:
//! a server down or too slow, a login refused, a URL naming another kind of
//! server (a cluster node without `cluster=1`, `cluster=1` on a single
//! server, TLS to a plain server, something that is not Redis), a server out
//! of memory, a key of the wrong type (damage).

use redis::{ErrorKind, RedisError};

use crate::error::Error;
use crate::store_url::RedisTarget;

/// What a key of the wrong type is said to be.
const WRONG_TYPE: &str =
    "a key of the store holds another type of value than the store put there (WRONGTYPE)";

/// The store's error for the client's `e`, at the store named `display`.
pub(crate) fn explain(display: &str, e: &RedisError) -> Error {
    let store = display.to_string();
    if let Some((message, hint)) = refused(e, display.starts_with("rediss://")) {
        return unavailable(display, &message, hint);
    }
    if has_code(e, "WRONGTYPE") {
        let message = WRONG_TYPE.to_string();
        return Error::Damaged { store, message };
    }
    let message = match () {
        _ if has_code(e, "OOM") => format!(
            "the server is out of memory (maxmemory reached) and refuses writes (OOM {})",
            one_line(&detail(e))
        ),
        _ => one_line(&e.to_string()),
    };
    Error::Backend { store, message }
}

/// The store's error for a failure to connect to `target`: as [`explain`]
/// says, or what a TLS handshake that did not complete most likely means,
/// or (a cluster) what its first node says when asked alone.
pub(crate) fn at_connect(target: &RedisTarget, e: &RedisError) -> Error {
    let display = &target.display;
    let tls = display.starts_with("rediss://");
    if tls && (e.is_timeout() || tls_mismatch(e) || e.kind() == ErrorKind::Parse) {
        return unavailable(
            display,
            &format!(
                "the TLS handshake did not complete ({})",
                one_line(&e.to_string())
            ),
            TLS_HINT,
        );
    }
    match target.cluster {
        true => cluster_failed(target, explain(display, e)),
        false => explain(display, e),
    }
}

/// The error of a cluster that could not be joined: what its first node
/// says when asked alone (not a cluster node, a login refused, down), or
/// `error` when it says nothing clearer.
pub(crate) fn cluster_failed(target: &RedisTarget, error: Error) -> Error {
    alone(target).unwrap_or(error)
}

/// What the first node of a cluster says when asked alone: `None` when it
/// answers as a cluster node.
fn alone(target: &RedisTarget) -> Option<Error> {
    let display = &target.display;
    let client = redis::Client::open(target.nodes.first()?.as_str()).ok()?;
    let mut conn = match client.get_connection_with_timeout(target.connect_timeout) {
        Ok(conn) => conn,
        Err(e) => return Some(explain(display, &e)),
    };
    conn.set_read_timeout(Some(target.command_timeout)).ok()?;
    let info: String = match redis::cmd("INFO").arg("cluster").query(&mut conn) {
        Ok(info) => info,
        Err(e) => return Some(explain(display, &e)),
    };
    info.contains("cluster_enabled:0").then(|| {
        unavailable(
            display,
            "the URL says cluster=1, but the server is not a node of a Redis Cluster",
            "remove cluster=1 from the URL",
        )
    })
}

/// A store that cannot be used, and what to do about it.
fn unavailable(display: &str, message: &str, hint: &str) -> Error {
    Error::Unavailable {
        store: display.to_string(),
        message: message.to_string(),
        hint: Some(hint.to_string()),
    }
}

/// A message on one line (a client's error may span several).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A failure that makes the store unusable, and what to do about it:
/// the server is down or too slow, or it refuses this client. Only a URL
/// asking for TLS (`tls`) has a failure read as a TLS mismatch: a host named
/// `redis-tls-0` that is down is down.
fn refused(e: &RedisError, tls: bool) -> Option<(String, &'static str)> {
    let text = e.to_string();
    let said = |part: &str| text.contains(part);
    Some(match () {
        _ if has_code(e, "WRONGPASS") || e.kind() == ErrorKind::AuthenticationFailed => (
            "the server refused the login: wrong user name or password".into(),
            PASSWORD_HINT,
        ),
        _ if has_code(e, "NOAUTH") => (
            "the server needs a password, and none was given".into(),
            PASSWORD_HINT,
        ),
        _ if has_code(e, "MOVED") || has_code(e, "ASK") => (
            "the server is a node of a Redis Cluster, and the URL does not say so".into(),
            CLUSTER_HINT,
        ),
        _ if said("cluster support disabled") => (
            "the URL says cluster=1, but the server is not a node of a Redis Cluster".into(),
            "remove cluster=1 from the URL",
        ),
        _ if tls && tls_mismatch(e) => (
            format!("the TLS handshake failed ({})", one_line(&text)),
            TLS_HINT,
        ),
        _ if e.kind() == ErrorKind::Parse => (
            "the server did not answer as Redis does (its answer does not parse)".into(),
            "check the host and port: is a Redis server listening there (with TLS only for rediss://)?",
        ),
        _ if e.is_timeout() => (
            format!("the server did not answer in time ({})", one_line(&text)),
            "check that the server is up and not paused; timeout=DURATION in the URL waits longer",
        ),
        _ if e.is_connection_dropped() || e.is_io_error() => (
            format!("cannot reach the server ({})", one_line(&text)),
            "check that the server is up and the URL's host and port",
        ),
        _ => return None,
    })
}

/// What the user does about a cluster node named without `cluster=1`.
pub(crate) const CLUSTER_HINT: &str =
    "add cluster=1 to the URL's query (redis://HOST:PORT?cluster=1)";

/// What the user does about a TLS handshake that failed.
const TLS_HINT: &str =
    "use rediss:// only for a server that speaks TLS, and redis:// for one that does not";

/// What the user does about a login refused.
const PASSWORD_HINT: &str = "give the password in CACHEMAN_REDIS_PASSWORD, or in the URL \
     (redis://:PASSWORD@HOST or redis://USER:PASSWORD@HOST)";

/// Whether `e` is a TLS handshake that failed because the other end does
/// not speak TLS (or speaks it where plain text was expected).
fn tls_mismatch(e: &RedisError) -> bool {
    let text = e.to_string();
    [
        "InvalidContentType",
        "corrupt message",
        "tls",
        "TLS",
        "certificate",
    ]
    .iter()
    .any(|part| text.contains(part))
}

/// Whether the server answered with the error `code` (alone or in a
/// pipeline).
fn has_code(e: &RedisError, code: &str) -> bool {
    e.code() == Some(code)
        || e.clone()
            .into_server_errors()
            .is_some_and(|errors| errors.iter().any(|(_, s)| s.code() == code))
}

/// The server's own words, or the whole error.
fn detail(e: &RedisError) -> String {
    e.detail().map_or_else(|| e.to_string(), str::to_string)
}
