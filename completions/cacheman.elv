
use builtin;
use str;

set edit:completion:arg-completer[cacheman] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cacheman'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cacheman'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand get 'Print a value; exit 1 on a miss'
            cand set 'Store a value (from VALUE, --file, or stdin)'
            cand incr 'Add to a key''s integer value (atomically) and print the new value'
            cand del 'Delete keys; exit 1 if none of them existed'
            cand has 'Exit 0 if the key has a fresh value (not expired, invalidated or stale), 1 if not; print nothing'
            cand keys 'List the live keys of a cache, sorted'
            cand run 'Run a command, or replay its stored result when its inputs are unchanged'
            cand lock 'Run a command while holding a named lock of the store'
            cand ls 'List the caches with entry counts, sizes and settings'
            cand create 'Create a cache with settings (writing to a missing cache creates it with defaults)'
            cand config 'Show or change a cache''s settings, or (without CACHE) the store''s autosync rules'
            cand drop 'Delete a cache, its settings and all its files'
            cand clear 'Remove every entry of a cache (in constant time), keeping its settings'
            cand sync 'Merge pending changes into each cache''s snapshot and fsync it (all caches if none named)'
            cand depend 'Make caches depend on ROOT: invalidating ROOT then invalidates them too'
            cand undepend 'Remove dependency edges; exit 1 if none of them existed'
            cand invalidate 'Invalidate caches and every cache that depends on them'
            cand graph 'Show the dependency graph: an indented tree, Graphviz (--dot) or JSON'
            cand epoch 'Print the store''s epoch, a token for `set --if-epoch`'
            cand bind 'Bind a cache to files, directories or globs it mirrors'
            cand unbind 'Remove some or all of a cache''s file bindings'
            cand watch 'Invalidate caches when their bound files change (runs in the foreground)'
            cand check 'Invalidate the caches whose bound files changed (for cron, git hooks, CI)'
            cand stats 'Show entries, sizes, hits and misses, pending changes and ages (every cache if none named)'
            cand inspect 'Describe cacheman files and directories without changing them'
            cand verify 'Check every checksum and cross-reference (the whole store if no cache is named)'
            cand repair 'Recover a damaged cache (or manifest): keep every intact entry, quarantine damaged files'
            cand gc 'Collect garbage: expired entries, entries over the limits (least recently used first), orphaned blobs and temporary files (every cache if none named), and what `run` left behind'
            cand export 'Write a cache''s entries to stdout, with their creation and expiry times'
            cand import 'Load entries from an export (a file, or stdin), all or nothing'
            cand batch 'Run commands from stdin, one per line, answering each with a JSON line'
            cand init 'Create a .cacheman/ store in DIR, used by every command run below it'
            cand info 'Show which store is in use and why'
            cand completions 'Print the completion script for a shell'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cacheman;get'= {
            cand --default 'On a miss, print VALUE and exit 0'
            cand --ttl 'With --or-run: a value is fresh for this long (30s, 10m, 2h) or ''never'' expires; default: the cache''s TTL'
            cand --stale 'With --or-run: for this long after the TTL, print the old value and refresh it in the background (one refresher at a time)'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --json 'Print a JSON array with one object per key (exit 1 if any missed)'
            cand --stale-ok 'Serve a soft-invalidated (stale) value instead of missing'
            cand --with-token 'Print the store''s epoch first (on its own line, or as "token" in JSON), taken before the read, for `set --if-epoch`'
            cand --check-bindings 'First invalidate the cache if its bound files changed (see `cacheman bind`)'
            cand --or-run 'On a miss, run COMMAND (after --, with CACHEMAN_KEY set to the key), store what it prints if it exits 0, and print it; concurrent misses run it once'
            cand --key-base64 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;set'= {
            cand --file 'Read the value from this file'
            cand --ttl 'Expire the entry after this long (30s, 10m, 2h, 1day) or ''never''; default: the cache''s TTL'
            cand --if-epoch 'Store only if the cache was not invalidated since TOKEN (from `cacheman epoch` or `get --with-token`), else exit 1: a value computed before an invalidation never lands after it'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --durable 'fsync before returning, so the write survives power loss'
            cand --if-absent 'Store only if the key has no live entry, else exit 1 and write nothing (atomic against concurrent writers: exactly one of them wins)'
            cand --key-base64 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;incr'= {
            cand --by 'Add N instead of 1 (may be negative)'
            cand --ttl 'When the entry is created, expire it after this long (30s, 10m, 2h) or ''never''; default: the cache''s TTL'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --key-base64 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;del'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --key-base64 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;has'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --key-base64 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;keys'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --json 'Print a JSON array of keys'
            cand -0 'End each key with NUL instead of a newline'
            cand --null 'End each key with NUL instead of a newline'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;run'= {
            cand --cache 'The cache results go in (created with default settings if missing)'
            cand --input 'A file, directory or glob whose content is part of the key (repeatable)'
            cand --output 'A file or directory the command writes, stored and restored on a hit (repeatable)'
            cand --env 'An environment variable whose value is part of the key (repeatable)'
            cand --key 'Extra text that is part of the key (repeatable)'
            cand --ttl 'Replay a result for this long (30s, 10m, 2h) or ''never'' expire; default: the cache''s TTL'
            cand --stale 'For this long after the TTL, replay the old result and refresh it in the background (one refresher at a time)'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --stdin 'Read stdin, make it part of the key, and pass it to the command'
            cand --no-cwd 'Leave the working directory out of the key'
            cand --force 'Run even on a hit, and store the new result'
            cand --cache-failures 'Store a non-zero exit too'
            cand --no-cache 'Run the command without looking up or storing anything'
            cand --explain 'When the command runs on a miss, say on stderr what changed since the last stored result of it'
            cand --print-key 'Print the key and exit without running'
            cand --strict 'When the store cannot be reached, fail (exit 3) instead of running the command without it'
            cand --check-bindings 'First invalidate the cache if its bound files changed (see `cacheman bind`)'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;lock'= {
            cand --wait 'Wait up to this long (30s, 10m) for a held lock'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;ls'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --json 'Print a JSON array with one object per cache'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;create'= {
            cand --ttl 'Default time to live of entries (30s, 10m, 2h, 1day), or ''never'''
            cand --max-entries 'Keep at most N entries, least recently used going first; ''none'' lifts it'
            cand --max-bytes 'Keep at most this many key and value bytes (4096, 64K = 64 KiB, 10MB = 10^7, 1GiB); ''none'' lifts it'
            cand --autosync 'Autosync rules SECONDS:CHANGES[,...] or ''off''; ''default'' follows the store''s rules'
            cand --durable 'fsync every write before the command returns'
            cand --check-bindings 'Check the files bound to the cache (`cacheman bind`) before every `get` and `has`, at the cost of a stat of each bound file'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --volatile 'Keep it in the runtime directory (tmpfs): fast, and gone after a reboot'
            cand -p 'Succeed without changes if the cache already exists'
            cand --exist-ok 'Succeed without changes if the cache already exists'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;config'= {
            cand --ttl 'Default time to live of entries (30s, 10m, 2h, 1day), or ''never'''
            cand --max-entries 'Keep at most N entries, least recently used going first; ''none'' lifts it'
            cand --max-bytes 'Keep at most this many key and value bytes (4096, 64K = 64 KiB, 10MB = 10^7, 1GiB); ''none'' lifts it'
            cand --autosync 'Autosync rules SECONDS:CHANGES[,...] or ''off''; ''default'' follows the store''s rules'
            cand --durable 'fsync every write before the command returns'
            cand --check-bindings 'Check the files bound to the cache (`cacheman bind`) before every `get` and `has`, at the cost of a stat of each bound file'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --json 'Print the settings as a JSON object'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;drop'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --force 'Drop it even though other caches depend on it, removing those edges'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;clear'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;sync'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;depend'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;undepend'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;invalidate'= {
            cand --prefix 'Only keys that start with PREFIX'
            cand --match 'Only keys that match GLOB (as in `keys`)'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --soft 'Mark entries stale instead of dropping them'
            cand --no-cascade 'Invalidate the named caches only, not their dependents'
            cand --dry-run 'List what would be invalidated, in cascade order, and change nothing'
            cand -q 'Print no summary'
            cand --quiet 'Print no summary'
            cand --json 'Print what was invalidated as a JSON object'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;graph'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --dot 'Print Graphviz DOT'
            cand --json 'Print {"caches": [...], "edges": [{"root": .., "dependent": ..}]}'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;epoch'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;bind'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;unbind'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --all 'Remove every binding of the cache'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;watch'= {
            cand --debounce 'How long bound files must stay quiet before their caches are invalidated'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --json 'Log actions as JSON lines'
            cand -q 'Log warnings only'
            cand --quiet 'Log warnings only'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;check'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --json 'Print a JSON array of {"cache", "invalidated": [...], "epoch"}'
            cand --status 'Exit 1 when some cache was invalidated'
            cand -q 'Print nothing'
            cand --quiet 'Print nothing'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;stats'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --json 'Print one JSON object per cache, one per line'
            cand --reset 'Zero the hit and miss counters instead of printing'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;inspect'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --entries 'Also list the entries: key, size, created, expiry, epoch and state'
            cand --json 'Print JSON Lines: one object per file, blob folder and entry'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;verify'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;repair'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --manifest 'Rebuild the store''s manifest instead'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;gc'= {
            cand --max-entries 'Keep at most N entries, evicting the least recently used'
            cand --max-bytes 'Keep at most this many key and value bytes (4096, 64K = 64 KiB, 10MB = 10^7, 1GiB)'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;export'= {
            cand --format 'The output format'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cacheman;import'= {
            cand --format 'The input format [default: csv for a .csv file, else jsonl]'
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cacheman;batch'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --stop-on-error 'Stop at the first command that fails with status 2 or more'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;init'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;info'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand --path 'Print only the store''s path (for a shared store, its URL, password masked)'
            cand --json 'Print a JSON object'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;completions'= {
            cand --store 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]'
            cand --dir 'The store directory [env: CACHEMAN_DIR]'
            cand -v 'Say which store is in use, and why, on stderr'
            cand --verbose 'Say which store is in use, and why, on stderr'
            cand --no-stats 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cacheman;help'= {
            cand get 'Print a value; exit 1 on a miss'
            cand set 'Store a value (from VALUE, --file, or stdin)'
            cand incr 'Add to a key''s integer value (atomically) and print the new value'
            cand del 'Delete keys; exit 1 if none of them existed'
            cand has 'Exit 0 if the key has a fresh value (not expired, invalidated or stale), 1 if not; print nothing'
            cand keys 'List the live keys of a cache, sorted'
            cand run 'Run a command, or replay its stored result when its inputs are unchanged'
            cand lock 'Run a command while holding a named lock of the store'
            cand ls 'List the caches with entry counts, sizes and settings'
            cand create 'Create a cache with settings (writing to a missing cache creates it with defaults)'
            cand config 'Show or change a cache''s settings, or (without CACHE) the store''s autosync rules'
            cand drop 'Delete a cache, its settings and all its files'
            cand clear 'Remove every entry of a cache (in constant time), keeping its settings'
            cand sync 'Merge pending changes into each cache''s snapshot and fsync it (all caches if none named)'
            cand depend 'Make caches depend on ROOT: invalidating ROOT then invalidates them too'
            cand undepend 'Remove dependency edges; exit 1 if none of them existed'
            cand invalidate 'Invalidate caches and every cache that depends on them'
            cand graph 'Show the dependency graph: an indented tree, Graphviz (--dot) or JSON'
            cand epoch 'Print the store''s epoch, a token for `set --if-epoch`'
            cand bind 'Bind a cache to files, directories or globs it mirrors'
            cand unbind 'Remove some or all of a cache''s file bindings'
            cand watch 'Invalidate caches when their bound files change (runs in the foreground)'
            cand check 'Invalidate the caches whose bound files changed (for cron, git hooks, CI)'
            cand stats 'Show entries, sizes, hits and misses, pending changes and ages (every cache if none named)'
            cand inspect 'Describe cacheman files and directories without changing them'
            cand verify 'Check every checksum and cross-reference (the whole store if no cache is named)'
            cand repair 'Recover a damaged cache (or manifest): keep every intact entry, quarantine damaged files'
            cand gc 'Collect garbage: expired entries, entries over the limits (least recently used first), orphaned blobs and temporary files (every cache if none named), and what `run` left behind'
            cand export 'Write a cache''s entries to stdout, with their creation and expiry times'
            cand import 'Load entries from an export (a file, or stdin), all or nothing'
            cand batch 'Run commands from stdin, one per line, answering each with a JSON line'
            cand init 'Create a .cacheman/ store in DIR, used by every command run below it'
            cand info 'Show which store is in use and why'
            cand completions 'Print the completion script for a shell'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cacheman;help;get'= {
        }
        &'cacheman;help;set'= {
        }
        &'cacheman;help;incr'= {
        }
        &'cacheman;help;del'= {
        }
        &'cacheman;help;has'= {
        }
        &'cacheman;help;keys'= {
        }
        &'cacheman;help;run'= {
        }
        &'cacheman;help;lock'= {
        }
        &'cacheman;help;ls'= {
        }
        &'cacheman;help;create'= {
        }
        &'cacheman;help;config'= {
        }
        &'cacheman;help;drop'= {
        }
        &'cacheman;help;clear'= {
        }
        &'cacheman;help;sync'= {
        }
        &'cacheman;help;depend'= {
        }
        &'cacheman;help;undepend'= {
        }
        &'cacheman;help;invalidate'= {
        }
        &'cacheman;help;graph'= {
        }
        &'cacheman;help;epoch'= {
        }
        &'cacheman;help;bind'= {
        }
        &'cacheman;help;unbind'= {
        }
        &'cacheman;help;watch'= {
        }
        &'cacheman;help;check'= {
        }
        &'cacheman;help;stats'= {
        }
        &'cacheman;help;inspect'= {
        }
        &'cacheman;help;verify'= {
        }
        &'cacheman;help;repair'= {
        }
        &'cacheman;help;gc'= {
        }
        &'cacheman;help;export'= {
        }
        &'cacheman;help;import'= {
        }
        &'cacheman;help;batch'= {
        }
        &'cacheman;help;init'= {
        }
        &'cacheman;help;info'= {
        }
        &'cacheman;help;completions'= {
        }
        &'cacheman;help;help'= {
        }
    ]
    $completions[$command]
}
