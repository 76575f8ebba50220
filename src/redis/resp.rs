//! Commands written straight into one buffer in the server's protocol
//! (RESP), for the long pipelines of a batch: no allocation per command or
//! per argument, as building a `redis::Cmd` for each would cost.

/// A pipeline of commands as the bytes sent, and how many there are.
#[derive(Default)]
pub(crate) struct Resp {
    pub bytes: Vec<u8>,
    pub count: usize,
}

impl Resp {
    /// An empty pipeline with room for about `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Resp {
        Resp {
            bytes: Vec::with_capacity(capacity),
            count: 0,
        }
    }

    /// Starts a command of `args` arguments (its name included), which the
    /// caller then writes.
    pub(crate) fn command(&mut self, args: usize) -> &mut Resp {
        self.count += 1;
        self.bytes.push(b'*');
        self.decimal(args as u64);
        self.bytes.extend_from_slice(b"\r\n");
        self
    }

    /// An argument.
    pub(crate) fn arg(&mut self, arg: &[u8]) -> &mut Resp {
        self.joined(&[arg])
    }

    /// One argument made of `parts` end to end.
    pub(crate) fn joined(&mut self, parts: &[&[u8]]) -> &mut Resp {
        self.bytes.push(b'$');
        self.decimal(parts.iter().map(|p| p.len() as u64).sum());
        self.bytes.extend_from_slice(b"\r\n");
        parts.iter().for_each(|p| self.bytes.extend_from_slice(p));
        self.bytes.extend_from_slice(b"\r\n");
        self
    }

    /// A number as a decimal argument.
    pub(crate) fn number(&mut self, n: u64) -> &mut Resp {
        self.arg(itoa::Buffer::new().format(n).as_bytes())
    }

    fn decimal(&mut self, n: u64) {
        let mut digits = itoa::Buffer::new();
        self.bytes.extend_from_slice(digits.format(n).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_written_as_the_server_reads_them() {
        let mut resp = Resp::default();
        resp.command(3).arg(b"SET").arg(b"k").number(0);
        resp.command(2)
            .arg(b"GET")
            .number(18_446_744_073_709_551_615);
        assert_eq!(resp.count, 2);
        let expected = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n0\r\n\
                         *2\r\n$3\r\nGET\r\n$20\r\n18446744073709551615\r\n";
        assert_eq!(resp.bytes, expected);
        let cmd = redis::cmd("SET").arg("k").arg(0).get_packed_command();
        assert_eq!(
            &resp.bytes[..cmd.len()],
            cmd.as_slice(),
            "as the client writes it"
        );
    }
}
