
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'cacheman' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'cacheman'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'cacheman' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a value; exit 1 on a miss')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Store a value (from VALUE, --file, or stdin)')
            [CompletionResult]::new('incr', 'incr', [CompletionResultType]::ParameterValue, 'Add to a key''s integer value (atomically) and print the new value')
            [CompletionResult]::new('del', 'del', [CompletionResultType]::ParameterValue, 'Delete keys; exit 1 if none of them existed')
            [CompletionResult]::new('has', 'has', [CompletionResultType]::ParameterValue, 'Exit 0 if the key has a fresh value (not expired, invalidated or stale), 1 if not; print nothing')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'List the live keys of a cache, sorted')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command, or replay its stored result when its inputs are unchanged')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Run a command while holding a named lock of the store')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the caches with entry counts, sizes and settings')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a cache with settings (writing to a missing cache creates it with defaults)')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show or change a cache''s settings, or (without CACHE) the store''s autosync rules')
            [CompletionResult]::new('drop', 'drop', [CompletionResultType]::ParameterValue, 'Delete a cache, its settings and all its files')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Remove every entry of a cache (in constant time), keeping its settings')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Merge pending changes into each cache''s snapshot and fsync it (all caches if none named)')
            [CompletionResult]::new('depend', 'depend', [CompletionResultType]::ParameterValue, 'Make caches depend on ROOT: invalidating ROOT then invalidates them too')
            [CompletionResult]::new('undepend', 'undepend', [CompletionResultType]::ParameterValue, 'Remove dependency edges; exit 1 if none of them existed')
            [CompletionResult]::new('invalidate', 'invalidate', [CompletionResultType]::ParameterValue, 'Invalidate caches and every cache that depends on them')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Show the dependency graph: an indented tree, Graphviz (--dot) or JSON')
            [CompletionResult]::new('epoch', 'epoch', [CompletionResultType]::ParameterValue, 'Print the store''s epoch, a token for `set --if-epoch`')
            [CompletionResult]::new('bind', 'bind', [CompletionResultType]::ParameterValue, 'Bind a cache to files, directories or globs it mirrors')
            [CompletionResult]::new('unbind', 'unbind', [CompletionResultType]::ParameterValue, 'Remove some or all of a cache''s file bindings')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Invalidate caches when their bound files change (runs in the foreground)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Invalidate the caches whose bound files changed (for cron, git hooks, CI)')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Show entries, sizes, hits and misses, pending changes and ages (every cache if none named)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Describe cacheman files and directories without changing them')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check every checksum and cross-reference (the whole store if no cache is named)')
            [CompletionResult]::new('repair', 'repair', [CompletionResultType]::ParameterValue, 'Recover a damaged cache (or manifest): keep every intact entry, quarantine damaged files')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Collect garbage: expired entries, entries over the limits (least recently used first), orphaned blobs and temporary files (every cache if none named), and what `run` left behind')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a cache''s entries to stdout, with their creation and expiry times')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Load entries from an export (a file, or stdin), all or nothing')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Run commands from stdin, one per line, answering each with a JSON line')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a .cacheman/ store in DIR, used by every command run below it')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show which store is in use and why')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cacheman;get' {
            [CompletionResult]::new('--default', '--default', [CompletionResultType]::ParameterName, 'On a miss, print VALUE and exit 0')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'With --or-run: a value is fresh for this long (30s, 10m, 2h) or ''never'' expires; default: the cache''s TTL')
            [CompletionResult]::new('--stale', '--stale', [CompletionResultType]::ParameterName, 'With --or-run: for this long after the TTL, print the old value and refresh it in the background (one refresher at a time)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array with one object per key (exit 1 if any missed)')
            [CompletionResult]::new('--stale-ok', '--stale-ok', [CompletionResultType]::ParameterName, 'Serve a soft-invalidated (stale) value instead of missing')
            [CompletionResult]::new('--with-token', '--with-token', [CompletionResultType]::ParameterName, 'Print the store''s epoch first (on its own line, or as "token" in JSON), taken before the read, for `set --if-epoch`')
            [CompletionResult]::new('--check-bindings', '--check-bindings', [CompletionResultType]::ParameterName, 'First invalidate the cache if its bound files changed (see `cacheman bind`)')
            [CompletionResult]::new('--or-run', '--or-run', [CompletionResultType]::ParameterName, 'On a miss, run COMMAND (after --, with CACHEMAN_KEY set to the key), store what it prints if it exits 0, and print it; concurrent misses run it once')
            [CompletionResult]::new('--key-base64', '--key-base64', [CompletionResultType]::ParameterName, 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;set' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read the value from this file')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Expire the entry after this long (30s, 10m, 2h, 1day) or ''never''; default: the cache''s TTL')
            [CompletionResult]::new('--if-epoch', '--if-epoch', [CompletionResultType]::ParameterName, 'Store only if the cache was not invalidated since TOKEN (from `cacheman epoch` or `get --with-token`), else exit 1: a value computed before an invalidation never lands after it')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--durable', '--durable', [CompletionResultType]::ParameterName, 'fsync before returning, so the write survives power loss')
            [CompletionResult]::new('--if-absent', '--if-absent', [CompletionResultType]::ParameterName, 'Store only if the key has no live entry, else exit 1 and write nothing (atomic against concurrent writers: exactly one of them wins)')
            [CompletionResult]::new('--key-base64', '--key-base64', [CompletionResultType]::ParameterName, 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;incr' {
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Add N instead of 1 (may be negative)')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'When the entry is created, expire it after this long (30s, 10m, 2h) or ''never''; default: the cache''s TTL')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--key-base64', '--key-base64', [CompletionResultType]::ParameterName, 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;del' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--key-base64', '--key-base64', [CompletionResultType]::ParameterName, 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;has' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--key-base64', '--key-base64', [CompletionResultType]::ParameterName, 'The keys are given in base64 (as `{"bytes": ...}` shows them), for keys an argument cannot hold, such as those with NUL bytes')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;keys' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array of keys')
            [CompletionResult]::new('-0', '-0', [CompletionResultType]::ParameterName, 'End each key with NUL instead of a newline')
            [CompletionResult]::new('--null', '--null', [CompletionResultType]::ParameterName, 'End each key with NUL instead of a newline')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;run' {
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'The cache results go in (created with default settings if missing)')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'A file, directory or glob whose content is part of the key (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'A file or directory the command writes, stored and restored on a hit (repeatable)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'An environment variable whose value is part of the key (repeatable)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Extra text that is part of the key (repeatable)')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Replay a result for this long (30s, 10m, 2h) or ''never'' expire; default: the cache''s TTL')
            [CompletionResult]::new('--stale', '--stale', [CompletionResultType]::ParameterName, 'For this long after the TTL, replay the old result and refresh it in the background (one refresher at a time)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--stdin', '--stdin', [CompletionResultType]::ParameterName, 'Read stdin, make it part of the key, and pass it to the command')
            [CompletionResult]::new('--no-cwd', '--no-cwd', [CompletionResultType]::ParameterName, 'Leave the working directory out of the key')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Run even on a hit, and store the new result')
            [CompletionResult]::new('--cache-failures', '--cache-failures', [CompletionResultType]::ParameterName, 'Store a non-zero exit too')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Run the command without looking up or storing anything')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'When the command runs on a miss, say on stderr what changed since the last stored result of it')
            [CompletionResult]::new('--print-key', '--print-key', [CompletionResultType]::ParameterName, 'Print the key and exit without running')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'When the store cannot be reached, fail (exit 3) instead of running the command without it')
            [CompletionResult]::new('--check-bindings', '--check-bindings', [CompletionResultType]::ParameterName, 'First invalidate the cache if its bound files changed (see `cacheman bind`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;lock' {
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait up to this long (30s, 10m) for a held lock')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;ls' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array with one object per cache')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;create' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Default time to live of entries (30s, 10m, 2h, 1day), or ''never''')
            [CompletionResult]::new('--max-entries', '--max-entries', [CompletionResultType]::ParameterName, 'Keep at most N entries, least recently used going first; ''none'' lifts it')
            [CompletionResult]::new('--max-bytes', '--max-bytes', [CompletionResultType]::ParameterName, 'Keep at most this many key and value bytes (4096, 64K = 64 KiB, 10MB = 10^7, 1GiB); ''none'' lifts it')
            [CompletionResult]::new('--autosync', '--autosync', [CompletionResultType]::ParameterName, 'Autosync rules SECONDS:CHANGES[,...] or ''off''; ''default'' follows the store''s rules')
            [CompletionResult]::new('--durable', '--durable', [CompletionResultType]::ParameterName, 'fsync every write before the command returns')
            [CompletionResult]::new('--check-bindings', '--check-bindings', [CompletionResultType]::ParameterName, 'Check the files bound to the cache (`cacheman bind`) before every `get` and `has`, at the cost of a stat of each bound file')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--volatile', '--volatile', [CompletionResultType]::ParameterName, 'Keep it in the runtime directory (tmpfs): fast, and gone after a reboot')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Succeed without changes if the cache already exists')
            [CompletionResult]::new('--exist-ok', '--exist-ok', [CompletionResultType]::ParameterName, 'Succeed without changes if the cache already exists')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;config' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Default time to live of entries (30s, 10m, 2h, 1day), or ''never''')
            [CompletionResult]::new('--max-entries', '--max-entries', [CompletionResultType]::ParameterName, 'Keep at most N entries, least recently used going first; ''none'' lifts it')
            [CompletionResult]::new('--max-bytes', '--max-bytes', [CompletionResultType]::ParameterName, 'Keep at most this many key and value bytes (4096, 64K = 64 KiB, 10MB = 10^7, 1GiB); ''none'' lifts it')
            [CompletionResult]::new('--autosync', '--autosync', [CompletionResultType]::ParameterName, 'Autosync rules SECONDS:CHANGES[,...] or ''off''; ''default'' follows the store''s rules')
            [CompletionResult]::new('--durable', '--durable', [CompletionResultType]::ParameterName, 'fsync every write before the command returns')
            [CompletionResult]::new('--check-bindings', '--check-bindings', [CompletionResultType]::ParameterName, 'Check the files bound to the cache (`cacheman bind`) before every `get` and `has`, at the cost of a stat of each bound file')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the settings as a JSON object')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;drop' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Drop it even though other caches depend on it, removing those edges')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;clear' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;sync' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;depend' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;undepend' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;invalidate' {
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'Only keys that start with PREFIX')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Only keys that match GLOB (as in `keys`)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--soft', '--soft', [CompletionResultType]::ParameterName, 'Mark entries stale instead of dropping them')
            [CompletionResult]::new('--no-cascade', '--no-cascade', [CompletionResultType]::ParameterName, 'Invalidate the named caches only, not their dependents')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'List what would be invalidated, in cascade order, and change nothing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summary')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summary')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print what was invalidated as a JSON object')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;graph' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--dot', '--dot', [CompletionResultType]::ParameterName, 'Print Graphviz DOT')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print {"caches": [...], "edges": [{"root": .., "dependent": ..}]}')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;epoch' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;bind' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;unbind' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Remove every binding of the cache')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;watch' {
            [CompletionResult]::new('--debounce', '--debounce', [CompletionResultType]::ParameterName, 'How long bound files must stay quiet before their caches are invalidated')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Log actions as JSON lines')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log warnings only')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log warnings only')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;check' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array of {"cache", "invalidated": [...], "epoch"}')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Exit 1 when some cache was invalidated')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;stats' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per cache, one per line')
            [CompletionResult]::new('--reset', '--reset', [CompletionResultType]::ParameterName, 'Zero the hit and miss counters instead of printing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;inspect' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--entries', '--entries', [CompletionResultType]::ParameterName, 'Also list the entries: key, size, created, expiry, epoch and state')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines: one object per file, blob folder and entry')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;verify' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;repair' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Rebuild the store''s manifest instead')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;gc' {
            [CompletionResult]::new('--max-entries', '--max-entries', [CompletionResultType]::ParameterName, 'Keep at most N entries, evicting the least recently used')
            [CompletionResult]::new('--max-bytes', '--max-bytes', [CompletionResultType]::ParameterName, 'Keep at most this many key and value bytes (4096, 64K = 64 KiB, 10MB = 10^7, 1GiB)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;export' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cacheman;import' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The input format [default: csv for a .csv file, else jsonl]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cacheman;batch' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--stop-on-error', '--stop-on-error', [CompletionResultType]::ParameterName, 'Stop at the first command that fails with status 2 or more')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;init' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;info' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Print only the store''s path (for a shared store, its URL, password masked)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;completions' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--no-stats', '--no-stats', [CompletionResultType]::ParameterName, 'Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;help' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a value; exit 1 on a miss')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Store a value (from VALUE, --file, or stdin)')
            [CompletionResult]::new('incr', 'incr', [CompletionResultType]::ParameterValue, 'Add to a key''s integer value (atomically) and print the new value')
            [CompletionResult]::new('del', 'del', [CompletionResultType]::ParameterValue, 'Delete keys; exit 1 if none of them existed')
            [CompletionResult]::new('has', 'has', [CompletionResultType]::ParameterValue, 'Exit 0 if the key has a fresh value (not expired, invalidated or stale), 1 if not; print nothing')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'List the live keys of a cache, sorted')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command, or replay its stored result when its inputs are unchanged')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Run a command while holding a named lock of the store')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the caches with entry counts, sizes and settings')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a cache with settings (writing to a missing cache creates it with defaults)')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show or change a cache''s settings, or (without CACHE) the store''s autosync rules')
            [CompletionResult]::new('drop', 'drop', [CompletionResultType]::ParameterValue, 'Delete a cache, its settings and all its files')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Remove every entry of a cache (in constant time), keeping its settings')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Merge pending changes into each cache''s snapshot and fsync it (all caches if none named)')
            [CompletionResult]::new('depend', 'depend', [CompletionResultType]::ParameterValue, 'Make caches depend on ROOT: invalidating ROOT then invalidates them too')
            [CompletionResult]::new('undepend', 'undepend', [CompletionResultType]::ParameterValue, 'Remove dependency edges; exit 1 if none of them existed')
            [CompletionResult]::new('invalidate', 'invalidate', [CompletionResultType]::ParameterValue, 'Invalidate caches and every cache that depends on them')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Show the dependency graph: an indented tree, Graphviz (--dot) or JSON')
            [CompletionResult]::new('epoch', 'epoch', [CompletionResultType]::ParameterValue, 'Print the store''s epoch, a token for `set --if-epoch`')
            [CompletionResult]::new('bind', 'bind', [CompletionResultType]::ParameterValue, 'Bind a cache to files, directories or globs it mirrors')
            [CompletionResult]::new('unbind', 'unbind', [CompletionResultType]::ParameterValue, 'Remove some or all of a cache''s file bindings')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Invalidate caches when their bound files change (runs in the foreground)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Invalidate the caches whose bound files changed (for cron, git hooks, CI)')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Show entries, sizes, hits and misses, pending changes and ages (every cache if none named)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Describe cacheman files and directories without changing them')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check every checksum and cross-reference (the whole store if no cache is named)')
            [CompletionResult]::new('repair', 'repair', [CompletionResultType]::ParameterValue, 'Recover a damaged cache (or manifest): keep every intact entry, quarantine damaged files')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Collect garbage: expired entries, entries over the limits (least recently used first), orphaned blobs and temporary files (every cache if none named), and what `run` left behind')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write a cache''s entries to stdout, with their creation and expiry times')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Load entries from an export (a file, or stdin), all or nothing')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Run commands from stdin, one per line, answering each with a JSON line')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a .cacheman/ store in DIR, used by every command run below it')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show which store is in use and why')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cacheman;help;get' {
            break
        }
        'cacheman;help;set' {
            break
        }
        'cacheman;help;incr' {
            break
        }
        'cacheman;help;del' {
            break
        }
        'cacheman;help;has' {
            break
        }
        'cacheman;help;keys' {
            break
        }
        'cacheman;help;run' {
            break
        }
        'cacheman;help;lock' {
            break
        }
        'cacheman;help;ls' {
            break
        }
        'cacheman;help;create' {
            break
        }
        'cacheman;help;config' {
            break
        }
        'cacheman;help;drop' {
            break
        }
        'cacheman;help;clear' {
            break
        }
        'cacheman;help;sync' {
            break
        }
        'cacheman;help;depend' {
            break
        }
        'cacheman;help;undepend' {
            break
        }
        'cacheman;help;invalidate' {
            break
        }
        'cacheman;help;graph' {
            break
        }
        'cacheman;help;epoch' {
            break
        }
        'cacheman;help;bind' {
            break
        }
        'cacheman;help;unbind' {
            break
        }
        'cacheman;help;watch' {
            break
        }
        'cacheman;help;check' {
            break
        }
        'cacheman;help;stats' {
            break
        }
        'cacheman;help;inspect' {
            break
        }
        'cacheman;help;verify' {
            break
        }
        'cacheman;help;repair' {
            break
        }
        'cacheman;help;gc' {
            break
        }
        'cacheman;help;export' {
            break
        }
        'cacheman;help;import' {
            break
        }
        'cacheman;help;batch' {
            break
        }
        'cacheman;help;init' {
            break
        }
        'cacheman;help;info' {
            break
        }
        'cacheman;help;completions' {
            break
        }
        'cacheman;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
