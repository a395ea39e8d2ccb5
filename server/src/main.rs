//! The `cho-server` command; see `cli`.

fn main() -> std::process::ExitCode {
    cho_server::cli::main()
}
