fn main() -> std::process::ExitCode {
    spaser::cli::main()
}
