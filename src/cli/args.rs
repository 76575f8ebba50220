//! The top of the clap definition: global options and the list of subcommands.
//! Each subcommand's own arguments live beside its code in `commands/`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, FromArgMatches, Parser, Subcommand};

use crate::cli::commands::{
    batch, bind, check, clear, completions, config, create, del, depend, drop, epoch, export, gc,
    get, graph, has, import, incr, info, init, inspect, invalidate, keys, lock, ls, repair, run,
    set, stats, sync, verify, watch,
};

const AFTER_HELP: &str = "\
Exit status:
  0  success, or a hit
  1  a miss, or a false answer from `has`
  1  damage found by `verify` or `inspect`
  2  a usage error or bad input (nothing was changed)
  3  a store or I/O error
`run` exits with its command's status, or 125 when cacheman fails (bad arguments
included), 126 when the command cannot be executed, 127 when it is not found.

The store is the first of: --store URL, --dir, $CACHEMAN_STORE, $CACHEMAN_DIR, the
nearest .cacheman/ above the working directory (see `cacheman init`), the platform
cache directory. A URL is redis://, rediss:// (TLS; ?ca=FILE trusts a private CA),
redis+unix:// (a shared Redis store; the password may come from
$CACHEMAN_REDIS_PASSWORD) or file:///path.

Durability: a write that exits 0 survives any crash of any process; after a sync
it survives power loss too; --durable (or a durable cache) fsyncs before exiting.

Autosync: a cache syncs on its own when, for some rule S:C, at least C changes are
pending and more than S seconds have passed since its last sync (Redis's `save S C`;
default 60:10000,300:10,900:1; see `cacheman config`). The rules are checked after
every write, and every second by a running `cacheman batch` or `cacheman watch`.";

/// Persistent, named, dependent caches for the shell.
#[derive(Debug, Parser)]
#[command(
    name = "cacheman",
    version,
    after_help = AFTER_HELP,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses a command line that names a subcommand, building only that
    /// subcommand's definition (deriving builds all of them on every call,
    /// which was 40% of a `get`). `None` (for help, `--version`, any error, or
    /// a first subcommand-like word that is an option's value) means: parse
    /// with [`Cli::command`], which reports exactly as before.
    pub fn parse_fast(args: &[OsString]) -> Option<Cli> {
        // The process ends soon: tearing the parser's tree down is wasted work.
        Cli::parse_one(args, std::mem::forget)
    }

    /// [`Cli::parse_fast`] for one line of a batch, which frees what it built.
    pub fn parse_line(args: &[OsString]) -> Option<Cli> {
        Cli::parse_one(args, drop)
    }

    fn parse_one(args: &[OsString], dispose: fn(clap::Command)) -> Option<Cli> {
        let sub = args
            .iter()
            .skip(1)
            .find_map(|arg| arg.to_str().and_then(lone_subcommand))?;
        let mut command =
            GlobalArgs::augment_args(clap::Command::new("cacheman").disable_help_subcommand(true))
                .subcommand(sub);
        let parsed = command.try_get_matches_from_mut(args);
        dispose(command);
        Cli::from_arg_matches(&parsed.ok()?).ok()
    }
}

/// Where the subcommand's name is in a command line (the program name first):
/// the first word that is neither a global option nor such an option's value.
pub fn subcommand_index(args: &[OsString]) -> Option<usize> {
    let globals = GlobalArgs::augment_args(clap::Command::new("cacheman"));
    let takes_value = |word: &str| {
        globals.get_arguments().any(|arg| {
            arg.get_action().takes_values()
                && (arg
                    .get_long()
                    .is_some_and(|long| word.strip_prefix("--") == Some(long))
                    || arg
                        .get_short()
                        .is_some_and(|short| word == format!("-{short}")))
        })
    };
    let mut at = 1;
    while let Some(word) = args.get(at) {
        let word = word.to_string_lossy();
        if !word.starts_with('-') {
            return Some(at);
        }
        at += if takes_value(&word) { 2 } else { 1 };
    }
    None
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The store: redis://, rediss://, redis+unix:// or file:// [env: CACHEMAN_STORE]
    #[arg(long, global = true, value_name = "URL", conflicts_with = "dir")]
    pub store: Option<String>,
    /// The store directory [env: CACHEMAN_DIR]
    #[arg(long, global = true, value_name = "PATH")]
    pub dir: Option<PathBuf>,
    /// Say which store is in use, and why, on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Leave the hit and miss counters alone (as does CACHEMAN_NO_STATS=1)
    #[arg(long, global = true)]
    pub no_stats: bool,
}

/// Declares the subcommands once: the `Command` enum clap derives its parser
/// from, and [`lone_subcommand`], which builds a single one of them (see
/// `cli::parse`).
macro_rules! subcommands {
    ($($variant:ident($args:ty) = $name:literal,)*) => {
        #[derive(Debug, Subcommand)]
        pub enum Command {
            $($variant($args),)*
        }

        /// The clap definition of the subcommand called `name`, built alone:
        /// exactly what the derived parser builds for it among all the others.
        pub fn lone_subcommand(name: &str) -> Option<clap::Command> {
            match name {
                $($name => Some(<$args as Args>::augment_args(clap::Command::new($name))),)*
                _ => None,
            }
        }
    };
}

