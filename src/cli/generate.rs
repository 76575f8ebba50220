//! The generated files committed under `completions/` and `man/`, rendered from
//! the clap definition. A test compares them with the committed copies.

use clap::{Arg, Command, CommandFactory};
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
    clap_complete::generate(shell, &mut offered(), "cacheman", &mut out);
    out
}

/// The command tree as completions offer it. Hidden arguments are cacheman's
/// own (`run --refresh`, `sync --background`) and clap_complete lists them
/// anyway, so a subcommand that has any is rebuilt without them: its name,
/// about text, aliases and other arguments are all a completion uses.
fn offered() -> Command {
    Cli::command().mut_subcommands(|sub| {
        if !sub.get_arguments().any(Arg::is_hide_set) {
            return sub;
        }
        let bare = Command::new(sub.get_name().to_owned())
            .visible_aliases(sub.get_visible_aliases().map(str::to_owned))
            .args(sub.get_arguments().filter(|a| !a.is_hide_set()).cloned());
        match sub.get_about() {
            Some(about) => bare.about(about.clone()),
            None => bare,
        }
    })
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

fn man_page(cmd: Command) -> Vec<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .expect("rendering into memory cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_completion_offers_a_hidden_argument() {
        let cmd = Cli::command();
        let hidden: Vec<String> = cmd
            .get_subcommands()
            .flat_map(|sub| sub.get_arguments())
            .filter(|arg| arg.is_hide_set())
            .filter_map(|arg| arg.get_long().map(str::to_owned))
            .collect();
        assert!(hidden.contains(&"refresh".to_string()), "{hidden:?}");
        // How each shell's script names a long flag: `--name`, or fish's `-l name`.
        let offers = |script: &str, long: &str| {
            script.contains(&format!("--{long}")) || script.contains(&format!("-l {long} "))
        };
        for shell in SHELLS {
            let script = String::from_utf8(completion(shell)).unwrap();
            for long in &hidden {
                assert!(!offers(&script, long), "{shell} offers --{long}");
            }
            assert!(offers(&script, "print-key"), "{shell} offers the rest");
        }
    }
}
