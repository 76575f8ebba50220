//! The Lua the engine sends: compare-and-set and bookkeeping only (Rust
//! computes everything else), each as EVALSHA reloaded on NOSCRIPT.

use std::sync::LazyLock;

use redis::Script;

/// A script with a `#!lua` shebang: the server then treats it as one that
/// writes, and refuses it at once when out of memory (without one, a write
/// after the script's first is let through, to keep the script atomic).
fn script(body: &str) -> Script {
    Script::new(&format!("#!lua\n{body}"))
}

/// Lua reading an entry's header (see `entry.rs`): `word(h, i)` the i-th
/// big-endian u64 after the three flag bytes (0 created, 1 expires, 2 epoch,
/// 3 generation, 4 length), `be8(n)` one encoded.
const WORDS: &str = r#"
local function word(h, i)
  local n = 0
  for j = 4 + 8 * i, 11 + 8 * i do n = n * 256 + string.byte(h, j) end
  return n
end
local function be8(n)
  local t = {}
  for j = 8, 1, -1 do t[j] = n % 256; n = math.floor(n / 256) end
  return string.char(unpack(t))
end
"#;

/// Writes entries into one cache: KEYS meta, idx, epoch key (the store's
/// epoch on one server, the meta again on a cluster), the set of the cache's
/// chunks (each chunked entry's are added), then one key per entry; ARGV token (or ""), default settings, epoch (or "" to read KEYS[4]),
/// a guard on the first entry: the time now ("" no guard), the created time
/// it must have ("" none: it must have no live entry) and its value, then
/// 8 per entry: key, created, expires ("" never, "default" the cache's
/// `ttl`), length, stale, kind (`v` inline, `k` chunks), body, px. Each
/// entry is one string: its header, then its body. Creates the cache when
/// absent. Returns {written, or -1 (a floor above the token) or -2 (a floor
/// above the epoch: a cascade not yet published) or -3 (the guard failed),
/// floor, created, durable}.
pub(crate) static PUT: LazyLock<Script> = LazyLock::new(|| {
    let body = r#"
local meta = KEYS[1]
local created = 0
if redis.call('HEXISTS', meta, 'settings') == 0 then
  redis.call('HSET', meta, 'settings', ARGV[2])
  created = 1
end
if ARGV[1] ~= '' then
  local token = tonumber(ARGV[1])
  for _, f in ipairs({'hard', 'soft', 'keys'}) do
    local floor = tonumber(redis.call('HGET', meta, f) or '0')
    if floor > token then return {-1, floor, created, 0} end
  end
end
local epoch = ARGV[3]
if epoch == '' then epoch = redis.call('GET', KEYS[3]) or '0' end
if ARGV[1] == '' then
  for _, f in ipairs({'hard', 'soft'}) do
    local floor = tonumber(redis.call('HGET', meta, f) or '0')
    if floor > tonumber(epoch) then return {-2, floor, created, 0} end
  end
end
local gen = redis.call('HGET', meta, 'gen') or '0'
if ARGV[4] ~= '' then
  local h = redis.call('GET', KEYS[5])
  local live = h and #h >= 43 and string.byte(h, 1) == 1 and string.byte(h, 2) == 0
  if live then
    local x = word(h, 1)
    live = word(h, 3) == tonumber(gen) and (x == 0 or x > tonumber(ARGV[4]))
    for _, f in ipairs({'hard', 'soft'}) do
      if live and word(h, 2) < tonumber(redis.call('HGET', meta, f) or '0') then live = false end
    end
  end
  if ARGV[5] == '' then
    if live then return {-3, 0, created, 0} end
  elseif not live or word(h, 0) ~= tonumber(ARGV[5]) or string.byte(h, 3) ~= 0
      or string.sub(h, 44) ~= ARGV[6] then
    return {-3, 0, created, 0}
  end
end
local ttl = redis.call('HGET', meta, 'ttl')
local idx = {}
for i = 5, #KEYS do
  local a = 7 + (i - 5) * 8
  local x, px = ARGV[a+2], ARGV[a+7]
  if x == 'default' then
    x, px = '', ''
    if ttl then
      x = string.format('%.0f', tonumber(ARGV[a+1]) + tonumber(ttl))
      px = string.format('%.0f', math.min(tonumber(ttl) + 3600000, 70368744177664))
    end
  end
  local stale, kind = 0, 0
  if ARGV[a+4] ~= '' then stale = 1 end
  if ARGV[a+5] == 'k' then kind = 1 end
  local h = string.char(1, stale, kind) .. be8(tonumber(ARGV[a+1])) .. be8(tonumber(x) or 0)
    .. be8(tonumber(epoch)) .. be8(tonumber(gen)) .. be8(tonumber(ARGV[a+3]))
  if px ~= '' then
    redis.call('SET', KEYS[i], h .. ARGV[a+6], 'PX', px)
  else
    redis.call('SET', KEYS[i], h .. ARGV[a+6])
  end
  if kind == 1 then
    for j = 33, #ARGV[a+6], 32 do
      redis.call('SADD', KEYS[4], string.sub(ARGV[a+6], j, j + 31))
    end
  end
  idx[#idx + 1] = '0'
  idx[#idx + 1] = ARGV[a]
end
for i = 1, #idx, 4000 do
  redis.call('ZADD', KEYS[2], unpack(idx, i, math.min(i + 3999, #idx)))
end
local durable = 0
if redis.call('HGET', meta, 'durable') == '1' then durable = 1 end
return {#KEYS - 4, 0, created, durable}
"#;
    script(&[WORDS, body].concat())
});

/// Stores a chunk, keeping the longer of its expiry and the one asked for
/// (`""`: never expires): KEYS chunk; ARGV content, px.
pub(crate) static PUT_CHUNK: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
local t = redis.call('PTTL', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
if ARGV[2] == '' or t == -1 then
  redis.call('PERSIST', KEYS[1])
elseif t == -2 or t < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"#,
    )
});

/// Compare-and-set of a hash field guarded by a version field `FIELD:v`:
/// KEYS hash; ARGV field, expected version, value ("": the field goes).
/// Returns 1 when set.
pub(crate) static CAS: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
local v = redis.call('HGET', KEYS[1], ARGV[1] .. ':v') or '0'
if v ~= ARGV[2] then return 0 end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':v', 1)
return 1
"#,
    )
});

