//! What a run's key is made of ([`Parts`]), and the key itself: a BLAKE3 hash of
//! a tagged, length-prefixed encoding of every part, so no two different sets of
//! parts can encode to the same bytes.

use serde::{Deserialize, Serialize};

/// Everything that decides whether an earlier result can be replayed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parts {
    pub argv: Vec<Vec<u8>>,
    /// The working directory, unless `--no-cwd`.
    pub cwd: Option<Vec<u8>>,
    /// Each declared variable (sorted by name) with the hash of its value;
    /// `None` when unset, which differs from empty.
    pub env: Vec<(Vec<u8>, Option<[u8; 32]>)>,
    /// Each declared input (sorted by how it was written), with what it matched.
    pub inputs: Vec<Input>,
    /// The hash of stdin, with `--stdin`.
    pub stdin: Option<[u8; 32]>,
    /// The `--key` strings, in order.
    pub keys: Vec<Vec<u8>>,
    /// The declared outputs: a different set of outputs is a different result.
    pub outputs: Vec<Vec<u8>>,
    /// stdout and stderr were one file, so the command got one pipe for both.
    pub merged: bool,
}

/// One `--input` and the files it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// The path or glob as written.
    pub spec: Vec<u8>,
    /// Each file, by the path it was found at, sorted.
    pub files: Vec<(Vec<u8>, Content)>,
}

/// What one input path holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Content {
    /// Nothing is there (a plain path that does not exist, a dangling link).
    Missing,
    /// A regular file, by the BLAKE3 hash of its bytes.
    File([u8; 32]),
    /// A directory reached through a symbolic link (what it holds is listed
    /// beside it, under the link's path).
    Dir,
    /// Anything else (a FIFO, socket or device), by its kind and device
    /// number; never opened.
    Special { kind: u8, rdev: u64 },
    /// A symbolic link inside an input directory, by its target as written and
    /// by what it resolves to.
    Symlink(Vec<u8>, Box<Content>),
}

/// A BLAKE3 hash of bytes.
pub fn hash(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

/// A key or hash as lowercase hex, as it appears in store keys and lock names.
pub fn hex(key: &[u8; 32]) -> String {
    blake3::Hash::from_bytes(*key).to_hex().to_string()
}

/// The store key of the result stored under a key.
pub fn result_key(key: &[u8; 32]) -> Vec<u8> {
    format!("result/{}", hex(key)).into_bytes()
}

/// Feeds tagged, length-prefixed fields to a hasher.
struct Encoder(blake3::Hasher);

impl Encoder {
    fn field(&mut self, tag: u8, bytes: &[u8]) {
        self.0.update(&[tag]);
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    fn count(&mut self, tag: u8, n: usize) {
        self.field(tag, &(n as u64).to_le_bytes());
    }

    fn list(&mut self, tag: u8, items: &[Vec<u8>]) {
        self.count(tag, items.len());
        for item in items {
            self.field(tag, item);
        }
    }

    fn content(&mut self, content: &Content) {
        match content {
            Content::Missing => self.field(6, b""),
            Content::File(hash) => self.field(7, hash),
            Content::Symlink(target, resolved) => {
                self.field(8, target);
                self.content(resolved);
            }
            Content::Dir => self.field(12, b""),
            Content::Special { kind, rdev } => {
                self.field(13, &[*kind]);
                self.field(13, &rdev.to_le_bytes());
            }
        }
    }

    fn optional(&mut self, tag: u8, value: Option<&[u8]>) {
        match value {
            Some(bytes) => self.field(tag, bytes),
            None => {
                self.0.update(&[tag | 0x80]);
            }
        }
    }
}

impl Parts {
    /// The key results are stored under.
    pub fn key(&self) -> [u8; 32] {
        let mut e = Encoder(blake3::Hasher::new());
        e.field(0, b"cacheman run key v2");
        e.list(1, &self.argv);
        e.optional(2, self.cwd.as_deref());
        e.count(3, self.env.len());
        for (name, value) in &self.env {
            e.field(3, name);
            e.optional(3, value.as_ref().map(<[u8; 32]>::as_slice));
        }
        e.count(4, self.inputs.len());
        for input in &self.inputs {
            e.field(4, &input.spec);
            e.count(4, input.files.len());
            for (path, content) in &input.files {
                e.field(5, path);
                e.content(content);
            }
        }
        e.optional(9, self.stdin.as_ref().map(<[u8; 32]>::as_slice));
        e.list(10, &self.keys);
        e.list(11, &self.outputs);
        if self.merged {
            // Only then: the keys of runs with the streams apart stay as they were.
            e.field(14, b"");
        }
        *e.0.finalize().as_bytes()
    }

    /// Names the command alone, for finding the last result of the same argv.
    pub fn argv_id(&self) -> [u8; 32] {
        let mut e = Encoder(blake3::Hasher::new());
        e.field(0, b"cacheman run argv v1");
        e.list(1, &self.argv);
        *e.0.finalize().as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> Parts {
        Parts {
            argv: vec![b"cc".to_vec(), b"-c".to_vec()],
            cwd: Some(b"/src".to_vec()),
            ..Parts::default()
        }
    }

    #[test]
    fn every_part_changes_the_key() {
        let base = parts().key();
        let mut p = parts();
        p.argv = vec![b"cc-c".to_vec()];
        assert_ne!(p.key(), base, "argv boundaries count");
        let mut p = parts();
        p.cwd = None;
        assert_ne!(p.key(), base);
        let mut unset = parts();
        unset.env = vec![(b"CC".to_vec(), None)];
        let mut empty = parts();
        empty.env = vec![(b"CC".to_vec(), Some(hash(b"")))];
        assert_ne!(unset.key(), empty.key(), "unset differs from empty");
        let mut p = parts();
        p.stdin = Some(hash(b""));
        assert_ne!(p.key(), base);
        let mut p = parts();
        p.keys = vec![b"v2".to_vec()];
        assert_ne!(p.key(), base);
        let mut p = parts();
        p.merged = true;
        assert_ne!(p.key(), base, "merged streams are another result");
        let mut p = parts();
        p.inputs = vec![Input {
            spec: b"a".to_vec(),
            files: vec![(b"a".to_vec(), Content::Missing)],
        }];
        assert_ne!(p.key(), base);
        assert_eq!(parts().key(), base, "the key is stable");
        assert_eq!(p.argv_id(), parts().argv_id());
    }
}
