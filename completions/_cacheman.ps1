
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
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a value; exit 1 on a miss')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Store a value (from VALUE, --file, or stdin)')
            [CompletionResult]::new('del', 'del', [CompletionResultType]::ParameterValue, 'Delete keys; exit 1 if none of them existed')
            [CompletionResult]::new('has', 'has', [CompletionResultType]::ParameterValue, 'Exit 0 if the key has a fresh value (not expired, invalidated or stale), 1 if not; print nothing')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'List the live keys of a cache, sorted')
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
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a .cacheman/ store in DIR, used by every command run below it')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show which store is in use and why')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Run commands from stdin, one per line, answering each with a JSON line')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Describe cacheman files and directories without changing them')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check every checksum and cross-reference (the whole store if no cache is named)')
            [CompletionResult]::new('repair', 'repair', [CompletionResultType]::ParameterValue, 'Recover a damaged cache: keep every intact entry, quarantine damaged files')
            break
        }
        'cacheman;get' {
            [CompletionResult]::new('--default', '--default', [CompletionResultType]::ParameterName, 'On a miss, print VALUE and exit 0')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array with one object per key (exit 1 if any missed)')
            [CompletionResult]::new('--stale-ok', '--stale-ok', [CompletionResultType]::ParameterName, 'Serve a soft-invalidated (stale) value instead of missing')
            [CompletionResult]::new('--with-token', '--with-token', [CompletionResultType]::ParameterName, 'Print the store''s epoch first (on its own line, or as "token" in JSON), taken before the read, for `set --if-epoch`')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;set' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read the value from this file')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Expire the entry after this long (30s, 10m, 2h, 1day) or ''never''; default: the cache''s TTL')
            [CompletionResult]::new('--if-epoch', '--if-epoch', [CompletionResultType]::ParameterName, 'Store only if the cache was not invalidated since TOKEN (from `cacheman epoch` or `get --with-token`), else exit 1: a value computed before an invalidation never lands after it')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--durable', '--durable', [CompletionResultType]::ParameterName, 'fsync before returning, so the write survives power loss')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;del' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;has' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;keys' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array of keys')
            [CompletionResult]::new('-0', '-0', [CompletionResultType]::ParameterName, 'End each key with NUL instead of a newline')
            [CompletionResult]::new('--null', '--null', [CompletionResultType]::ParameterName, 'End each key with NUL instead of a newline')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;ls' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array with one object per cache')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;create' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Default time to live of entries (30s, 10m, 2h, 1day), or ''never''')
            [CompletionResult]::new('--max-entries', '--max-entries', [CompletionResultType]::ParameterName, 'Keep at most N entries, least recently written going first; ''none'' lifts it')
            [CompletionResult]::new('--max-bytes', '--max-bytes', [CompletionResultType]::ParameterName, 'Keep at most this many key and value bytes (4096, 64K, 10MB, 1GiB); ''none'' lifts it')
            [CompletionResult]::new('--autosync', '--autosync', [CompletionResultType]::ParameterName, 'Autosync rules SECONDS:CHANGES[,...] or ''off''; ''default'' follows the store''s rules')
            [CompletionResult]::new('--durable', '--durable', [CompletionResultType]::ParameterName, 'fsync every write before the command returns')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--volatile', '--volatile', [CompletionResultType]::ParameterName, 'Keep it in the runtime directory (tmpfs): fast, and gone after a reboot')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Succeed without changes if the cache already exists')
            [CompletionResult]::new('--exist-ok', '--exist-ok', [CompletionResultType]::ParameterName, 'Succeed without changes if the cache already exists')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;config' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Default time to live of entries (30s, 10m, 2h, 1day), or ''never''')
            [CompletionResult]::new('--max-entries', '--max-entries', [CompletionResultType]::ParameterName, 'Keep at most N entries, least recently written going first; ''none'' lifts it')
            [CompletionResult]::new('--max-bytes', '--max-bytes', [CompletionResultType]::ParameterName, 'Keep at most this many key and value bytes (4096, 64K, 10MB, 1GiB); ''none'' lifts it')
            [CompletionResult]::new('--autosync', '--autosync', [CompletionResultType]::ParameterName, 'Autosync rules SECONDS:CHANGES[,...] or ''off''; ''default'' follows the store''s rules')
            [CompletionResult]::new('--durable', '--durable', [CompletionResultType]::ParameterName, 'fsync every write before the command returns')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the settings as a JSON object')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;drop' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Drop it even though other caches depend on it, removing those edges')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;clear' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;sync' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--background', '--background', [CompletionResultType]::ParameterName, 'Skip a cache another process is already syncing, and print nothing (what a write starts on its own when a journal grows long)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;depend' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;undepend' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;invalidate' {
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'Only keys that start with PREFIX')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Only keys that match GLOB (as in `keys`)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--soft', '--soft', [CompletionResultType]::ParameterName, 'Mark entries stale instead of dropping them')
            [CompletionResult]::new('--no-cascade', '--no-cascade', [CompletionResultType]::ParameterName, 'Invalidate the named caches only, not their dependents')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'List what would be invalidated, in cascade order, and change nothing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no summary')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no summary')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print what was invalidated as a JSON object')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;graph' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--dot', '--dot', [CompletionResultType]::ParameterName, 'Print Graphviz DOT')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print {"caches": [...], "edges": [{"root": .., "dependent": ..}]}')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;epoch' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;init' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;info' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Print only the store''s path')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;batch' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--stop-on-error', '--stop-on-error', [CompletionResultType]::ParameterName, 'Stop at the first command that fails with status 2 or more')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;completions' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;inspect' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('--entries', '--entries', [CompletionResultType]::ParameterName, 'Also list the entries: key, size, created, expiry, epoch and state')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines: one object per file, blob folder and entry')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;verify' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cacheman;repair' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The store directory [env: CACHEMAN_DIR]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say which store is in use, and why, on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
