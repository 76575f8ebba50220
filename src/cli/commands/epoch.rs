//! `cacheman epoch`: the token that makes a later `set` conditional.

use std::io::Write;

use clap::Args;

use crate::cli::context::Context;
use crate::cli::output;
use crate::error::Result;
use crate::exit_code::ExitCode;

/// Print the store's epoch, a token for `set --if-epoch`
#[derive(Debug, Args)]
#[command(
    after_help = "Take the token before computing a value; the set is refused (exit 1) if
anything it would write to was invalidated meanwhile.

Example:
  token=$(cacheman epoch)
  value=$(slow-computation)
  cacheman set objects main.o \"$value\" --if-epoch \"$token\""
)]
pub struct EpochArgs {}

pub fn run(ctx: &Context, _args: EpochArgs, out: &mut dyn Write) -> Result<ExitCode> {
    writeln!(out, "{}", ctx.store.epoch()?).map_err(output::stdout_error)?;
    Ok(ExitCode::Success)
}
