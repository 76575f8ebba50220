//! One module per subcommand: its arguments and what it does.

pub mod batch;
pub mod bind;
pub mod check;
pub mod clear;
pub mod completions;
pub mod config;
pub mod create;
pub mod del;
pub mod depend;
pub mod drop;
pub mod epoch;
pub mod export;
pub mod gc;
pub mod get;
pub mod graph;
pub mod has;
pub mod import;
pub mod incr;
pub mod info;
pub mod init;
pub mod inspect;
pub mod invalidate;
pub mod keys;
pub mod lock;
pub mod ls;
pub mod or_run;
pub mod repair;
pub mod run;
pub mod set;
pub mod stats;
pub mod store_check;
pub mod sync;
pub mod verify;
pub mod watch;

use std::io::Write;

use crate::cli::args::Command;
use crate::cli::context::Context;
use crate::error::Result;
use crate::exit_code::ExitCode;

/// Runs one command; what it prints as data goes to `out`.
pub fn dispatch(ctx: &Context, command: Command, out: &mut dyn Write) -> Result<ExitCode> {
    match command {
        Command::Get(args) => get::run(ctx, args, out),
        Command::Set(args) => set::run(ctx, args),
        Command::Incr(args) => incr::run(ctx, args, out),
        Command::Lock(args) => lock::run(ctx, args),
        Command::Del(args) => del::run(ctx, args),
        Command::Has(args) => has::run(ctx, args),
        Command::Keys(args) => keys::run(ctx, args, out),
        Command::Ls(args) => ls::run(ctx, args, out),
        Command::Create(args) => create::run(ctx, args),
        Command::Config(args) => config::run(ctx, args, out),
        Command::Drop(args) => drop::run(ctx, args),
        Command::Clear(args) => clear::run(ctx, args),
        Command::Sync(args) => sync::run(ctx, args),
        Command::Init(args) => init::run(&ctx.location, args),
        Command::Info(args) => info::run(ctx, args, out),
        Command::Depend(args) => depend::depend(ctx, args),
        Command::Undepend(args) => depend::undepend(ctx, args),
        Command::Invalidate(args) => invalidate::run(ctx, args, out),
        Command::Graph(args) => graph::run(ctx, args, out),
        Command::Epoch(args) => epoch::run(ctx, args, out),
        Command::Completions(args) => completions::run(args, out),
        Command::Batch(args) => batch::run(ctx, args, out),
        Command::Bind(args) => bind::bind(ctx, args),
        Command::Unbind(args) => bind::unbind(ctx, args),
        Command::Watch(args) => watch::run(ctx, args),
        Command::Check(args) => check::run(ctx, args, out),
        Command::Stats(args) => stats::run(ctx, args, out),
        Command::Gc(args) => gc::run(ctx, args, out),
        Command::Export(args) => export::run(ctx, args, out),
        Command::Import(args) => import::run(ctx, args),
        Command::Run(args) => run::run(ctx, args, out),
        Command::Inspect(args) => inspect::run(args, out),
        Command::Verify(args) => verify::run(ctx, args, out),
        Command::Repair(args) => repair::run(ctx, args, out),
    }
}
