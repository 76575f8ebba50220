//! The answers a batch writes most, written directly: the same bytes the
//! general reply path writes for them, without building a JSON object.

use super::plain;
use crate::cli::commands::get::copy_error;
use crate::cli::context::Context;
use crate::cli::json::{self, Shape};
use crate::error::Result;
use crate::exit_code::ExitCode;

/// Puts the answer of a set that is stored in `reply`:
/// `{"line":N,"output":"","status":0}`.
pub fn stored(line: u64, reply: &mut Vec<u8>) {
    reply.clear();
    reply.extend_from_slice(b"{\"line\":");
    push_number(line, reply);
    reply.extend_from_slice(b",\"output\":\"\",\"status\":0}\n");
}

/// Appends `n` in decimal.
fn push_number(n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Runs a plain get, as the `get` command would, and puts its answer in
/// `reply`: `{"line":N,"output":VALUE,"status":0}`, or `"output":""` and
/// status 1 on a miss. On an error, `reply` holds nothing to send.
pub fn got(
    ctx: &Context,
    get: &plain::Get<'_>,
    line: u64,
    reply: &mut Vec<u8>,
) -> Result<ExitCode> {
    let hit = crate::watch::checked_get(&*ctx.store, &get.cache, &get.key)?;
    reply.clear();
    reply.extend_from_slice(b"{\"line\":");
    push_number(line, reply);
    reply.extend_from_slice(b",\"output\":");
    let status = match hit.filter(|hit| !hit.stale) {
        Some(hit) => {
            let shape = Shape::of(&hit.value)?;
            json::write_value(reply, &hit.value, &shape).map_err(copy_error)?;
            ExitCode::Success
        }
        None => {
            reply.extend_from_slice(b"\"\"");
            ExitCode::Miss
        }
    };
    reply.extend_from_slice(b",\"status\":");
    push_number(status.code().into(), reply);
    reply.extend_from_slice(b"}\n");
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 10, 99, 100, 12_345, u64::MAX] {
            let mut out = Vec::new();
            push_number(n, &mut out);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }
}
