//! Validated cache names and keys: nothing the user types can reach a path outside the store.

use std::fmt;

use crate::error::{Error, Result};

/// The longest cache name, in bytes.
pub const MAX_NAME_LEN: usize = 128;
/// The longest key, in bytes.
pub const MAX_KEY_LEN: usize = 4096;

/// A cache name: ASCII letters, digits, `.`, `_` and `-`, not starting with `.`,
/// 1 to 128 bytes. Such a name is always one safe path component.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CacheName(String);

impl CacheName {
    /// The name, checked: an error says why it is not a valid cache name.
    pub fn new(name: &str) -> Result<Self> {
        let refuse = |why: &str| Error::InvalidName {
            name: name.to_string(),
            why: why.to_string(),
        };
        if name.is_empty() {
            return Err(refuse("it is empty"));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(refuse(&format!("it is {} bytes long", name.len())));
        }
        if name.starts_with('.') {
            return Err(refuse("it starts with '.'"));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(refuse(&format!("{bad:?} is not allowed")));
        }
        Ok(CacheName(name.to_owned()))
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CacheName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for CacheName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        CacheName::new(s)
    }
}

/// Refuses a key longer than [`MAX_KEY_LEN`].
pub fn check_key(key: &[u8]) -> Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(Error::usage(format!(
            "key is {} bytes long; the limit is {MAX_KEY_LEN}",
            key.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_safe_names() {
        for ok in ["a", "build-cache", "v1.2_x", &"x".repeat(128)] {
            assert!(CacheName::new(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_names_that_could_escape_or_hide() {
        for bad in [
            "",
            "../x",
            "a/b",
            ".hidden",
            "..",
            "a b",
            "é",
            "a\0b",
            &"x".repeat(129),
        ] {
            assert!(CacheName::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn key_limit_is_inclusive() {
        assert!(check_key(&[b'k'; MAX_KEY_LEN]).is_ok());
        assert!(check_key(&[b'k'; MAX_KEY_LEN + 1]).is_err());
    }
}
