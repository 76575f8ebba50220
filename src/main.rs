fn main() -> std::process::ExitCode {
    cacheman::run_cli()
}
