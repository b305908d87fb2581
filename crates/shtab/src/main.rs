fn main() -> std::process::ExitCode {
    shtab::cli::main()
}
