fn main() -> std::process::ExitCode {
    cacheman::cli::main()
}
