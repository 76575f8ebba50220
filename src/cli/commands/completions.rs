//! `cacheman completions`: print a shell completion script.

use std::io::Write;

use clap::Args;
use clap_complete::Shell;

use crate::cli::{generate, output};
use crate::error::Result;
use crate::exit_code::ExitCode;

/// Print the completion script for a shell
#[derive(Debug, Args)]
#[command(after_help = "Example:
  cacheman completions bash > ~/.local/share/bash-completion/completions/cacheman")]
pub struct CompletionsArgs {
    /// The shell
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs, out: &mut dyn Write) -> Result<ExitCode> {
    output::write_all(out, &generate::completion(args.shell))?;
    Ok(ExitCode::Success)
}