subcommands! {
    Get(get::GetArgs) = "get",
    Set(set::SetArgs) = "set",
    Incr(incr::IncrArgs) = "incr",
    Del(del::DelArgs) = "del",
    Has(has::HasArgs) = "has",
    Keys(keys::KeysArgs) = "keys",
    Run(run::RunArgs) = "run",
    Lock(lock::LockArgs) = "lock",
    Ls(ls::LsArgs) = "ls",
    Create(create::CreateArgs) = "create",
    Config(config::ConfigArgs) = "config",
    Drop(drop::DropArgs) = "drop",
    Clear(clear::ClearArgs) = "clear",
    Sync(sync::SyncArgs) = "sync",
    Depend(depend::DependArgs) = "depend",
    Undepend(depend::UndependArgs) = "undepend",
    Invalidate(invalidate::InvalidateArgs) = "invalidate",
    Graph(graph::GraphArgs) = "graph",
    Epoch(epoch::EpochArgs) = "epoch",
    Bind(bind::BindArgs) = "bind",
    Unbind(bind::UnbindArgs) = "unbind",
    Watch(watch::WatchArgs) = "watch",
    Check(check::CheckArgs) = "check",
    Stats(stats::StatsArgs) = "stats",
    Inspect(inspect::InspectArgs) = "inspect",
    Verify(verify::VerifyArgs) = "verify",
    Repair(repair::RepairArgs) = "repair",
    Gc(gc::GcArgs) = "gc",
    Export(export::ExportArgs) = "export",
    Import(import::ImportArgs) = "import",
    Batch(batch::BatchArgs) = "batch",
    Init(init::InitArgs) = "init",
    Info(info::InfoArgs) = "info",
    Completions(completions::CompletionsArgs) = "completions",
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn every_subcommand_built_alone_is_the_one_the_whole_tree_builds() {
        let whole = Cli::command();
        let mut names = 0;
        for sub in whole.get_subcommands() {
            let lone = lone_subcommand(sub.get_name())
                .unwrap_or_else(|| panic!("no lone definition of `{}`", sub.get_name()));
            assert_eq!(
                without_display_order(&format!("{lone:?}")),
                without_display_order(&format!("{sub:?}")),
                "{}",
                sub.get_name()
            );
            names += 1;
        }
        assert_eq!(names, 34);
    }

    /// A subcommand's place in its parent's help list is all that differs.
    fn without_display_order(debug: &str) -> String {
        let at = debug.find("disp_ord: ").expect("a display order field");
        let end = at + debug[at..].find(',').expect("more fields");
        format!("{}{}", &debug[..at], &debug[end..])
    }

    #[test]
    fn the_subcommand_is_found_past_the_global_options() {
        let at = |line: &[&str]| {
            let args: Vec<OsString> = std::iter::once("cacheman")
                .chain(line.iter().copied())
                .map(OsString::from)
                .collect();
            subcommand_index(&args)
        };
        assert_eq!(at(&["run", "--ttl"]), Some(1));
        assert_eq!(at(&["--dir", "run", "-v", "get", "c"]), Some(4));
        assert_eq!(at(&["--dir=/s", "--no-stats", "run"]), Some(3));
        assert_eq!(at(&["-v", "--dir"]), None);
    }

    #[test]
    fn the_fast_parse_agrees_with_the_whole_tree_or_declines() {
        let lines: &[&[&str]] = &[
            &["get", "c", "k"],
            &["--dir", "/s", "-v", "get", "c", "k", "--json", "--stale-ok"],
            &["get", "c", "k", "--no-stats", "--dir=/s"],
            &["set", "c", "get", "v", "--ttl", "1h"],
            &["run", "--input", "a", "--", "sh", "-c", "get"],
            &["--dir", "set", "get", "c", "k"],
            &["invalidate", "a", "b", "--soft", "--dry-run"],
            &["batch"],
        ];
        for line in lines {
            let args: Vec<OsString> = std::iter::once("cacheman")
                .chain(line.iter().copied())
                .map(OsString::from)
                .collect();
            let whole = Cli::try_parse_from(&args).unwrap();
            if let Some(fast) = Cli::parse_fast(&args) {
                assert_eq!(format!("{fast:?}"), format!("{whole:?}"), "{line:?}");
            }
        }
        for declined in [&["get"][..], &["get", "-h"], &["--version"], &["nope", "x"]] {
            let args: Vec<OsString> = std::iter::once("cacheman")
                .chain(declined.iter().copied())
                .map(OsString::from)
                .collect();
            assert!(Cli::parse_fast(&args).is_none(), "{declined:?}");
        }
    }
}
