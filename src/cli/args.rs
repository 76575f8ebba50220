//! The top of the clap definition: global options and the list of subcommands.
//! Each subcommand's own arguments live beside its code in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::cli::commands::{
    batch, bind, check, clear, completions, config, create, del, depend, drop, epoch, export, gc,
    get, graph, has, import, info, init, inspect, invalidate, keys, ls, repair, run, set, stats,
    sync, verify, watch,
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

The store is the first of: --dir, $CACHEMAN_DIR, the nearest .cacheman/ above the
working directory (see `cacheman init`), the platform cache directory.

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
    max_term_width = 100,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
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

#[derive(Debug, Subcommand)]
pub enum Command {
    Get(get::GetArgs),
    Set(set::SetArgs),
    Del(del::DelArgs),
    Has(has::HasArgs),
    Keys(keys::KeysArgs),
    Run(run::RunArgs),
    Ls(ls::LsArgs),
    Create(create::CreateArgs),
    Config(config::ConfigArgs),
    Drop(drop::DropArgs),
    Clear(clear::ClearArgs),
    Sync(sync::SyncArgs),
    Depend(depend::DependArgs),
    Undepend(depend::UndependArgs),
    Invalidate(invalidate::InvalidateArgs),
    Graph(graph::GraphArgs),
    Epoch(epoch::EpochArgs),
    Bind(bind::BindArgs),
    Unbind(bind::UnbindArgs),
    Watch(watch::WatchArgs),
    Check(check::CheckArgs),
    Stats(stats::StatsArgs),
    Inspect(inspect::InspectArgs),
    Verify(verify::VerifyArgs),
    Repair(repair::RepairArgs),
    Gc(gc::GcArgs),
    Export(export::ExportArgs),
    Import(import::ImportArgs),
    Batch(batch::BatchArgs),
    Init(init::InitArgs),
    Info(info::InfoArgs),
    Completions(completions::CompletionsArgs),
}
