# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_cacheman_global_optspecs
    string join \n store= dir= v/verbose no-stats h/help V/version
end

function __fish_cacheman_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_cacheman_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_cacheman_using_subcommand
    set -l cmd (__fish_cacheman_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c cacheman -n "__fish_cacheman_needs_command" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_needs_command" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_needs_command" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_needs_command" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_needs_command" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_needs_command" -s V -l version -d 'Print version'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "get" -d 'Print a value; exit 1 on a miss'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "set" -d 'Store a value (from VALUE, --file, or stdin)'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "incr" -d 'Add to a key\'s integer value (atomically) and print the new value'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "del" -d 'Delete keys; exit 1 if none of them existed'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "has" -d 'Exit 0 if the key has a fresh value (not expired, invalidated or stale), 1 if not; print nothing'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "keys" -d 'List the live keys of a cache, sorted'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "run" -d 'Run a command, or replay its stored result when its inputs are unchanged'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "lock" -d 'Run a command while holding a named lock of the store'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "ls" -d 'List the caches with entry counts, sizes and settings'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "create" -d 'Create a cache with settings (writing to a missing cache creates it with defaults)'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "config" -d 'Show or change a cache\'s settings, or (without CACHE) the store\'s autosync rules'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "drop" -d 'Delete a cache, its settings and all its files'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "clear" -d 'Remove every entry of a cache (in constant time), keeping its settings'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "sync" -d 'Merge pending changes into each cache\'s snapshot and fsync it (all caches if none named)'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "depend" -d 'Make caches depend on ROOT: invalidating ROOT then invalidates them too'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "undepend" -d 'Remove dependency edges; exit 1 if none of them existed'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "invalidate" -d 'Invalidate caches and every cache that depends on them'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "graph" -d 'Show the dependency graph: an indented tree, Graphviz (--dot) or JSON'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "epoch" -d 'Print the store\'s epoch, a token for `set --if-epoch`'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "bind" -d 'Bind a cache to files, directories or globs it mirrors'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "unbind" -d 'Remove some or all of a cache\'s file bindings'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "watch" -d 'Invalidate caches when their bound files change (runs in the foreground)'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "check" -d 'Invalidate the caches whose bound files changed (for cron, git hooks, CI)'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "stats" -d 'Show entries, sizes, hits and misses, pending changes and ages (every cache if none named)'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "inspect" -d 'Describe cacheman files and directories without changing them'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "verify" -d 'Check every checksum and cross-reference (the whole store if no cache is named)'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "repair" -d 'Recover a damaged cache (or manifest): keep every intact entry, quarantine damaged files'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "gc" -d 'Collect garbage: expired entries, entries over the limits (least recently used first), orphaned blobs and temporary files (every cache if none named), and what `run` left behind'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "export" -d 'Write a cache\'s entries to stdout, with their creation and expiry times'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "import" -d 'Load entries from an export (a file, or stdin), all or nothing'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "batch" -d 'Run commands from stdin, one per line, answering each with a JSON line'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "init" -d 'Create a .cacheman/ store in DIR, used by every command run below it'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "info" -d 'Show which store is in use and why'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "completions" -d 'Print the completion script for a shell'
complete -c cacheman -n "__fish_cacheman_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l default -d 'On a miss, print VALUE and exit 0' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l ttl -d 'With --or-run: a value is fresh for this long (30s, 10m, 2h) or \'never\' expires; default: the cache\'s TTL' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l stale -d 'With --or-run: for this long after the TTL, print the old value and refresh it in the background (one refresher at a time)' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l json -d 'Print a JSON array with one object per key (exit 1 if any missed)'
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l stale-ok -d 'Serve a soft-invalidated (stale) value instead of missing'
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l with-token -d 'Print the store\'s epoch first (on its own line, or as "token" in JSON), taken before the read, for `set --if-epoch`'
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l check-bindings -d 'First invalidate the cache if its bound files changed (see `cacheman bind`)'
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l or-run -d 'On a miss, run COMMAND (after --, with CACHEMAN_KEY set to the key), store what it prints if it exits 0, and print it; concurrent misses run it once'
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l key-base64 -d 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes'
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand get" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand set" -l file -d 'Read the value from this file' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand set" -l ttl -d 'Expire the entry after this long (30s, 10m, 2h, 1day) or \'never\'; default: the cache\'s TTL' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand set" -l if-epoch -d 'Store only if the cache was not invalidated since TOKEN (from `cacheman epoch` or `get --with-token`), else exit 1: a value computed before an invalidation never lands after it' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand set" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand set" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand set" -l durable -d 'fsync before returning, so the write survives power loss'
complete -c cacheman -n "__fish_cacheman_using_subcommand set" -l if-absent -d 'Store only if the key has no live entry, else exit 1 and write nothing (atomic against concurrent writers: exactly one of them wins)'
complete -c cacheman -n "__fish_cacheman_using_subcommand set" -l key-base64 -d 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes'
complete -c cacheman -n "__fish_cacheman_using_subcommand set" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand set" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand set" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand incr" -l by -d 'Add N instead of 1 (may be negative)' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand incr" -l ttl -d 'When the entry is created, expire it after this long (30s, 10m, 2h) or \'never\'; default: the cache\'s TTL' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand incr" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand incr" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand incr" -l key-base64 -d 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes'
complete -c cacheman -n "__fish_cacheman_using_subcommand incr" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand incr" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand incr" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand del" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand del" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand del" -l key-base64 -d 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes'
complete -c cacheman -n "__fish_cacheman_using_subcommand del" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand del" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand del" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand has" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand has" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand has" -l key-base64 -d 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes'
complete -c cacheman -n "__fish_cacheman_using_subcommand has" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand has" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand has" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand keys" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand keys" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand keys" -l json -d 'Print a JSON array of keys'
complete -c cacheman -n "__fish_cacheman_using_subcommand keys" -s 0 -l null -d 'End each key with NUL instead of a newline'
complete -c cacheman -n "__fish_cacheman_using_subcommand keys" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand keys" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand keys" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l cache -d 'The cache results go in (created with default settings if missing)' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l input -d 'A file, directory or glob whose content is part of the key (repeatable)' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l output -d 'A file or directory the command writes, stored and restored on a hit (repeatable)' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l env -d 'An environment variable whose value is part of the key (repeatable)' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l key -d 'Extra text that is part of the key (repeatable)' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l ttl -d 'Replay a result for this long (30s, 10m, 2h) or \'never\' expire; default: the cache\'s TTL' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l stale -d 'For this long after the TTL, replay the old result and refresh it in the background (one refresher at a time)' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l stdin -d 'Read stdin, make it part of the key, and pass it to the command'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l no-cwd -d 'Leave the working directory out of the key'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l force -d 'Run even on a hit, and store the new result'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l cache-failures -d 'Store a non-zero exit too'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l no-cache -d 'Run the command without looking up or storing anything'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l explain -d 'When the command runs on a miss, say on stderr what changed since the last stored result of it'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l print-key -d 'Print the key and exit without running'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l strict -d 'When the store cannot be reached, fail (exit 3) instead of running the command without it'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l check-bindings -d 'First invalidate the cache if its bound files changed (see `cacheman bind`)'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand run" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand lock" -l wait -d 'Wait up to this long (30s, 10m) for a held lock' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand lock" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand lock" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand lock" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand lock" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand lock" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand ls" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand ls" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand ls" -l json -d 'Print a JSON array with one object per cache'
complete -c cacheman -n "__fish_cacheman_using_subcommand ls" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand ls" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand ls" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -l ttl -d 'Default time to live of entries (30s, 10m, 2h, 1day), or \'never\'' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -l max-entries -d 'Keep at most N entries, least recently used going first; \'none\' lifts it' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -l max-bytes -d 'Keep at most this many key and value bytes (4096, 64K = 64 KiB, 10MB = 10^7, 1GiB); \'none\' lifts it' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -l autosync -d 'Autosync rules SECONDS:CHANGES[,...] or \'off\'; \'default\' follows the store\'s rules' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -l durable -d 'fsync every write before the command returns' -r -f -a "true\t''
false\t''"
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -l check-bindings -d 'Check the files bound to the cache (`cacheman bind`) before every `get` and `has`, at the cost of a stat of each bound file' -r -f -a "true\t''
false\t''"
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -l volatile -d 'Keep it in the runtime directory (tmpfs): fast, and gone after a reboot'
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -s p -l exist-ok -d 'Succeed without changes if the cache already exists'
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand create" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -l ttl -d 'Default time to live of entries (30s, 10m, 2h, 1day), or \'never\'' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -l max-entries -d 'Keep at most N entries, least recently used going first; \'none\' lifts it' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -l max-bytes -d 'Keep at most this many key and value bytes (4096, 64K = 64 KiB, 10MB = 10^7, 1GiB); \'none\' lifts it' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -l autosync -d 'Autosync rules SECONDS:CHANGES[,...] or \'off\'; \'default\' follows the store\'s rules' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -l durable -d 'fsync every write before the command returns' -r -f -a "true\t''
false\t''"
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -l check-bindings -d 'Check the files bound to the cache (`cacheman bind`) before every `get` and `has`, at the cost of a stat of each bound file' -r -f -a "true\t''
false\t''"
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -l json -d 'Print the settings as a JSON object'
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand config" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand drop" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand drop" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand drop" -l force -d 'Drop it even though other caches depend on it, removing those edges'
complete -c cacheman -n "__fish_cacheman_using_subcommand drop" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand drop" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand drop" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand clear" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand clear" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand clear" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand clear" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand clear" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand sync" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand sync" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand sync" -s q -l quiet -d 'Print nothing on success'
complete -c cacheman -n "__fish_cacheman_using_subcommand sync" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand sync" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand sync" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand depend" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand depend" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand depend" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand depend" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand depend" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand undepend" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand undepend" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand undepend" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand undepend" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand undepend" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -l prefix -d 'Only keys that start with PREFIX' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -l match -d 'Only keys that match GLOB (as in `keys`)' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -l soft -d 'Mark entries stale instead of dropping them'
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -l no-cascade -d 'Invalidate the named caches only, not their dependents'
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -l dry-run -d 'List what would be invalidated, in cascade order, and change nothing'
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -s q -l quiet -d 'Print no summary'
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -l json -d 'Print what was invalidated as a JSON object'
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand invalidate" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand graph" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand graph" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand graph" -l dot -d 'Print Graphviz DOT'
complete -c cacheman -n "__fish_cacheman_using_subcommand graph" -l json -d 'Print {"caches": [...], "edges": [{"root": .., "dependent": ..}]}'
complete -c cacheman -n "__fish_cacheman_using_subcommand graph" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand graph" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand graph" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand epoch" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand epoch" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand epoch" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand epoch" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand epoch" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand bind" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand bind" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand bind" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand bind" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand bind" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand unbind" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand unbind" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand unbind" -l all -d 'Remove every binding of the cache'
complete -c cacheman -n "__fish_cacheman_using_subcommand unbind" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand unbind" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand unbind" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand watch" -l debounce -d 'How long bound files must stay quiet before their caches are invalidated' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand watch" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand watch" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand watch" -l json -d 'Log actions as JSON lines'
complete -c cacheman -n "__fish_cacheman_using_subcommand watch" -s q -l quiet -d 'Log warnings only'
complete -c cacheman -n "__fish_cacheman_using_subcommand watch" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand watch" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand watch" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand check" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand check" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand check" -l json -d 'Print a JSON array of {"cache", "invalidated": [...], "epoch"}'
complete -c cacheman -n "__fish_cacheman_using_subcommand check" -l status -d 'Exit 1 when some cache was invalidated'
complete -c cacheman -n "__fish_cacheman_using_subcommand check" -s q -l quiet -d 'Print nothing'
complete -c cacheman -n "__fish_cacheman_using_subcommand check" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand check" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand check" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand stats" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand stats" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand stats" -l json -d 'Print one JSON object per cache, one per line'
complete -c cacheman -n "__fish_cacheman_using_subcommand stats" -l reset -d 'Zero the hit and miss counters instead of printing'
complete -c cacheman -n "__fish_cacheman_using_subcommand stats" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand stats" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand stats" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand inspect" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand inspect" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand inspect" -l entries -d 'Also list the entries: key, size, created, expiry, epoch and state'
complete -c cacheman -n "__fish_cacheman_using_subcommand inspect" -l json -d 'Print JSON Lines: one object per file, blob folder and entry'
complete -c cacheman -n "__fish_cacheman_using_subcommand inspect" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand inspect" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand verify" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand verify" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand verify" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand verify" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand verify" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand repair" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand repair" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand repair" -l manifest -d 'Rebuild the store\'s manifest instead'
complete -c cacheman -n "__fish_cacheman_using_subcommand repair" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand repair" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand repair" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand gc" -l max-entries -d 'Keep at most N entries, evicting the least recently used' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand gc" -l max-bytes -d 'Keep at most this many key and value bytes (4096, 64K = 64 KiB, 10MB = 10^7, 1GiB)' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand gc" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand gc" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand gc" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand gc" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand gc" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand export" -l format -d 'The output format' -r -f -a "jsonl\t'JSON Lines, binary-safe'
csv\t'CSV with a header row; binary keys and values as base64'"
complete -c cacheman -n "__fish_cacheman_using_subcommand export" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand export" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand export" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand export" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cacheman -n "__fish_cacheman_using_subcommand import" -l format -d 'The input format [default: csv for a .csv file, else jsonl]' -r -f -a "jsonl\t'JSON Lines, binary-safe'
csv\t'CSV with a header row; binary keys and values as base64'"
complete -c cacheman -n "__fish_cacheman_using_subcommand import" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand import" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand import" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand import" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cacheman -n "__fish_cacheman_using_subcommand batch" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand batch" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand batch" -l stop-on-error -d 'Stop at the first command that fails with status 2 or more'
complete -c cacheman -n "__fish_cacheman_using_subcommand batch" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand batch" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand batch" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand init" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand init" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand init" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand init" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand init" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand info" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand info" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand info" -l path -d 'Print only the store\'s path (for a shared store, its URL, password masked)'
complete -c cacheman -n "__fish_cacheman_using_subcommand info" -l json -d 'Print a JSON object'
complete -c cacheman -n "__fish_cacheman_using_subcommand info" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand info" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand info" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand completions" -l store -d 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]' -r
complete -c cacheman -n "__fish_cacheman_using_subcommand completions" -l dir -d 'The store directory [env: CACHEMAN_DIR]' -r -F
complete -c cacheman -n "__fish_cacheman_using_subcommand completions" -s v -l verbose -d 'Say which store is in use, and why, on stderr'
complete -c cacheman -n "__fish_cacheman_using_subcommand completions" -l no-stats -d 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)'
complete -c cacheman -n "__fish_cacheman_using_subcommand completions" -s h -l help -d 'Print help'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "get" -d 'Print a value; exit 1 on a miss'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "set" -d 'Store a value (from VALUE, --file, or stdin)'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "incr" -d 'Add to a key\'s integer value (atomically) and print the new value'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "del" -d 'Delete keys; exit 1 if none of them existed'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "has" -d 'Exit 0 if the key has a fresh value (not expired, invalidated or stale), 1 if not; print nothing'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "keys" -d 'List the live keys of a cache, sorted'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "run" -d 'Run a command, or replay its stored result when its inputs are unchanged'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "lock" -d 'Run a command while holding a named lock of the store'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "ls" -d 'List the caches with entry counts, sizes and settings'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "create" -d 'Create a cache with settings (writing to a missing cache creates it with defaults)'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "config" -d 'Show or change a cache\'s settings, or (without CACHE) the store\'s autosync rules'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "drop" -d 'Delete a cache, its settings and all its files'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "clear" -d 'Remove every entry of a cache (in constant time), keeping its settings'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "sync" -d 'Merge pending changes into each cache\'s snapshot and fsync it (all caches if none named)'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "depend" -d 'Make caches depend on ROOT: invalidating ROOT then invalidates them too'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "undepend" -d 'Remove dependency edges; exit 1 if none of them existed'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "invalidate" -d 'Invalidate caches and every cache that depends on them'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "graph" -d 'Show the dependency graph: an indented tree, Graphviz (--dot) or JSON'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "epoch" -d 'Print the store\'s epoch, a token for `set --if-epoch`'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "bind" -d 'Bind a cache to files, directories or globs it mirrors'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "unbind" -d 'Remove some or all of a cache\'s file bindings'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "watch" -d 'Invalidate caches when their bound files change (runs in the foreground)'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "check" -d 'Invalidate the caches whose bound files changed (for cron, git hooks, CI)'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "stats" -d 'Show entries, sizes, hits and misses, pending changes and ages (every cache if none named)'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "inspect" -d 'Describe cacheman files and directories without changing them'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "verify" -d 'Check every checksum and cross-reference (the whole store if no cache is named)'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "repair" -d 'Recover a damaged cache (or manifest): keep every intact entry, quarantine damaged files'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "gc" -d 'Collect garbage: expired entries, entries over the limits (least recently used first), orphaned blobs and temporary files (every cache if none named), and what `run` left behind'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "export" -d 'Write a cache\'s entries to stdout, with their creation and expiry times'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "import" -d 'Load entries from an export (a file, or stdin), all or nothing'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "batch" -d 'Run commands from stdin, one per line, answering each with a JSON line'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "init" -d 'Create a .cacheman/ store in DIR, used by every command run below it'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "info" -d 'Show which store is in use and why'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "completions" -d 'Print the completion script for a shell'
complete -c cacheman -n "__fish_cacheman_using_subcommand help; and not __fish_seen_subcommand_from get set incr del has keys run lock ls create config drop clear sync depend undepend invalidate graph epoch bind unbind watch check stats inspect verify repair gc export import batch init info completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
