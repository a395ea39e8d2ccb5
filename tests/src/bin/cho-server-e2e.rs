//! The real `cho-server`, built here so the end-to-end tests can start it
//! as a separate process.

fn main() -> std::process::ExitCode {
    cho_server::cli::main()
}