/// Stores a cache's settings: KEYS meta; ARGV "create" (only if it has none)
/// or the version they must be at, the settings, the default TTL ("" none),
/// durable ("1"/"0"). Returns 1 when stored.
pub(crate) static SETTINGS: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
local exists = redis.call('HEXISTS', KEYS[1], 'settings') == 1
if ARGV[1] == 'create' then
  if exists then return 0 end
elseif not exists or (redis.call('HGET', KEYS[1], 'settings:v') or '0') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'settings', ARGV[2], 'durable', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'settings:v', 1)
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], 'ttl')
else
  redis.call('HSET', KEYS[1], 'ttl', ARGV[3])
end
return 1
"#,
    )
});

/// Raises floors to an epoch (never lowers them): KEYS metas; ARGV epoch,
/// then one floor field per meta.
pub(crate) static FLOORS: LazyLock<Script> =
    LazyLock::new(|| script(&[RAISE, "raise(1, 1, ARGV[1])\nreturn 1\n"].concat()));

/// Lua that defines `raise(first, shift, value)`: sets the floor field
/// ARGV[i + shift] of each meta KEYS[i], from `first` on, to `value` where
/// it is below.
const RAISE: &str = r#"
local function raise(first, shift, value)
  for i = first, #KEYS do
    local f = ARGV[i + shift]
    if tonumber(redis.call('HGET', KEYS[i], f) or '0') < tonumber(value) then
      redis.call('HSET', KEYS[i], f, value)
    end
  end
end
"#;

/// Lua that returns -1 if the graph (KEYS[1] state) is no longer at version
/// ARGV[1], and else takes `new`, an epoch above the store's (KEYS[2]), from
/// the counter KEYS[3].
const NEW_EPOCH: &str = r#"
if (redis.call('HGET', KEYS[1], 'graph:v') or '0') ~= ARGV[1] then return -1 end
local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
local new = redis.call('INCR', KEYS[3])
if new <= epoch then new = epoch + 1; redis.call('SET', KEYS[3], new) end
"#;

/// A new epoch, taken only if the graph is still at the version the cascade
/// was planned on: KEYS state, epoch, next, cascades; ARGV graph version,
/// then (cluster) the cascade's log record, or nothing (one server: the
/// caller publishes in the same script, see CASCADE). Returns -1 on a changed graph.
pub(crate) static BEGIN: LazyLock<Script> = LazyLock::new(|| {
    let tail = "redis.call('HSET', KEYS[4], new, ARGV[2])\nreturn new\n";
    script(&[NEW_EPOCH, tail].concat())
});

/// Publishes a cluster cascade's epoch once its floors are set, if the
/// graph is still at the version it was planned on: KEYS state, epoch,
/// cascades; ARGV graph version ("" to skip the check), epoch. Returns the
/// store's epoch, or -1 on a changed graph.
pub(crate) static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
if ARGV[1] ~= '' and (redis.call('HGET', KEYS[1], 'graph:v') or '0') ~= ARGV[1] then return -1 end
local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) > epoch then epoch = tonumber(ARGV[2]); redis.call('SET', KEYS[2], epoch) end
redis.call('HDEL', KEYS[3], ARGV[2])
return epoch
"#,
    )
});

