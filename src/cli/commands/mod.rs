//! One module per subcommand: its arguments and what it does.

pub mod clear;
pub mod completions;
pub mod create;
pub mod del;
pub mod drop;
pub mod get;
pub mod has;
pub mod info;
pub mod init;
pub mod keys;
pub mod ls;
pub mod set;
pub mod sync;

use crate::cli::args::Command;
use crate::cli::context::Context;
use crate::error::Result;
use crate::exit_code::ExitCode;

pub fn dispatch(ctx: &Context, command: Command) -> Result<ExitCode> {
    match command {
        Command::Get(args) => get::run(ctx, args),
        Command::Set(args) => set::run(ctx, args),
        Command::Del(args) => del::run(ctx, args),
        Command::Has(args) => has::run(ctx, args),
        Command::Keys(args) => keys::run(ctx, args),
        Command::Ls(args) => ls::run(ctx, args),
        Command::Create(args) => create::run(ctx, args),
        Command::Drop(args) => drop::run(ctx, args),
        Command::Clear(args) => clear::run(ctx, args),
        Command::Sync(args) => sync::run(ctx, args),
        Command::Init(args) => init::run(ctx, args),
        Command::Info(args) => info::run(ctx, args),
        Command::Completions(args) => completions::run(args),
    }
}
