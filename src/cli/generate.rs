//! The generated files committed under `completions/` and `man/`, rendered from
//! the clap definition. A test compares them with the committed copies.

use clap::CommandFactory;
use clap_complete::{Generator, Shell};

use crate::cli::Cli;

/// The shells completions are generated for.
pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Elvish,
    Shell::PowerShell,
];

/// The completion script for one shell.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "cacheman", &mut out);
    out
}

/// Every generated file as (path relative to the repository, contents).
pub fn files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = SHELLS
        .iter()
        .map(|&shell| {
            (
                format!("completions/{}", shell.file_name("cacheman")),
                completion(shell),
            )
        })
        .collect();
    let mut cmd = Cli::command();
    cmd.build();
    files.push(("man/cacheman.1".into(), man_page(cmd.clone())));
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("cacheman-{}", sub.get_name());
        let page = sub.clone().name(name.clone()).display_name(name.clone());
        files.push((format!("man/{name}.1"), man_page(page)));
    }
    files
}

fn man_page(cmd: clap::Command) -> Vec<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .expect("rendering into memory cannot fail");
    out
}