/// The whole cascade on one server: KEYS state, epoch, next, then the metas;
/// ARGV graph version, then one floor field per meta. Returns the new epoch,
/// or -1 on a changed graph.
pub(crate) static CASCADE: LazyLock<Script> = LazyLock::new(|| {
    let tail = "raise(4, -2, new)\nredis.call('SET', KEYS[2], new)\nreturn new\n";
    script(&[RAISE, NEW_EPOCH, tail].concat())
});

/// Starts a new generation of a cache (`clear`): KEYS meta, idx, lru, olds;
/// the old index is kept (renamed) for `gc` to delete its entries.
pub(crate) static CLEAR: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
local old = redis.call('HGET', KEYS[1], 'gen') or '0'
local gen = redis.call('HINCRBY', KEYS[1], 'gen', 1)
if redis.call('EXISTS', KEYS[2]) == 1 then
  local name = KEYS[2] .. ':' .. old
  redis.call('RENAME', KEYS[2], name)
  redis.call('SADD', KEYS[4], name)
end
redis.call('DEL', KEYS[3])
return gen
"#,
    )
});

/// Deletes entries still as they were seen: KEYS idx, lru, then entries;
/// ARGV[1] a generation, then the key, created and epoch per entry ("" created:
/// only if its generation is below ARGV[1]). A key whose entry is gone
/// leaves the indexes; one whose header does not decode stays (`repair`'s).
/// Returns how many entries went.
pub(crate) static DELETE_SEEN: LazyLock<Script> = LazyLock::new(|| {
    let body = r#"
local n = 0
for i = 3, #KEYS do
  local a = 2 + (i - 3) * 3
  local e = KEYS[i]
  local h = redis.call('GETRANGE', e, 0, 42)
  local same
  if h == '' then
    redis.call('ZREM', KEYS[1], ARGV[a])
    redis.call('ZREM', KEYS[2], ARGV[a])
  elseif #h < 43 or string.byte(h, 1) ~= 1 then
    same = false
  elseif ARGV[a + 1] == '' then
    same = word(h, 3) < tonumber(ARGV[1])
  else
    same = word(h, 0) == tonumber(ARGV[a + 1]) and word(h, 2) == tonumber(ARGV[a + 2])
  end
  if same then
    n = n + redis.call('DEL', e)
    redis.call('ZREM', KEYS[1], ARGV[a])
    redis.call('ZREM', KEYS[2], ARGV[a])
  end
end
return n
"#;
    script(&[WORDS, body].concat())
});

/// Drops the damaged entries `repair` found, each only if it is still as
/// seen (a writer may have replaced it since): KEYS idx, lru, then one key
/// per entry; ARGV 3 per entry: key, `entry` and its first 43 bytes (its
/// header) as seen, or `other` and "" (a key holding another type of
/// value). Returns how many were dropped.
pub(crate) static DROP_SEEN: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
local function as_seen(e, kind, header)
  local t = redis.call('TYPE', e)['ok']
  if kind ~= 'entry' then return t ~= 'string' and t ~= 'none' end
  if t ~= 'string' then return false end
  return redis.call('GETRANGE', e, 0, 42) == header
end
local n = 0
for i = 3, #KEYS do
  local a = 1 + (i - 3) * 3
  if as_seen(KEYS[i], ARGV[a + 1], ARGV[a + 2]) then
    n = n + redis.call('DEL', KEYS[i])
    for j = 1, 2 do redis.call('ZREM', KEYS[j], ARGV[a]) end
  end
end
return n
"#,
    )
});

/// Marks entries stale (the stale byte of their header; their expiry
/// kept), those still there: KEYS entries. Returns how many were marked.
pub(crate) static MARK_STALE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
local n = 0
for _, e in ipairs(KEYS) do
  if redis.call('EXISTS', e) == 1 then
    redis.call('SETRANGE', e, 1, '\1')
    n = n + 1
  end
end
return n
"#,
    )
});

/// Releases, renews or fails a lease held with a token: KEYS lock, failed
/// counter; ARGV token, action (`release`, `renew`, `fail`), lease ms.
pub(crate) static LEASE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == 'renew' then return redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
redis.call('DEL', KEYS[1])
if ARGV[2] == 'fail' then
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], 3600000)
end
return 1
"#,
    )
});

/// One step of a SCAN on the node of a cache's slot (a cluster routes a
/// script by its key): KEYS meta; ARGV cursor, pattern, count. Returns
/// {next cursor, names}.
pub(crate) static SCAN: LazyLock<Script> = LazyLock::new(|| {
    script("return redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])")
});
