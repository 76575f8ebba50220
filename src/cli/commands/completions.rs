//! `cacheman completions`: print a shell completion script.

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

pub fn run(args: CompletionsArgs) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    output::write_all(&mut out, &generate::completion(args.shell))?;
    output::flush(&mut out)?;
    Ok(ExitCode::Success)
}
