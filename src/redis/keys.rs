//! Where everything lives on the server. Every key starts with the format
//! version and the namespace; store-wide state shares the hash tag `{ns}`,
//! each cache's keys the tag `{ns/cache}` (one slot: a `get` or `set` is one
//! call), and value chunks have no tag, so they spread over a cluster.

/// The format version every key starts with.
const VERSION: &str = "cm2";

/// The names of a namespace's keys.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    ns: String,
}

impl Keys {
    /// The keys of namespace `ns`.
    pub(crate) fn new(ns: &str) -> Keys {
        Keys { ns: ns.to_string() }
    }

    /// The namespace.
    pub(crate) fn namespace(&self) -> &str {
        &self.ns
    }

    /// A store-wide key: `cm2:{ns}:what` (`state`, `epoch`, `next`, `caches`,
    /// `cascades`).
    pub(crate) fn store(&self, what: &str) -> Vec<u8> {
        format!("{VERSION}:{{{}}}:{what}", self.ns).into_bytes()
    }

    /// A key of one cache: `cm2:{ns/cache}:what` (`meta`, `idx`, `lru`,
    /// `stats`, `olds`, `chunks`).
    pub(crate) fn cache(&self, cache: &str, what: &str) -> Vec<u8> {
        format!("{VERSION}:{{{}/{cache}}}:{what}", self.ns).into_bytes()
    }

    /// The entry of `key` in `cache`: `cm2:{ns/cache}:e:KEY`, the key's bytes as they are.
    pub(crate) fn entry(&self, cache: &str, key: &[u8]) -> Vec<u8> {
        let mut name = self.cache(cache, "e:");
        name.extend_from_slice(key);
        name
    }

    /// The chunk of `cache` whose content hashes to `id`:
    /// `cm2:ns:c:CACHE:HEX`, with no hash tag.
    pub(crate) fn chunk(&self, cache: &str, id: &[u8; 32]) -> Vec<u8> {
        let hex = blake3::Hash::from(*id).to_hex();
        format!("{VERSION}:{}:c:{cache}:{hex}", self.ns).into_bytes()
    }

    /// The key of lock `name` and of its "holder failed" counter (one tag).
    pub(crate) fn lock(&self, name: &str, what: &str) -> Vec<u8> {
        format!("{VERSION}:{{{}:lock:{name}}}:{what}", self.ns).into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &[u8]) -> String {
        let key = String::from_utf8_lossy(key);
        let open = key.find('{').unwrap();
        let close = key[open..].find('}').unwrap();
        key[open + 1..open + close].to_string()
    }

    #[test]
    fn a_cache_shares_one_tag_and_the_store_another() {
        let keys = Keys::new("ns");
        assert_eq!(tag(&keys.cache("c", "meta")), "ns/c");
        assert_eq!(tag(&keys.entry("c", b"any\xff{key}")), "ns/c");
        assert_eq!(tag(&keys.store("epoch")), "ns");
        assert!(!keys.chunk("c", &[7; 32]).contains(&b'{'), "chunks spread");
        assert!(keys.store("epoch").starts_with(b"cm2:"));
    }
}
